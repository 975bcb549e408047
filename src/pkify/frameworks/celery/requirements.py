"""The lowest Celery version a project allows, read as text from its requirement files
(`requirements*.txt`, `pyproject.toml`, `setup.cfg`, `setup.py`, `Pipfile`, lock files): the
fixer uses `delay_on_commit()` only where the project is sure to run Celery 5.4 or later."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

Version = Tuple[int, ...]

FILES = (
    "requirements*.txt",
    "requirements/*.txt",
    "requirements*/*.txt",
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "Pipfile",
    "Pipfile.lock",
    "poetry.lock",
    "uv.lock",
)
# `celery==5.4.0`, `celery[redis]>=5.4,<6`, `"celery>=5.4"`, `celery = "^5.4"`, `celery = {version = "~5.4"}`
_SPEC = re.compile(
    r"""(?im)(?:^|["'\s,\[])celery(?:\[[^\]]*\])?["']?\s*(?:=\s*(?:\{[^}\n]*?version\s*=\s*)?["'])?\s*"""
    r"""(?P<op>===|==|>=|~=|>|\^|~)\s*(?P<version>\d+(?:\.\d+)*)"""
)
# a lock file's entry: `name = "celery"` then `version = "5.4.0"`; Pipfile.lock's `"celery": {... "version": "==5.4.0"`
_LOCKED = re.compile(r'(?s)name = "celery"\s*\n\s*version = "(?P<version>\d+(?:\.\d+)*)')
_PIPFILE_LOCK = re.compile(r'(?s)"celery":\s*\{[^}]*?"version":\s*"==(?P<version>\d+(?:\.\d+)*)')
_NAMED = re.compile(r"""(?im)(?:^|["'\s,\[])celery(?:\[[^\]]*\])?\b(?!\.|_|-)""")


def _version(text: str) -> Version:
    return tuple(int(part) for part in text.split("."))


def requirement_files(root: Path, levels: int = 3) -> List[Path]:
    """The requirement files of the nearest directory at or above the root that has some (not
    above the repository's top)."""
    directory = root
    for _ in range(levels):
        found = sorted({p for pattern in FILES for p in directory.glob(pattern) if p.is_file()})
        if found:
            return found
        if directory.parent == directory or (directory / ".git").exists():
            break
        directory = directory.parent
    return []


def _floors(path: Path, text: str) -> Iterator[Optional[Version]]:
    """The lowest version each mention of Celery allows; None for a mention without one."""
    if path.name.endswith(".lock"):
        for match in (_PIPFILE_LOCK if path.name == "Pipfile.lock" else _LOCKED).finditer(text):
            yield _version(match.group("version"))
        return
    mentions = len(_NAMED.findall(text))
    floors = [_version(m.group("version")) for m in _SPEC.finditer(text)]
    yield from floors
    if mentions > len(floors) and not path.name.startswith("requirements") and path.suffix != ".txt":
        return  # `celery` named in prose or in a module path of a config file: not a requirement
    if mentions > len(floors):
        yield None


def lowest_celery(root: Path) -> Optional[Version]:
    """The lowest Celery version the project's requirement files allow, or None when none of
    them pins a lower bound (or they do not mention Celery)."""
    floors: List[Optional[Version]] = []
    for path in requirement_files(root):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        floors += _floors(path, text)
    if not floors or any(floor is None for floor in floors):
        return None
    return min(floor for floor in floors if floor is not None)
