"""A file's text cut into regions, so that an edit inside one function does not invalidate what
only read the others.

A file's regions are its module-level functions and its classes' methods, as its summary lists
them (decorators included); what is left, the module's statements, class bodies and the lines
between functions, is its skeleton. A cached result records which regions of which files its
analysis read (`region` probes, see `project.probes`) instead of the whole file, and it stays
valid while those regions' texts do, wherever they moved: its own file's positions are moved
with the regions above them (`line_mapping`).
"""

from __future__ import annotations

import bisect
import re
import string
from typing import (
    TYPE_CHECKING,
    Callable,
    FrozenSet,
    Iterable,
    Iterator,
    List,
    Match,
    Optional,
    Pattern,
    Sequence,
    Tuple,
)

if TYPE_CHECKING:  # pragma: no cover
    from .summary import ModuleSummary

# (qualname inside the module, first line, last line, digest of its lines)
Region = Tuple[str, int, int, str]

MODULE = "<module>"  # the region name of a line outside every function


_OTHER_BREAKS = re.compile("[\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(text: str) -> List[str]:
    """A text's lines (ends kept) as Python counts them: `str.splitlines` also breaks at form
    feeds and the like, which a line number does not count."""
    return text.splitlines(keepends=True) if not _OTHER_BREAKS.search(text) else _LINES.findall(text)


def _functions(summary: "ModuleSummary") -> list:
    """The functions that are regions, in order: module-level functions and methods, less any
    inside another (a class in a function)."""
    functions = [*summary.functions.values()]
    for cls in summary.classes.values():
        functions.extend(cls.methods.values())
    found = []
    last = 0
    for function in sorted((f for f in functions if f.end >= f.start > 0), key=lambda f: f.start):
        if function.start > last:
            found.append(function)
            last = function.end
    return found


def region_spans(summary: "ModuleSummary") -> Tuple[Tuple[str, int, int], ...]:
    """The regions of a summarised file without their digests: (qualname, first line, last line)."""
    return tuple((f.qualname, f.start, f.end) for f in _functions(summary))


def regions_of(
    summary: "ModuleSummary", lines: Sequence[str], digest: Callable[[bytes], str]
) -> Tuple[Tuple[Region, ...], str]:
    """The regions of a summarised file (`lines`: its text, `split_lines`) in order, none inside
    another, and the digest of its skeleton (each region's lines replaced by its name)."""
    found = []
    for function in _functions(summary):
        text = "".join(lines[function.start - 1 : function.end])
        found.append((function.qualname, function.start, function.end, digest(text.encode("utf-8", "surrogatepass"))))
    skeleton: List[str] = []
    position = 0
    for name, start, end, _ in found:
        skeleton.extend(lines[position : start - 1])
        skeleton.append(f"\0{name}\n")
        position = end
    skeleton.extend(lines[position:])
    return tuple(found), digest("".join(skeleton).encode("utf-8", "surrogatepass"))


def region_at(regions: Sequence[Sequence], line: int, starts: Optional[Sequence[int]] = None) -> str:
    """The name of the region holding a line (MODULE outside every one). `starts`: the regions'
    first lines, when the caller asks for many lines."""
    index = bisect.bisect_right(starts if starts is not None else [r[1] for r in regions], line) - 1
    if index >= 0 and regions[index][1] <= line <= regions[index][2]:
        return regions[index][0]
    return MODULE


def line_mapping(old: Sequence[Region], new: Sequence[Region]) -> Optional[Callable[[int], int]]:
    """Where each line of a file's old text is in its new text, when the two have the same
    regions (by name, in order) and the same skeleton: a line inside a region keeps its place
    in the region; a line outside moves by what the regions above it grew. None when the
    regions differ."""
    if [r[0] for r in old] != [r[0] for r in new]:
        return None
    starts = [r[1] for r in old]

    def moved(line: int) -> int:
        index = bisect.bisect_right(starts, line) - 1
        if index < 0:
            return line
        before, after = old[index], new[index]
        if line <= before[2]:
            return after[1] + line - before[1]
        return after[2] + line - before[2]

    return moved


def call_regions(text: str, regions: Sequence[Region], name: str) -> str:
    """The regions where a file calls `name` (see `called_lines`), sorted, as one line of text:
    what a search for the callers of a function found in the file, and depends on."""
    return regions_holding(regions, (line for line, called in called_lines(text) if called == name))


# A name called: `name(`, `x.name(`, `name\n(`; not `def name(` nor `class Name(`. The forward
# pattern, `\b(?<!def )(?<!class )([A-Za-z_]\w*)\s*\(`, is tried at every word of a file; read
# backwards from each `(`, the same names are found six times faster (a literal first is what
# `re` searches for fastest). The word read must start with a letter or `_` (`2x(` is no call).
_CALLED_BACKWARDS = re.compile(r"\(\s*(\w+)(?!\w)(?! fed)(?! ssalc)")
_NAME_START = frozenset(string.ascii_letters + "_")


def called_names(text: str) -> FrozenSet[str]:
    """The names a text calls (see `called_lines`)."""
    return frozenset(w[::-1] for w in _CALLED_BACKWARDS.findall(text[::-1]) if w[-1] in _NAME_START)


def called_lines(text: str) -> List[Tuple[int, str]]:
    """Each name a text calls, with its line (1-based), in the order of the text."""
    end = len(text)
    starts = [
        (end - match.end(1), match[1][::-1])
        for match in _CALLED_BACKWARDS.finditer(text[::-1])
        if match[1][-1] in _NAME_START
    ]
    found = []
    line, position = 1, 0
    for start, name in reversed(starts):
        line += text.count("\n", position, start)
        position = start
        found.append((line, name))
    return found


def match_lines(text: str, pattern: Pattern[str]) -> Iterator[Tuple[int, Match[str]]]:
    """Each match of a pattern with its line (1-based), newlines counted from match to match."""
    line, position = 1, 0
    for match in pattern.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        yield line, match


def regions_holding(regions: Sequence[Sequence], lines: Iterable[int]) -> str:
    """The regions that hold the given lines, sorted, as one line of text."""
    starts = [r[1] for r in regions]
    return " ".join(sorted({region_at(regions, line, starts) for line in lines}))


def matches_in(text: str, regions: Iterable[Region], pattern: Pattern[str]) -> bool:
    """Whether any of the given regions of a file's text has a line that matches `pattern`."""
    lines = split_lines(text)
    return any(pattern.search("".join(lines[start - 1 : end])) for _, start, end, _ in regions)


def names_pattern(names: Iterable[str]) -> Optional[Pattern[str]]:
    """A call of any of the names (`name(`, `x.name(`); None for no names."""
    names = sorted(names)
    return re.compile(rf"\b(?:{'|'.join(map(re.escape, names))})\s*\(") if names else None
