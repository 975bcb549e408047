"""Units of analysis: source parsed with libcst, a whole module or one function cut out of it.

libcst is thorough and slow (about ten times `ast`): parsing every large module that holds one
task call would cost most of a run. A checked file is therefore read as fragments: from the
module's summary, the functions whose lines look like a task call are cut out of the source
(dedented) and parsed alone; what a project function returns is read the same way, from that
function alone. A unit knows where it came from, so that positions are the file's.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, replace
from typing import Dict, FrozenSet, List, Optional, Pattern, Sequence, Set, Tuple

import libcst as cst
from libcst._position import CodeRange
from libcst.metadata import PositionProvider

from ..project.files import SourceError
from ..project.regions import match_lines
from ..project.summary import FunctionSummary, ModuleSummary
from .values import Origin


@dataclass(frozen=True)
class Fragment:
    qualname: str  # inside the module: "f", "Cls.method"
    owner: Optional[str]  # the class's qualname inside the module, for a method
    start: int  # first line, decorators included (1-based)
    end: int  # last line
    indent: int  # the columns of indentation removed from its lines

    @classmethod
    def of_function(cls, function: FunctionSummary) -> "Fragment":
        """The fragment of a function, from its summary."""
        owner = function.qualname.rpartition(".")[0] or None
        return cls(function.qualname, owner, function.start, function.end, function.indent)


def parse_ast(source: str) -> Optional[ast.Module]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def hint_lines(source: str, hint: Pattern[str]) -> Set[int]:
    """The lines (1-based) where `hint` matches."""
    return {line for line, _ in match_lines(source, hint)}


def _first_line(node) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def interesting_scopes(tree: ast.Module, lines: Set[int]) -> Set[str]:
    """The functions and classes (`f`, `Cls.m`, `f.<locals>.g`) whose lines hold a hint."""
    scopes: Set[str] = set()

    def visit(body, prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + node.name
                end = node.end_lineno or node.lineno
                if any(_first_line(node) <= line <= end for line in lines):
                    scopes.add(name)
                    inner = f"{name}." if isinstance(node, ast.ClassDef) else f"{name}.<locals>."
                    visit(node.body, inner)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    visit(getattr(node, field, ()) or (), prefix)

    visit(tree.body, "")
    return scopes


def fragments(summary: ModuleSummary, lines: Set[int]) -> Optional[List[Fragment]]:
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
            found.append(Fragment.of_function(function))
            covered.update(inside)
    return sorted(found, key=lambda f: f.start) if covered >= lines else None


def cut(source_lines: Sequence[str], start: int, end: int, indent: int) -> Tuple[str, FrozenSet[int]]:
    """The lines `start`..`end` of a source (split with `regions.split_lines`, once per
    file: a file of many functions is cut many times), with `indent` columns of indentation
    removed wherever a line has them (continuation lines and string contents may have less:
    they are left as they are, which keeps the code valid), and which lines (1-based, in the
    fragment) lost them."""
    lines = list(source_lines[start - 1 : end])
    prefix = lines[0][:indent] if lines else ""
    dedented = set()
    for number, line in enumerate(lines):
        if indent and line.startswith(prefix):
            lines[number] = line[indent:]
            dedented.add(number + 1)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    return "".join(lines), frozenset(dedented)


def path_of(node: cst.CSTNode) -> Optional[str]:
    """`self.order.customer` for a chain of names and attributes, else None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def method_receiver(node: cst.CSTNode, methods: Tuple[str, ...]) -> Optional[cst.BaseExpression]:
    """`x` of a call `x.method(...)` whose method is one of `methods`; None for anything else."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in methods:
        return node.func.value
    return None


# --- parsing -------------------------------------------------------------------------------------


def parse_module(source: str) -> cst.Module:
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise SourceError(syntax_error(source, error)) from None


def syntax_error(source: str, error: cst.ParserSyntaxError) -> str:
    """One line. CPython's own message when it finds the same error: it says more ("'(' was
    never closed") than libcst's list of expected tokens. Not when it stops earlier, at syntax
    newer than itself that libcst accepts."""
    # libcst's message carries a better position than its attributes: "error at 21:35: ..."
    where = re.match(r"parser error: error at (\d+):(\d+): ", error.message)
    line, column = (int(where[1]), max(int(where[2]), 1)) if where else (error.editor_line, error.editor_column)
    reason = error.message[where.end() :] if where else error.message
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except SyntaxError as python:
        if python.lineno is not None and abs(python.lineno - line) <= 1:
            return f"syntax error at line {python.lineno}, column {python.offset}: {python.msg}"
    except (ValueError, RecursionError, MemoryError):
        pass
    return f"syntax error at line {line}, column {column}: {reason}"


# --- units ---------------------------------------------------------------------------------------


class Unit:
    """One parsed module, or one function of it (`fragment`), with what the analysis needs to
    read it: its definitions by qualified name, and positions for diagnostics."""

    def __init__(
        self,
        summary: ModuleSummary,
        module: cst.Module,
        fragment: Optional[Fragment] = None,
        dedented: FrozenSet[int] = frozenset(),
    ) -> None:
        self.summary = summary
        self.module = module
        self.fragment = fragment
        self.dedented = dedented
        self._positions: Optional[Dict[cst.CSTNode, CodeRange]] = None
        self._parents: Optional[Dict[cst.CSTNode, cst.CSTNode]] = None
        self._functions: Optional[Dict[str, Tuple[cst.FunctionDef, Optional[str]]]] = None
        if fragment is not None:
            owner = f"{summary.name}.{fragment.owner}" if fragment.owner else None
            first = module.body[0]
            assert isinstance(first, cst.FunctionDef)
            self._functions = {fragment.qualname: (first, owner)}

    @property
    def whole(self) -> bool:
        """The whole module (module-level statements included), not one function of it."""
        return self.fragment is None

    # --- text and positions ----------------------------------------------------------------------

    def positions(self) -> Dict[cst.CSTNode, CodeRange]:
        """Line and column of every node, computed the first time a diagnostic needs one: it
        costs a full code generation pass, and most checked files have no diagnostic."""
        if self._positions is None:
            provider = PositionProvider()
            provider._gen_impl(self.module)  # what MetadataWrapper does, without its extra visit
            self._positions = provider._computed  # type: ignore[assignment]
        return self._positions  # type: ignore[return-value]

    def line(self, node: cst.CSTNode) -> int:
        position = self.positions().get(node)
        if position is None:
            return 0
        return position.start.line + self._line_shift

    @property
    def _line_shift(self) -> int:
        return self.fragment.start - 1 if self.fragment else 0

    def _column(self, line: int, column: int) -> int:
        shift = self.fragment.indent if self.fragment and line in self.dedented else 0
        return column + 1 + shift

    def column(self, node: cst.CSTNode) -> int:
        if isinstance(node, (cst.Tuple, cst.GeneratorExp)) and node.lpar:
            node = node.lpar[0]  # Python's `ast` counts a tuple's or a generator's parentheses
        position = self.positions().get(node)
        if position is None:
            return 0
        return self._column(position.start.line, position.start.column)

    def end(self, node: cst.CSTNode) -> Tuple[int, int]:
        """The line and column just past the node (1-based), its closing parentheses included."""
        if isinstance(node, (cst.Tuple, cst.GeneratorExp)) and node.rpar:
            node = node.rpar[-1]
        position = self.positions().get(node)
        if position is None:
            return (0, 0)
        return (position.end.line + self._line_shift, self._column(position.end.line, position.end.column))

    def locate(self, origin: Origin) -> Origin:
        """An origin with its text and line filled in, for a message."""
        if origin.node is None:
            return origin
        return replace(origin, text=origin.text or self.short(origin.node), line=origin.line or self.line(origin.node))

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def parents(self) -> Dict[cst.CSTNode, cst.CSTNode]:
        """Each node's parent (computed the first time it is asked for)."""
        if self._parents is None:
            parents: Dict[cst.CSTNode, cst.CSTNode] = {}
            stack: List[cst.CSTNode] = [self.module]
            while stack:
                node = stack.pop()
                for child in node.children:
                    parents[child] = node
                    stack.append(child)
            self._parents = parents
        return self._parents

    @staticmethod
    def dotted(node: cst.CSTNode) -> Optional[str]:
        """`self.order` for a chain of names and attributes (it reads well with `.pk`), else None."""
        return path_of(node)

    def short(self, node: cst.CSTNode, limit: int = 60) -> str:
        """A short rendering for messages: call arguments become `...`."""
        text = _short(node, self)
        return text if len(text) <= limit else text[: limit - 3] + "..."

    # --- definitions -----------------------------------------------------------------------------

    def function(self, qualname: str) -> Optional[Tuple[cst.FunctionDef, Optional[str]]]:
        """A function definition by its qualified name inside the module ("f", "Cls.f"), with
        the qualified name of its class."""
        if self._functions is None:
            self._functions = {}
            self._collect(self.module.body, "", None)
        return self._functions.get(qualname)

    def _collect(self, statements, prefix: str, owner: Optional[str]) -> None:
        assert self._functions is not None
        for statement in statements:
            if isinstance(statement, cst.FunctionDef):
                self._functions[prefix + statement.name.value] = (statement, owner)
            elif isinstance(statement, cst.ClassDef):
                qualname = prefix + statement.name.value
                self._collect(statement.body.body, qualname + ".", f"{self.summary.name}.{qualname}")
            elif isinstance(statement, (cst.If, cst.Try)) and not prefix:
                self._collect(statement.body.body, prefix, owner)
                orelse = getattr(statement, "orelse", None)
                if orelse is not None and not isinstance(orelse, cst.If):
                    self._collect(orelse.body.body, prefix, owner)


def _short(node: cst.CSTNode, unit: Unit, depth: int = 0) -> str:
    if depth > 12:
        return "..."
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_short(node.value, unit, depth + 1)}.{node.attr.value}"
    if isinstance(node, cst.Call):
        inner = "..." if node.args else ""
        return f"{_short(node.func, unit, depth + 1)}({inner})"
    if isinstance(node, cst.Subscript):
        inner = unit.code(node.slice[0].slice) if len(node.slice) == 1 else "..."
        inner = inner if len(inner) <= 12 else "..."
        return f"{_short(node.value, unit, depth + 1)}[{inner}]"
    if isinstance(node, cst.Await):
        return f"await {_short(node.expression, unit, depth + 1)}"
    return " ".join(unit.code(node).split())
