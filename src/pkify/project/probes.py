"""Reads of one question about a file's text, rather than of the whole text.

A cached result depends on the files its analysis read: when one of them changes, the result is
computed again. Some queries ask a file one narrow question (does it use `notify` as a value?):
their answer, not the file's whole text, is what the result depends on. Such a read is noted as a
probe (`probe_key(path, kind, argument)`); the cache keeps the answer, and when the file
changes, the question is asked again of its new text: the result stays valid while the answer
does (an edit elsewhere in the file does not make a large module's findings be recomputed).
"""

from __future__ import annotations

import re
from typing import Callable, Dict, Optional, Tuple

SEPARATOR = "\0"


def uses_as_value(text: str, name: str) -> bool:
    """Whether the text uses `name` (or `x.name`) other than by calling it or defining it:
    passed, assigned, returned, put in a container (lines of definitions, imports and comments
    are not read)."""
    seen = set()
    for match in re.finditer(rf"\b{re.escape(name)}\b", text):
        start = text.rfind("\n", 0, match.start()) + 1
        if start in seen:
            continue
        seen.add(start)
        end = text.find("\n", match.end())
        line = text[start : end if end >= 0 else len(text)]
        if line.lstrip().startswith(("def ", "async def ", "import ", "from ", "#")):
            continue
        if _used_as_value(line, name):
            return True
    return False


def _used_as_value(line: str, name: str) -> bool:
    for found in re.finditer(rf"(?<![\w]){re.escape(name)}\b", line):
        after = line[found.end() :].lstrip()
        before = line[: found.start()].rstrip()
        if after.startswith("("):
            continue  # a call
        if after.startswith("=") and not after.startswith("=="):
            continue  # assigned to (`name = ...`), or a keyword argument's name (`name=...`)
        if before.endswith(("def", "class")) or (after.startswith(":") and before.endswith((",", "("))):
            continue  # its definition; a parameter annotated
        if re.search(r"""["'][^"']*$""", before) and re.match(r"""[^"']*["']""", after):
            continue  # inside a string
        return True
    return False


# kind -> the question, asked of a file's text with the probe's argument; its answer as text.
PROBES: Dict[str, Callable[[str, str], str]] = {
    "uses-as-value": lambda text, name: "1" if uses_as_value(text, name) else "0",
}


def probe_key(path: str, kind: str, argument: str) -> str:
    return SEPARATOR.join((path, kind, argument))


def parse_probe(key: str) -> Optional[Tuple[str, str, str]]:
    """(path, kind, argument) of a probe's key; None for a plain read of a file."""
    if SEPARATOR not in key:
        return None
    path, kind, argument = key.split(SEPARATOR, 2)
    return path, kind, argument


def answer(key: str, text: str) -> str:
    parsed = parse_probe(key)
    assert parsed is not None
    return PROBES[parsed[1]](text, parsed[2])
