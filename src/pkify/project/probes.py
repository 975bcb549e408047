"""Reads of one question about a file's text, rather than of the whole text.

A cached result depends on the files its analysis read: when one of them changes, the result is
computed again. Some queries ask a file one narrow question (does it use `notify` as a value?):
their answer, not the file's whole text, is what the result depends on. Such a read is noted as a
probe (`probe_key(path, kind, argument)`); the cache keeps the answer, and when the file
changes, the question is asked again of its new text: the result stays valid while the answer
does (an edit elsewhere in the file does not make a large module's findings be recomputed).
The regions a result read (one function's text; see `project.regions`) are such probes too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Optional, Tuple

from .files import SourceError, read_source
from .regions import call_regions

if TYPE_CHECKING:  # pragma: no cover
    from .cache import FileEntry

SEPARATOR = "\0"


def uses_as_value(text: str, name: str) -> bool:
    """Whether the text uses `name` (or `x.name`) other than by calling it or defining it:
    passed, assigned, returned, put in a container (lines of definitions, imports and comments
    are not read)."""
    return next(_value_uses(text, name), None) is not None


def value_use_lines(text: str, name: str) -> List[Tuple[int, str]]:
    """(line number, line) of each use of `name` as a value (`uses_as_value`), a line as many
    times as it uses it."""
    found = []
    for start, line in _value_uses(text, name):
        number = text.count("\n", 0, start) + 1
        found += [(number, line)] * _value_use_count(line, name)
    return found


# An import statement that goes on over several lines: `from x import (\n    a,\n    b,\n)`.
CONTINUED_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+)?import[ \t]*(?:\([^)]*\)|(?:[^\n]*\\\n)+[^\n]*)", re.M)


def _value_uses(text: str, name: str) -> Iterator[Tuple[int, str]]:
    """(offset, text) of each line that uses `name` as a value."""
    seen = set()
    imports: Optional[List[Tuple[int, int]]] = None
    # `name\b`, the start checked by hand: a pattern that begins with `\b` is not searched for
    # by its first letters, twenty times slower over a large module.
    for match in re.finditer(rf"{re.escape(name)}\b", text):
        if match.start() and (text[match.start() - 1].isalnum() or text[match.start() - 1] == "_"):
            continue
        start = text.rfind("\n", 0, match.start()) + 1
        if start in seen:
            continue
        seen.add(start)
        end = text.find("\n", match.end())
        line = text[start : end if end >= 0 else len(text)]
        if line.lstrip().startswith(("def ", "async def ", "import ", "from ", "#")):
            continue
        if _value_use_count(line, name):
            if imports is None:
                imports = [m.span() for m in CONTINUED_IMPORT.finditer(text)]
            if any(begin <= start < end for begin, end in imports):
                continue  # a line of an import statement
            yield start, line


def _value_use_count(line: str, name: str) -> int:
    count = 0
    for found in re.finditer(rf"(?<![\w]){re.escape(name)}\b", line):
        after = line[found.end() :].lstrip()
        before = line[: found.start()].rstrip()
        if after.startswith("("):
            continue  # a call
        if after.startswith("=") and not after.startswith("=="):
            continue  # assigned to (`name = ...`), or a keyword argument's name (`name=...`)
        if after.startswith(("==", "!=")) or before.endswith(("==", "!=")):
            continue  # compared: nothing can call it from there
        if before.endswith(("def", "class")) or (after.startswith(":") and before.endswith((",", "("))):
            continue  # its definition; a parameter annotated
        if re.search(r"""["'][^"']*$""", before) and re.match(r"""[^"']*["']""", after):
            continue  # inside a string
        count += 1
    return count


def _region(file: "FileEntry", text: Callable[[], Optional[str]], qualname: str) -> Optional[str]:
    return next((r[3] for r in file.regions if r[0] == qualname), "-")


def _call_regions(file: "FileEntry", text: Callable[[], Optional[str]], name: str) -> Optional[str]:
    source = text()
    return None if source is None else call_regions(source, file.regions, name)


def _uses_as_value(file: "FileEntry", text: Callable[[], Optional[str]], name: str) -> Optional[str]:
    source = text()
    return None if source is None else ("1" if uses_as_value(source, name) else "0")


def _mentions(file: "FileEntry", text: Callable[[], Optional[str]], word: str) -> Optional[str]:
    source = text()
    return None if source is None else ("1" if word in source else "0")


# kind -> the question, asked of a file (its entry, its text read on demand) with the probe's
# argument; its answer as text (None: the file cannot be read).
PROBES: Dict[str, Callable[["FileEntry", Callable[[], Optional[str]], str], Optional[str]]] = {
    "uses-as-value": _uses_as_value,
    # The text of one of its functions (see `project.regions`), and the text around them.
    "region": _region,
    "skeleton": lambda file, text, _: file.skeleton,
    # Which of its functions call a name (where the callers of a function were looked for).
    "call-regions": _call_regions,
    # Whether a word is anywhere in its text.
    "mentions": _mentions,
}


def probe_key(path: str, kind: str, argument: str = "") -> str:
    return SEPARATOR.join((path, kind, argument))


def parse_probe(key: str) -> Optional[Tuple[str, str, str]]:
    """(path, kind, argument) of a probe's key; None for a plain read of a file."""
    if SEPARATOR not in key:
        return None
    path, kind, argument = key.split(SEPARATOR, 2)
    return path, kind, argument


def answer(path: str, file: "FileEntry", question: str, texts: Dict[str, Optional[str]]) -> Optional[str]:
    """A probe's answer (`question`: its kind and argument, as in its key) for a file as it is
    now; None when its text cannot be read. `texts`: the files read already."""
    kind, _, argument = question.partition(SEPARATOR)
    return PROBES[kind](file, lambda: text_of(path, texts), argument)


def text_of(path: str, texts: Dict[str, Optional[str]]) -> Optional[str]:
    """A file's text, read once for all the questions asked of it (None if it cannot be)."""
    if path not in texts:
        try:
            texts[path] = read_source(Path(path))
        except SourceError:
            texts[path] = None
    return texts[path]
