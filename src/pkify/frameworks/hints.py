"""What the project layer reads of the frameworks without loading the plugins. The pattern a
file must match to be analysed at all: files without a match hold no call the plugins record,
and are never parsed with libcst; built from the plugins' hints (Celery's one list of task
methods; a test checks that it is theirs). And the library modules whose names are another's
(GeoDjango's `models`), for the symbol index."""

from __future__ import annotations

import re
from typing import AbstractSet, Pattern

from .celery import names as celery
from .django_orm import names as django_orm


def _first_character(alternative: str) -> str:
    """The character every match of a hint starts with (each starts with one, after `\\b`)."""
    text = alternative[2:] if alternative.startswith(r"\b") else alternative
    if text[:1] in ("", "(", "[", ".", "^", "$", "*", "+", "?", "{", "|"):
        raise ValueError(f"a hint must start with a literal character: {alternative!r}")
    return text[1] if text.startswith("\\") else text[0]


def any_of(alternatives: AbstractSet[str]) -> Pattern[str]:
    """The alternatives as one pattern, which looks at a position only when its character can
    start one of them (Python's `re` tries every alternative at every position: 3x slower)."""
    firsts = "".join(sorted({re.escape(_first_character(a)) for a in alternatives}))
    return re.compile(f"(?=[{firsts}])(?:{'|'.join(sorted(alternatives))})")


HINT = any_of(celery.HINTS)
# The same without tasks' definitions: what is worth analysing in a project that stores no task
# results (what its tasks return is then never reported).
SEND_HINT = any_of(celery.HINTS - celery.TASK_DEFINITION_HINTS)
# A function that calls one of these on one of its parameters is a dispatch helper.
SEND_METHODS = celery.TASK_METHODS
# Library modules whose names are another's (the symbol index reads them as the other's).
REEXPORTS = (django_orm.GIS_MODELS,)
