"""Files: which ones to read, where their project starts, what their module is called, and how
to decode them."""

from __future__ import annotations

import fnmatch
import importlib.machinery
import io
import os
import re
import stat
import tokenize
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", "manage.py", ".git")

DEFAULT_EXCLUDE = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".hg",
    ".mypy_cache",
    ".nox",
    ".pytest_cache",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    "__pycache__",
    "__pypackages__",
    "_build",
    "buck-out",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
    "migrations",
)


# What a library's walk leaves out: byte code and migrations (pkify skips them in a project too).
LIBRARY_EXCLUDE = ("__pycache__", "migrations")


def find_library(name: str) -> Tuple[Optional[str], Optional[Path]]:
    """What an installed top-level name is, and where its source is, found on `sys.path` as
    the import system finds it (importlib's PathFinder reads directories and imports nothing):
    ("package", its directory), ("module", its file), ("namespace", None) for a package without
    `__init__.py` (its modules could not be named from its directories), ("compiled", None) for
    one without Python source, (None, None) when it is not installed."""
    try:
        spec = importlib.machinery.PathFinder.find_spec(name)
    except (ImportError, ValueError):
        return None, None
    if spec is None:
        return None, None
    if not spec.origin or spec.origin == "namespace":
        return "namespace", None
    if not spec.origin.endswith(".py"):
        return "compiled", None
    origin = Path(spec.origin)
    return ("package", origin.parent) if spec.submodule_search_locations is not None else ("module", origin)


def library_files(names: Iterable[str]) -> Dict[str, List[Path]]:
    """Library directory (or module file) -> its Python files, for the packages named in the
    `libraries` setting (those not found are the settings' to report)."""
    found: Dict[str, List[Path]] = {}
    for name in names:
        _, location = find_library(name)
        if location is not None:
            location = absolute(location)
            found[str(location)] = list(walk_python_files([location], Excluder(LIBRARY_EXCLUDE, location)))
    return found


class SourceError(Exception):
    """A file that cannot be read, decoded or parsed; the message is one line for the user."""


def read_source(path: Path) -> str:
    """The file's text, decoded as Python does (BOM, coding cookie, UTF-8 by default).

    Line endings are kept as they are, so that a rewrite can keep them too.
    """
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a named pipe would block the read forever
            raise SourceError("not a regular file")
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"cannot read file: {error.strerror or error}") from None
    return decode_source(data)


def decode_source(data: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        encoding = "utf-8"  # no usable declaration: say where UTF-8 fails, if it does
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            pass
        else:
            raise SourceError(f"cannot decode file: {error.msg}") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SourceError(f"cannot decode file as {encoding} (line {line}): {error.reason}") from None
    except LookupError as error:
        raise SourceError(f"cannot decode file: {error}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise SourceError("file contains a null byte")
    return text


# What pre-commit's `types: [python]` passes (identify's list): a hook must not refuse them.
PYTHON_SUFFIXES = frozenset({".py", ".pyi", ".pyw", ".pyt", ".tac", ".wsgi", ".gyp", ".gypi"})
PYTHON_NAMES = frozenset({"wscript", ".pdbrc"})
_PYTHON_SHEBANG = re.compile(rb"#![^\n]*\b(?:python|pypy)")


def is_python_file(path: Path) -> bool:
    """Whether a file named on the command line is Python: by its name, or for a script by a
    `#!` line that runs Python. One that cannot be read, or is no regular file, counts as Python:
    reading it says why (and a named pipe is not opened here, where it would block)."""
    if path.suffix.lower() in PYTHON_SUFFIXES or path.name in PYTHON_NAMES or not path.is_file():
        return True
    try:
        with open(path, "rb") as file:
            first = file.readline(512)
    except OSError:
        return True
    return _PYTHON_SHEBANG.match(first) is not None


def absolute(path: Path) -> Path:
    """The absolute path, symlinks kept: `Path.resolve()` raises on a symlink loop before
    Python 3.13, and a project seen through a symlink keeps its own paths."""
    if isinstance(path, Path) and path.is_absolute() and ".." not in path.parts:
        return path  # already (a walk's paths: asked for every file of a run)
    return Path(os.path.abspath(path))


def find_root(path: Path, known: Optional[Dict[str, Tuple[bool, bool]]] = None) -> Path:
    """The nearest directory at or above `path` with a project marker; else the directory that
    holds the outermost package above it (where `import` would start), else its own directory.
    A marker inside a package (a directory with an `__init__.py`) never starts a root: a Django
    app's `views/setup.py` is a module, not a project's `setup.py`. `known`: what is known of
    directories already (whether each is a package, whether it starts a root), for a run that
    asks for many files."""
    known = {} if known is None else known
    path = absolute(path)
    start = str(path) if path.is_dir() else os.path.dirname(str(path))
    directory = start
    while True:
        if _directory_facts(directory, known)[1]:
            return Path(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    top = start
    while _directory_facts(top, known)[0] and os.path.dirname(top) != top:
        top = os.path.dirname(top)
    return Path(top)


def _directory_facts(directory: str, known: Dict[str, Tuple[bool, bool]]) -> Tuple[bool, bool]:
    """(a package, a root: not a package and holding a marker)."""
    found = known.get(directory)
    if found is None:
        package = os.path.exists(os.path.join(directory, "__init__.py"))
        marked = not package and any(os.path.exists(os.path.join(directory, m)) for m in ROOT_MARKERS)
        found = known[directory] = (package, marked)
    return found


def module_name(path: Path) -> tuple[str, bool]:
    """The dotted module name of a file, climbing the `__init__.py` chain; and whether the file
    is a package's `__init__`. A directory without `__init__.py` directly inside a package is a
    namespace package within it (`app/base/models.py` is `app.base.models`: Python imports it
    so)."""
    path = absolute(path)
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    directory = path.parent
    while directory.parent != directory and (
        (directory / "__init__.py").exists() or (directory.parent / "__init__.py").exists()
    ):
        parts.append(directory.name)
        directory = directory.parent
    if not parts:  # an __init__.py in a directory that is not a package
        parts = [path.parent.name]
    return ".".join(reversed(parts)), is_package


class Excluder:
    """flake8-style exclusion: a pattern matches a file or directory's name or its path
    (relative to the root; with a `/`, also absolute). Works on strings: it runs for every
    file of a project."""

    def __init__(self, patterns: Sequence[str], root: Path) -> None:
        self.patterns = tuple(p.rstrip("/") for p in patterns if p.strip())
        self.root = root
        self._root = os.path.abspath(root)
        either = [fnmatch.translate(p) for p in self.patterns]
        self._name = re.compile("|".join(either)) if either else None
        paths = [fnmatch.translate(p) for p in self.patterns if "/" in p]
        self._path = re.compile("|".join(paths)) if paths else None

    def excluded(self, path: Path) -> bool:
        return self._excluded(os.path.abspath(path))

    def _excluded(self, path: str) -> bool:
        """`path`: absolute, normalised."""
        if self._name is None:
            return False
        name = os.path.normcase(os.path.basename(path))
        if self._name.match(name):
            return True
        relative = self._relative(path)
        if relative is not None and self._name.match(os.path.normcase(relative)):
            return True
        if relative is None and self._name.match(os.path.normcase(path.replace(os.sep, "/"))):
            return True
        return self._path is not None and self._path.match(os.path.normcase(path.replace(os.sep, "/"))) is not None

    def _relative(self, path: str) -> Optional[str]:
        root = self._root
        if path == root:
            return "."
        prefix = root if root.endswith(os.sep) else root + os.sep
        return path[len(prefix) :].replace(os.sep, "/") if path.startswith(prefix) else None

    def excluded_anywhere(self, path: Path) -> bool:
        """A path is excluded when it, or a directory between it and the root, is."""
        path = os.path.abspath(path)
        if self._excluded(path):
            return True
        relative = self._relative(path)
        if not relative or relative == ".":
            return False
        parts = relative.split("/")[:-1]
        return any(self._excluded(os.path.join(self._root, *parts[: i + 1])) for i in range(len(parts)))


def _is_virtualenv(directory: str) -> bool:
    return os.path.exists(os.path.join(directory, "pyvenv.cfg"))


def is_root(directory: str) -> bool:
    """A directory that starts a project of its own (see `find_root`)."""
    if os.path.exists(os.path.join(directory, "__init__.py")):
        return False
    return any(os.path.exists(os.path.join(directory, marker)) for marker in ROOT_MARKERS)


def walk_python_files(paths: Iterable[Path], excluder: Excluder, projects: bool = True) -> Iterator[Path]:
    """Every `.py` file named or found below the given paths, minus exclusions, sorted.
    `projects=False`: not those of other projects nested below (a directory with a root marker
    of its own), as one project's walk from its root."""
    seen: set = set()
    for path in paths:
        path = absolute(path)
        if path.is_file() or not path.is_dir():
            if str(path) not in seen and not excluder.excluded_anywhere(path):
                seen.add(str(path))
                yield path
            continue
        if excluder.excluded_anywhere(path):
            continue
        for directory, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not excluder._excluded(os.path.join(directory, d))
                and not _is_virtualenv(os.path.join(directory, d))
                and (projects or not is_root(os.path.join(directory, d)))
            )
            for filename in sorted(filenames):
                if filename.endswith(".py"):
                    file = os.path.join(directory, filename)
                    if file not in seen and not excluder._excluded(file):
                        seen.add(file)
                        yield Path(file)