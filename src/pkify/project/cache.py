"""The on-disk cache: a second run does not read again what has not changed.

One file per project root, in the user's cache directory (`$PKIFY_CACHE_DIR`, else
`$XDG_CACHE_HOME/pkify` or `~/.cache/pkify`; `PKIFY_NO_CACHE=1` or `--no-cache` turns it off). It
holds, for every file of the project, its summary (the project index is made of them), keyed by
the file's stat and the hash of its content; and for every checked file, its result, valid as
long as the project's declarations (`fingerprint`), the settings and what the analysis read are
unchanged: of each file it read (its own included), the whole text, or the functions it read
and the answers to the questions it asked (see `project.regions`, `project.probes`). A cache
that cannot be read (deleted, corrupted, written by another pkify version) is ignored and
rewritten.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Optional, Tuple

if TYPE_CHECKING:  # pragma: no cover
    from .regions import Region
    from .summary import ModuleSummary

from .. import __version__

StatKey = Tuple[int, int, int]
# A file a result read: (path, its digest then, None when its whole text was read, else the
# questions asked of it and their answers: see `project.probes`).
Read = Tuple[str, str, Optional[Tuple[Tuple[str, str], ...]]]


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def stat_key(stat: os.stat_result) -> StatKey:
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


@dataclass
class FileEntry:
    stat: StatKey
    digest: str
    declarations: str  # the digest of what its summary declares, line numbers left out
    error: Optional[str]  # why the file cannot be read or parsed
    hint: bool  # it holds something that looks like a task call
    calls: str = ""  # the names it calls (`f(`, `obj.f(`), each between spaces: " f g "
    dispatchers: Tuple[str, ...] = ()  # its functions that send a task they are given (Reading.send_methods)
    regions: "Tuple[Region, ...]" = ()  # its functions' texts (see `project.regions`)
    skeleton: str = ""  # the digest of the rest of its text


@dataclass
class ResultEntry:
    digest: str
    fingerprint: str
    settings: str
    reads: Tuple[Read, ...]  # what the analysis read of each file (its own included)
    diagnostics: Tuple[Tuple[object, ...], ...]  # Diagnostic.row(), before `# noqa`
    error: Optional[str]
    internal: bool
    tasks: Tuple[str, ...]  # the tasks the file's calls refer to
    # The digest of the names every file calls, when the result depends on every file (what the
    # callers of a function pass: a new caller may appear anywhere; see `Project.calls`); else None.
    project: Optional[str] = None
    silenced: Tuple[int, ...] = ()  # the diagnostics (by index) `# noqa` comments in the file silence
    # The file's regions and skeleton when it was analysed: an edit inside a function the
    # analysis did not read moves the diagnostics rather than invalidate them.
    regions: "Tuple[Region, ...]" = ()
    skeleton: str = ""


# What a cache file must have been written with to be read: its entries' shape (a pkify that
# changed them, even without a new version number, rebuilds the cache rather than misread it).
FORMAT = tuple((cls.__name__, tuple(f.name for f in fields(cls))) for cls in (FileEntry, ResultEntry))


@functools.lru_cache(maxsize=None)
def code_version() -> str:
    """pkify's version and a digest of its own source files' names, sizes and modification
    times: a cache written by other code is not read (an install from a newer commit keeps the
    version number, and writes the files anew). Stat only: every run asks."""
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    digest = hashlib.blake2b(digest_size=8)
    for directory, directories, names in os.walk(package):
        directories.sort()
        for name in sorted(names):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                stat = os.stat(path)
                digest.update(f"{os.path.relpath(path, package)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return f"{__version__}+{digest.hexdigest()}"


def _summaries_format() -> tuple:
    from . import summary

    classes = [summary.ModuleSummary, summary.ClassSummary, summary.FunctionSummary, summary.Param, summary.ParamCall]
    classes += sorted(summary.Expr.__subclasses__(), key=lambda cls: cls.__name__)
    return tuple((cls.__name__, tuple(f.name for f in fields(cls))) for cls in classes)


# The most summaries the overlay holds before they are all written again together.
OVERLAY_LIMIT = 32


def cache_directory() -> Optional[Path]:
    if os.environ.get("PKIFY_NO_CACHE"):
        return None
    if os.environ.get("PKIFY_CACHE_DIR"):
        return Path(os.environ["PKIFY_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pkify"


class Cache:
    """`files` and `results` are read at once; the summaries (most of the bytes) only when the
    project index is needed, that is when something has to be analysed. The summaries of files
    that changed in a run that needed no index go to a small overlay beside them (an edit does
    not rewrite every summary), folded into them the next time they are read."""

    def __init__(self, path: Optional[Path] = None) -> None:
        self.path = path  # None: an in-memory cache that is never saved
        self.files: Dict[str, FileEntry] = {}
        self.results: Dict[str, ResultEntry] = {}
        self._summaries: "Optional[Dict[str, ModuleSummary]]" = None if path else {}
        self._overlay: "Optional[Dict[str, Tuple[str, ModuleSummary]]]" = None  # path: (file digest, summary)
        self.dirty = False
        self.summaries_dirty = False
        self.overlay_dirty = False

    @property
    def summaries(self) -> "Dict[str, ModuleSummary]":
        if self._summaries is None:
            self._summaries = self._read_summaries(self._summaries_path()) or {}
            for path, (content, summary) in self._read_overlay().items():
                entry = self.files.get(path)
                if entry is not None and entry.digest == content:
                    self._summaries[path] = summary
                    self.summaries_dirty = True
            self._overlay = {}
            # A summary whose file entry is gone (or was written by another run) is not trusted.
            self._summaries = {p: s for p, s in self._summaries.items() if p in self.files}
        return self._summaries

    def add_summaries(self, fresh: "Dict[str, ModuleSummary]") -> None:
        """The summaries of files summarised again (their entries in `files` already)."""
        if not fresh:
            return
        overlay = self._read_overlay() if self._summaries is None else {}
        if self._summaries is not None or len(overlay) + len(fresh) > OVERLAY_LIMIT:
            self.summaries.update(fresh)
            self.summaries_dirty = True
            return
        overlay.update((path, (self.files[path].digest, summary)) for path, summary in fresh.items())
        self.overlay_dirty = True

    def _read_overlay(self) -> "Dict[str, Tuple[str, ModuleSummary]]":
        if self._overlay is None:
            self._overlay = self._read_summaries(self._overlay_path()) if self.path is not None else None
            self._overlay = self._overlay or {}
        return self._overlay

    @staticmethod
    def _read_summaries(path: Path) -> Optional[dict]:
        try:
            with open(path, "rb") as file:
                data = pickle.load(file)
            if data.get("format") == _summaries_format() and data.get("version") == code_version():
                return data["summaries"]
        except Exception:
            pass
        return None

    def _summaries_path(self) -> Path:
        return self.path.with_suffix(".summaries.pickle")

    def _overlay_path(self) -> Path:
        return self.path.with_suffix(".recent.pickle")

    @classmethod
    def for_root(cls, root: Path, enabled: bool = True, salt: str = "") -> "Cache":
        """The cache of a project. `salt`: what else the entries depend on (the pattern that
        tells which files may send tasks)."""
        directory = cache_directory() if enabled else None
        if directory is None:
            return cls(None)
        key = digest(f"{root}|{sys.version_info[:2]}|{salt}".encode())
        cache = cls(directory / f"{key}.pickle")
        cache._load()
        return cache

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as file:
                data = pickle.load(file)
            if data.get("format") != FORMAT or data.get("version") != code_version():
                return
            self.files, self.results = data["files"], data["results"]
        except Exception:  # missing, truncated, corrupted, from another version: start afresh
            self.files, self.results = {}, {}

    def save(self) -> None:
        if self.path is None:
            return
        if self.summaries_dirty:  # first: files entries must never outlive their summaries
            self._write(self._summaries_path(), {"summaries": self._summaries}, _summaries_format())
            self.summaries_dirty = self.overlay_dirty = False
            with contextlib.suppress(OSError):
                os.unlink(self._overlay_path())  # folded in (a stale one is ignored: digests)
        elif self.overlay_dirty:
            self._write(self._overlay_path(), {"summaries": self._overlay}, _summaries_format())
            self.overlay_dirty = False
        if self.dirty:
            self._write(self.path, {"files": self.files, "results": self.results}, FORMAT)
            self.dirty = False

    @staticmethod
    def _write(path: Path, data: dict, shape: tuple) -> None:
        temporary = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            import tempfile  # only here: a warm run does without it
            handle, temporary = tempfile.mkstemp(prefix=".cache.", dir=path.parent)
            with os.fdopen(handle, "wb") as file:
                pickle.dump({"format": shape, "version": code_version(), **data}, file, pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except OSError:  # a read-only home, a full disk: the run still succeeds, uncached
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
