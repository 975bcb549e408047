"""Writing a fix: all files at once, each in its own encoding, or a diff of what would change."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import tokenize
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..project.regions import split_lines
from .options import display


def source_encoding(data: bytes) -> str:
    """The encoding a rewrite must write back: the file's own, BOM included ("utf-8-sig")."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        return "utf-8"
    return encoding


def read_only(path: Path) -> Optional[str]:
    """Why pkify must not replace `path`, else None: the file or its directory (where the
    replacement is made beside it, then renamed over it) is read-only. Decided from the
    permission bits, not by trying: root may write anything, and a file its owner made
    read-only is still not for pkify to replace. A file or directory without a single write bit
    is read-only for everyone; otherwise the system says whether this user may write it."""
    for target, kind, access in ((path, "file", os.W_OK), (path.parent, "directory", os.W_OK | os.X_OK)):
        try:
            mode = target.stat().st_mode
        except OSError:
            continue  # the write says why
        if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, access):
            return kind
    return None


class WriteError(OSError):
    """Writing failed; `replaced`: the files already replaced when it did (none, unless the
    last step, renaming the new contents over their targets, failed half-way)."""

    def __init__(self, error: OSError, replaced: List[Path]) -> None:
        super().__init__(error.errno, error.strerror or str(error), error.filename)
        self.replaced = replaced


def write_atomically(files: Dict[Path, str]) -> None:
    """Replace the text of several files at once, each in the encoding it has: every new content
    is written to a temporary file beside its target first, and only when all are written are
    they renamed over the targets, so that a failure leaves no file half-written, no change
    half-made across files and no temporary file behind. Permissions are kept. A read-only
    file (see `read_only`) is refused before anything is written."""
    for path in files:
        kind = read_only(path)
        if kind is not None:
            where = path if kind == "file" else path.parent
            raise WriteError(PermissionError(errno.EACCES, f"the {kind} is read-only", str(where)), [])
    written: List[Tuple[str, Path]] = []
    replaced: List[Path] = []
    try:
        for path, text in files.items():
            data = text.encode(source_encoding(path.read_bytes()))
            try:
                import tempfile  # only here: a warm run does without it
                handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".pkify", dir=path.parent)
            except OSError as error:
                raise type(error)(error.errno, error.strerror, str(path.parent)) from None
            written.append((temporary, path))
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        for temporary, path in written:
            os.replace(temporary, path)
            replaced.append(path)
    except OSError as error:
        raise WriteError(error, replaced) from None
    finally:
        for temporary, path in written[len(replaced) :]:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def unified_diff(path: str, old: str, new: str) -> str:
    import difflib  # here: `pkify check` does without it

    name = display(path)
    return "".join(difflib.unified_diff(split_lines(old), split_lines(new), f"a/{name}", f"b/{name}"))
