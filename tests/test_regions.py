"""A file cut into regions (its functions) and a skeleton: what an edit inside one function
changes, and where the lines of the others move (see `project.regions`)."""

from __future__ import annotations

import ast
import re

from pkify.diagnostics import Diagnostic, line_ref
from pkify.project.cache import digest
from pkify.project.regions import (
    MODULE,
    call_regions,
    called_lines,
    called_names,
    line_mapping,
    match_lines,
    region_at,
    regions_of,
    split_lines,
)
from pkify.project.summary import summarise

HINT = re.compile(r"\w+\(")

SOURCE = """\
import os


def first(rows):
    return rows


class Views:
    limit = 3

    @property
    def second(self):
        return first([])


TAIL = first([1])
"""


def summarised(source: str):
    hint_lines = [line for line, _ in match_lines(source, HINT)]
    return summarise(ast.parse(source), "shop.views", "views.py", False, source, hint_lines)


def regions(source: str):
    return regions_of(summarised(source), split_lines(source), digest)


def test_regions_are_the_functions_and_methods_decorators_included() -> None:
    found, _ = regions(SOURCE)
    assert [(name, start, end) for name, start, end, _ in found] == [("first", 4, 5), ("Views.second", 11, 13)]
    assert region_at(found, 12) == "Views.second" and region_at(found, 9) == MODULE and region_at(found, 16) == MODULE


def test_an_edit_inside_a_function_changes_its_region_only() -> None:
    before, skeleton = regions(SOURCE)
    after, same = regions(SOURCE.replace("    return rows\n", "    rows = rows or []\n    return rows\n"))
    assert same == skeleton
    assert [r[3] for r in before][1:] == [r[3] for r in after][1:] and before[0][3] != after[0][3]
    _, other = regions(SOURCE.replace("    limit = 3", "    limit = 4"))
    assert other != skeleton, "a class body is part of the skeleton"


def test_lines_move_with_the_regions_above_them() -> None:
    before, _ = regions(SOURCE)
    after, _ = regions(SOURCE.replace("    return rows\n", "    rows = rows or []\n    return rows\n"))
    moved = line_mapping(before, after)
    assert moved is not None
    assert [moved(n) for n in (1, 4, 9, 12, 16)] == [1, 4, 10, 13, 17]
    renamed, _ = regions(SOURCE.replace("def first", "def primary"))
    assert line_mapping(before, renamed) is None


def test_which_functions_call_a_name() -> None:
    found, _ = regions(SOURCE)
    assert call_regions(SOURCE, found, "first") == "<module> Views.second"
    assert call_regions(SOURCE, found, "print") == ""


CALLS = """\
def send(order):
    notify(order)
class Receipt(Base): pass
undef_x = x.refresh (
    order)
total = sum\t(
    2x(1), _private(3), é1(4), naïve(5))
if classy(order): deliver(order); deliver(order)
"""


def test_the_names_a_text_calls_are_read_backwards_from_each_parenthesis() -> None:
    """What the forward pattern finds (every `name(` but `def name(` and `class Name(`), with
    its line: the names of calls broken before `(`, of methods, of names that merely begin with
    `def`/`class`; not a word that starts with a digit or a letter outside ASCII."""
    forward = re.compile(r"\b(?<!def )(?<!class )([A-Za-z_]\w*)\s*\(")
    expected = [(CALLS.count("\n", 0, m.start()) + 1, m[1]) for m in forward.finditer(CALLS)]
    assert called_lines(CALLS) == expected == [
        (2, "notify"), (4, "refresh"), (6, "sum"), (7, "_private"), (7, "naïve"), (8, "classy"), (8, "deliver"),
        (8, "deliver"),
    ]
    assert called_names(CALLS) == {name for _, name in expected}


def test_lines_are_counted_as_python_counts_them() -> None:
    assert split_lines("a = 1\x0c\nb = 2\r\nc") == ["a = 1\x0c\n", "b = 2\r\n", "c"]


def test_a_diagnostic_moves_with_the_lines_its_message_names() -> None:
    made = Diagnostic("v.py", 12, 5, "CEL101", f"`order` (from `get(...)`, {line_ref(9)}); at {line_ref(100)}", 12, 10)
    assert made.message == "`order` (from `get(...)`, line 9); at line 100"
    moved = made.moved(lambda line: line + 1 if line < 50 else line + 900)
    assert (moved.line, moved.end_line) == (13, 13)
    assert moved.message == "`order` (from `get(...)`, line 10); at line 1000"
    again = Diagnostic.from_row("v.py", moved.row()).moved(lambda line: line - 1)
    assert again.message == "`order` (from `get(...)`, line 9); at line 999"


def test_a_function_after_a_form_feed_is_read_where_python_counts_it() -> None:
    """Old modules separate sections with a form feed (`^L`): `str.splitlines` makes two lines
    of it where Python counts one, and a function below would be read one line off."""
    source = "def first():\n    pass\n\x0c\ndef second(order):\n    order.save()\n    return order\n"
    summary = summarised(source)
    assert summary.functions["second"].returns_value
    found, _ = regions(source)
    assert [(name, start, end) for name, start, end, _ in found] == [("first", 1, 2), ("second", 4, 6)]
