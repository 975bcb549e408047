"""Writing a fix: all files at once, each in its own encoding, or a diff of what would change."""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import tempfile
import tokenize
from pathlib import Path
from typing import Dict, List, Tuple

from .options import display


def source_encoding(data: bytes) -> str:
    """The encoding a rewrite must write back: the file's own, BOM included ("utf-8-sig")."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        return "utf-8"
    return encoding


def write_atomically(files: Dict[Path, str]) -> None:
    """Replace the text of several files at once, each in the encoding it has: every new content
    is written to a temporary file beside its target first, and only when all are written are
    they renamed over the targets, so that a failure leaves no file half-written and no change
    half-made across files. Permissions are kept."""
    written: List[Tuple[str, Path]] = []
    try:
        for path, text in files.items():
            data = text.encode(source_encoding(path.read_bytes()))
            handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".pkify", dir=path.parent)
            written.append((temporary, path))
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, path.stat().st_mode & 0o7777)
    except BaseException:
        for temporary, _ in written:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise
    for temporary, path in written:
        os.replace(temporary, path)


def unified_diff(path: str, old: str, new: str) -> str:
    name = display(path)
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{name}", f"b/{name}"))
