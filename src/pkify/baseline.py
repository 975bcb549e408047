"""The baseline: the findings a project has accepted for now, so that only new ones are reported.

A finding is known by its fingerprint, which survives unrelated edits: its file (relative to the
project root, POSIX), its code, the task, the argument's text (whitespace normalised) and the
enclosing function — not its line or column. The baseline keeps a count per fingerprint: when a
file has `n` findings with the same fingerprint and the baseline `k`, the last `n - k` in file
order are new. An entry whose count is no longer reached was fixed; entries are only judged
fixed for files that were checked, with codes that were reported in them.

The file is JSON, one finding per line, sorted, so that a change to it reads well in a diff:

    {
      "version": 1,
      "findings": [
        {"path": "shop/views.py", "code": "CEL101", "function": "shop.views.pay", "task": "...", ...}
      ]
    }

Standard library only: the CLI and the flake8 plugin use it through `pkify.api`.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Set, Tuple

from .diagnostics import Diagnostic

VERSION = 1


class BaselineError(Exception):
    """A baseline file pkify cannot use; the message (one line) names the file."""


class Fingerprint(NamedTuple):
    path: str  # relative to the project root, POSIX
    code: str
    function: Optional[str]  # the enclosing function's qualified name; None at module level
    task: Optional[str]
    argument: Optional[str]  # the offending expression's text, whitespace normalised

    def sort_key(self) -> Tuple[str, ...]:
        return tuple(part or "" for part in self)


FIELDS = Fingerprint._fields  # the keys of an entry in the file, before its "count"

# Whether an entry can be judged in this run: its file was checked and its code reported there.
Covered = Callable[[Fingerprint], bool]


def relative_path(path: Path, root: Path) -> str:
    """`path` as the baseline names it: relative to the project root, with `/`."""
    return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(root))).as_posix()


def fingerprint(diagnostic: Diagnostic, path: str) -> Fingerprint:
    """The fingerprint of a finding in the file `path` (as `relative_path` gives it)."""
    argument = " ".join(diagnostic.argument.split()) if diagnostic.argument is not None else None
    return Fingerprint(path, diagnostic.code, diagnostic.function, diagnostic.task, argument)


def coverage(checked: Mapping[str, Callable[[str], bool]], roots: Sequence[Path]) -> Covered:
    """Which entries a run can judge. `checked`: the files it checked (relative paths) and, for
    each, whether a code is reported there. An entry of a file that no longer exists in any of
    `roots` is judged too (it was fixed); one of a file left out of the run is not."""

    def covered(key: Fingerprint) -> bool:
        wants = checked.get(key.path)
        if wants is not None:
            return wants(key.code)
        return not any((root / key.path).exists() for root in roots)

    return covered


def fixed_message(fixed: int, path: Path, prune: str) -> str:
    """What a run says of the baseline's findings that are gone; `prune`: how to remove them."""
    return f"pkify: baseline: {fixed} finding(s) fixed since the baseline ({prune} to remove them from {shown(path)})"


def shown(path: Path) -> str:
    """A path for a message: relative to the working directory when it is under it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive, on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


@dataclass
class Comparison:
    """The findings of a run against a baseline."""

    baseline: "Baseline"
    known: Set[int]  # the indexes of the findings the baseline holds (not reported)
    counts: Dict[Fingerprint, int]  # how many findings of each fingerprint this run has

    def fixed(self, covered: Covered) -> int:
        """How many of the baseline's findings are gone (in the files checked)."""
        return sum(
            max(0, count - self.counts.get(key, 0)) for key, count in self.baseline.counts.items() if covered(key)
        )

    def pruned(self, covered: Covered) -> "Baseline":
        """The baseline less what was fixed: it never grows."""
        counts = {}
        for key, count in self.baseline.counts.items():
            kept = min(count, self.counts.get(key, 0)) if covered(key) else count
            if kept:
                counts[key] = kept
        return Baseline(counts)

    def updated(self, covered: Covered) -> "Baseline":
        """A baseline of this run's findings, keeping the entries it could not judge (files
        not checked this time, codes not reported)."""
        counts = {key: count for key, count in self.baseline.counts.items() if not covered(key)}
        counts.update(self.counts)
        return Baseline(counts)


class Baseline:
    def __init__(self, counts: Optional[Dict[Fingerprint, int]] = None) -> None:
        self.counts: Dict[Fingerprint, int] = dict(counts or {})

    def __len__(self) -> int:
        return sum(self.counts.values())

    def compare(self, findings: Sequence[Tuple[str, Diagnostic]]) -> Comparison:
        """`findings`: (path relative to the root, diagnostic) pairs. Of the findings that
        share a fingerprint, the first `count` (by position) are the baseline's."""
        groups: Dict[Fingerprint, List[int]] = {}
        for index, (path, diagnostic) in enumerate(findings):
            groups.setdefault(fingerprint(diagnostic, path), []).append(index)
        known: Set[int] = set()
        for key, indexes in groups.items():
            count = self.counts.get(key, 0)
            if count:
                by_position = sorted(indexes, key=lambda i: (findings[i][1].line, findings[i][1].column, i))
                known.update(by_position[:count])
        return Comparison(self, known, {key: len(indexes) for key, indexes in groups.items()})

    # --- the file --------------------------------------------------------------------------------

    @classmethod
    def read(cls, path: Path, missing_ok: bool = False) -> "Baseline":
        """The baseline in `path`; BaselineError when it is missing (unless `missing_ok`: then
        an empty one) or is not a baseline this pkify reads."""
        where = shown(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if missing_ok:
                return cls()
            raise BaselineError(f"{where}: baseline file not found (write one with --write-baseline {where})") from None
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise BaselineError(f"{where}: cannot read the baseline: {reason}") from None
        import json  # only here: a warm run does without it

        try:
            data = json.loads(text)
        except ValueError as error:
            line = getattr(error, "lineno", None)
            at = f" at line {line}, column {getattr(error, 'colno', 0)}" if line else ""
            raise BaselineError(f"{where}: not a pkify baseline: invalid JSON{at}") from None
        return cls(_entries(data, where))

    def dumps(self) -> str:
        import json  # only here: a warm run does without it

        lines = []
        for key in sorted(self.counts, key=Fingerprint.sort_key):
            entry: Dict[str, object] = dict(zip(FIELDS, key))
            entry["count"] = self.counts[key]
            lines.append("    " + json.dumps(entry, ensure_ascii=False))
        body = "[\n" + ",\n".join(lines) + "\n  ]" if lines else "[]"
        return f'{{\n  "version": {VERSION},\n  "findings": {body}\n}}\n'

    def write(self, path: Path) -> None:
        """Replace `path` atomically; BaselineError when it cannot be written."""
        directory = path.parent if str(path.parent) else Path(".")
        try:
            import tempfile  # only here: a warm run does without it
            descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
            try:
                with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as file:
                    file.write(self.dumps())
                if path.exists():
                    os.chmod(temporary, path.stat().st_mode & 0o777)
                else:
                    os.chmod(temporary, 0o666 & ~_umask())
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as error:
            raise BaselineError(f"{shown(path)}: cannot write the baseline: {error.strerror or error}") from None


def _entries(data: object, where: str) -> Dict[Fingerprint, int]:
    def bad(what: str) -> BaselineError:
        return BaselineError(f"{where}: not a pkify baseline: {what}")

    if not isinstance(data, dict) or "version" not in data or "findings" not in data:
        raise bad('expected an object with "version" and "findings"')
    version = data["version"]
    if version != VERSION:
        raise BaselineError(
            f"{where}: baseline version {version!r} is not supported (this pkify reads version {VERSION})"
        )
    if not isinstance(data["findings"], list):
        raise bad('"findings" must be a list')
    counts: Dict[Fingerprint, int] = {}
    for number, entry in enumerate(data["findings"], 1):
        if not isinstance(entry, dict):
            raise bad(f"finding {number} is not an object")
        values: List[Optional[str]] = []
        for name in FIELDS:
            value = entry.get(name)
            required = name in ("path", "code")
            if not (isinstance(value, str) and value) and (required or value is not None):
                raise bad(f"finding {number}: {name!r} must be a string{'' if required else ' or null'}")
            values.append(value)
        count = entry.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise bad(f"finding {number}: 'count' must be a positive integer")
        key = Fingerprint(*values)  # type: ignore[arg-type]  # path and code checked above
        counts[key] = counts.get(key, 0) + count
    return counts


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
