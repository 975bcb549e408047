"""Parsing only what matters.

libcst is thorough and slow (about ten times `ast`): parsing every large module that holds one
task call would cost most of a run. `pkify check` therefore finds, from the module's summary,
the functions whose lines look like a task call, cuts each out of the source (dedented) and
parses only those;
what a project function returns is read the same way, from that function alone. A fragment
knows where it came from, so that positions are the file's.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass
from typing import FrozenSet, List, Optional, Pattern, Set, Tuple


@dataclass(frozen=True)
class Fragment:
    qualname: str  # inside the module: "f", "Cls.method"
    owner: Optional[str]  # the class's qualname inside the module, for a method
    start: int  # first line, decorators included (1-based)
    end: int  # last line
    indent: int  # the columns of indentation removed from its lines


def parse_ast(source: str) -> Optional[ast.Module]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def hint_lines(source: str, hint: Pattern[str]) -> Set[int]:
    return {source.count("\n", 0, m.start()) + 1 for m in hint.finditer(source)}


def _first_line(node) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def interesting_scopes(tree: ast.Module, lines: Set[int]) -> Set[str]:
    """The functions and classes (`f`, `Cls.m`, `f.<locals>.g`) whose lines hold a hint."""
    scopes: Set[str] = set()

    def visit(body, prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + node.name
                if any(_first_line(node) <= line <= node.end_lineno for line in lines):
                    scopes.add(name)
                    inner = f"{name}." if isinstance(node, ast.ClassDef) else f"{name}.<locals>."
                    visit(node.body, inner)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    visit(getattr(node, field, ()) or (), prefix)

    visit(tree.body, "")
    return scopes


def of_function(function) -> Fragment:
    """The fragment of a function, from its summary (summary.FunctionSummary)."""
    owner = function.qualname.rpartition(".")[0] or None
    return Fragment(function.qualname, owner, function.start, function.end, function.indent)


def fragments(summary, lines: Set[int]) -> Optional[List[Fragment]]:
    """The module-level functions and methods (from the module's summary, no second parse)
    whose lines hold the hint lines; None when a hint line is outside all of them (module- or
    class-level code, a function defined twice), which then needs the whole module."""
    functions = [*summary.functions.values()]
    for cls in summary.classes.values():
        functions.extend(cls.methods.values())
    found: List[Fragment] = []
    covered: Set[int] = set()
    for function in functions:
        inside = {line for line in lines if function.start <= line <= function.end}
        if inside:
            found.append(of_function(function))
            covered.update(inside)
    return sorted(found, key=lambda f: f.start) if covered >= lines else None


def cut(source: str, start: int, end: int, indent: int) -> Tuple[str, FrozenSet[int]]:
    """The lines `start`..`end`, with `indent` columns of indentation removed wherever a line
    has them (continuation lines and string contents may have less: they are left as they are,
    which keeps the code valid), and which lines (1-based, in the fragment) lost them."""
    lines = source.splitlines(keepends=True)[start - 1 : end]
    prefix = lines[0][:indent] if lines else ""
    dedented = set()
    for number, line in enumerate(lines):
        if indent and line.startswith(prefix):
            lines[number] = line[indent:]
            dedented.add(number + 1)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    return "".join(lines), frozenset(dedented)
