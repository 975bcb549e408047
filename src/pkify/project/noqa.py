"""`# noqa` comments, honoured as flake8 7 honours them, so that `pkify check` and
`flake8 --select=CEL` agree.

- `# noqa` silences every code on its line; `# noqa: CEL101,CEL102` (or a prefix, `# noqa: CEL1`)
  only those codes. Lines joined by a token that spans them (a triple-quoted string) share their
  comments; lines of a call broken inside brackets do not (flake8 ends a range at every newline
  token, `NL` included).
- A line that is only `# flake8: noqa` skips the file.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import replace
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..diagnostics import Diagnostic, FileResult
from .files import SourceError, absolute, read_source
from .regions import split_lines

NOQA_INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)
_SEPARATOR = re.compile(r"[,\s]")


class NoqaMap:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = split_lines(source)  # as Python and flake8 number lines: not at form feeds
        # Most files have no `noqa` at all: they are not tokenized (a large file takes 0.1 s).
        self.commented = "noqa" in source.lower()
        self._logical: Optional[Dict[int, str]] = None

    def file_ignored(self) -> bool:
        return self.commented and any(NOQA_FILE.match(line) for line in self.lines)

    def suppressed(self, line: int, code: str) -> bool:
        if not self.commented:
            return False
        if self._logical is None:
            self._logical = _logical_lines(self.source, self.lines)
        text = self._logical.get(line)
        if text is None:
            text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        match = NOQA_INLINE.search(text)
        if match is None:
            return False
        codes = match.group("codes")
        if codes is None:
            return True
        listed = {c.strip() for c in _SEPARATOR.split(codes) if c.strip()}
        return code in listed or code.startswith(tuple(listed))


def _logical_lines(source: str, lines: List[str]) -> Dict[int, str]:
    """Line number -> the text of every line joined to it by a multi-line token."""
    mapping: Dict[int, str] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return {}
    low, high = len(lines) + 2, -1
    for token in tokens:
        if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        low = min(low, token.start[0])
        high = max(high, token.end[0])
        if token.type in (tokenize.NL, tokenize.NEWLINE):
            joined = "".join(lines[low - 1 : high])
            for number in range(low, high + 1):
                mapping[number] = joined
            low, high = len(lines) + 2, -1
    return mapping


def silenced(diagnostics: List[Diagnostic], source: str) -> Tuple[int, ...]:
    """The indices of the diagnostics that `# noqa` comments in `source` silence."""
    if not diagnostics:
        return ()
    comments = NoqaMap(source)
    if comments.file_ignored():
        return tuple(range(len(diagnostics)))
    return tuple(number for number, d in enumerate(diagnostics) if comments.suppressed(d.line, d.code))


def without_noqa(result: FileResult, path: Path, source: Optional[str] = None) -> FileResult:
    """The result less the diagnostics silenced by `# noqa` comments (the file is read only
    when there are some and the result does not say already which)."""
    if not result.diagnostics:
        return result
    quiet = result.silenced if source is None else None
    if quiet is None:
        if source is None:
            try:
                source = read_source(absolute(path))
            except SourceError:
                return result
        quiet = silenced(result.diagnostics, source)
    return replace(result, diagnostics=[d for n, d in enumerate(result.diagnostics) if n not in quiet])
