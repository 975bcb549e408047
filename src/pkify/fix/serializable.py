"""CEL104's fix: a set sent to a task that only iterates over it (tests membership in it, counts
it, turns it into a set or a list again) is sent as a list: `list(tags)`, `sorted(tags)` when
its items are string or number literals. The task, its signature and its other callers stay as
they are; a list behaves the same in those uses.

Anything else is reported and left unchanged, with the reason: a set the task uses otherwise
(`tags.add(...)`, `tags | other`, passed on), a set inside a container, a task defined outside
the project; and the other kinds of CEL104 (a timedelta, a model class, a request, a file, a
form), whose fix would change what the task receives, and every caller with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Optional, Set, Tuple

import libcst as cst

from ..analysis.units import Unit
from ..analysis.values import Scalar, Sequence
from ..diagnostics import Diagnostic
from ..frameworks.celery.plugin import Celery
from ..frameworks.celery.values import Argument, TaskCall
from ..rules.cel104 import unencodable
from .local import LocalChange
from .options import display

if TYPE_CHECKING:  # pragma: no cover
    from .edits import Edits
    from .plan import Planner

# Calls that read a collection whole and do the same with a list as with a set.
READERS = frozenset({"set", "frozenset", "list", "tuple", "sorted", "len", "any", "all", "min", "max", "sum"})

LEFT = {
    "timedelta": "sending its seconds instead changes what the task receives, and every caller with it",
    "model class": "sending its label instead changes what the task receives, and every caller with it",
    "request": "pkify cannot tell which of the request's values the task needs",
    "uploaded file": "the file must be saved somewhere the worker can read it; pkify does not choose where",
    "form": "pkify cannot tell which of the form's values the task needs",
}


def fix_values(planner: "Planner", diagnostics: List[Diagnostic], file_edits: "Dict[str, Edits]") -> List[LocalChange]:
    wanted: Dict[str, Set[Tuple[int, int]]] = {}
    for diagnostic in diagnostics:
        wanted.setdefault(diagnostic.path, set()).add((diagnostic.line, diagnostic.column))
    changes: List[LocalChange] = []
    for path, positions in sorted(wanted.items()):
        found = planner.file_facts(path)
        if found is None:
            continue
        unit, facts = found
        registered = planner.session.rule_context(path).plugin(Celery).registered_types()
        for call in facts:
            if not isinstance(call, TaskCall):
                continue
            for argument in call.arguments:
                node = argument.node
                if (unit.line(node), unit.column(node)) not in positions:
                    continue
                what = unencodable(argument.value, registered)
                if what is None:  # pragma: no cover - reported, so it is one
                    continue
                change = _fix(planner, path, unit, call, argument, what.kind, what.evidence is argument.value)
                if change.reason is None:
                    file_edits.setdefault(path, {})[node] = _as_list(_sortable(argument))
                changes.append(change)
    return sorted(changes, key=lambda c: (c.path, c.line))


def _fix(
    planner: "Planner", path: str, unit: Unit, call: TaskCall, argument: Argument, kind: str, itself: bool
) -> LocalChange:
    node = argument.node
    line = unit.line(node)
    expression = unit.short(node)
    what = f"`{expression}`"
    if kind not in ("set", "frozenset"):
        return LocalChange(path, line, what, LEFT[kind])
    if not itself or not argument.exact:
        return LocalChange(path, line, what, "the set is inside a container; pkify rewrites only a set sent as it is")
    task = call.task
    if task is None or task.function is None:
        return LocalChange(path, line, what, "the task is not defined in the project; pkify cannot read what it does")
    param = _parameter(call, argument)
    if param is None:
        return LocalChange(path, line, what, "pkify cannot tell which parameter of the task receives it")
    definition = _definition(planner, task.module.path, task.function.qualname)
    if definition is None:
        return LocalChange(path, line, what, "the task's definition could not be read")
    task_unit, function = definition
    other = _other_use(function, param)
    if other is not None:
        used = task_unit.short(_around(task_unit, other))
        where = display(task.module.path)
        return LocalChange(
            path, line, what, f"the task uses `{param}` as more than an iterable (`{used}` at {where}:{task_unit.line(other)})"
        )
    call_name = "sorted" if _sortable(argument) else "list"
    return LocalChange(path, line, f"{what} sent as `{call_name}({expression})`")


def _around(unit: Unit, node: cst.CSTNode) -> cst.CSTNode:
    """The expression a use of a name stands in (`store(tags)`, `tags | {"x"}`), to quote."""
    parents = unit.parents()
    parent = parents.get(node)
    if isinstance(parent, cst.Arg):
        parent = parents.get(parent)
    return parent if isinstance(parent, cst.BaseExpression) and not isinstance(node, cst.Attribute) else node


def _parameter(call: TaskCall, argument: Argument) -> Optional[str]:
    task = call.task
    assert task is not None
    if argument.keyword is not None:
        named = {p.name for p in task.params if p.kind in ("positional", "keyword")}
        return argument.keyword if argument.keyword in named else None
    if argument.position is not None and argument.kind == "positional":
        positional = [p.name for p in task.params if p.kind == "positional"]
        return positional[argument.position] if argument.position < len(positional) else None
    return None


def _definition(planner: "Planner", path: str, qualname: str) -> Optional[Tuple[Unit, cst.FunctionDef]]:
    found = planner.file_facts(path)
    if found is None:
        return None
    unit = found[0]
    function = unit.function(qualname)
    return (unit, function[0]) if function is not None else None


def _sortable(argument: Argument) -> bool:
    """A set display whose items are all string literals, or all number literals."""
    value = argument.value
    if not isinstance(value, Sequence) or not isinstance(argument.node, cst.Set):
        return False
    kinds = set()
    for element in argument.node.elements:
        item = element.value if isinstance(element, cst.Element) else None
        if isinstance(item, (cst.SimpleString, cst.ConcatenatedString)):
            kinds.add("str")
        elif isinstance(item, (cst.Integer, cst.Float)):
            kinds.add("number")
        else:
            return False
    return len(kinds) == 1 and all(isinstance(i.value, Scalar) for i in value.items)


def _as_list(sort: bool):
    def edit(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.BaseExpression)
        inner = node.with_changes(lpar=[], rpar=[]) if node.lpar else node
        return cst.Call(func=cst.Name("sorted" if sort else "list"), args=[cst.Arg(inner)])

    return edit


def _other_use(function: cst.FunctionDef, name: str) -> Optional[cst.CSTNode]:
    """The first place the function's body uses `name` otherwise than by iterating over it,
    testing membership in it, testing it for truth or reading it whole (`READERS`); None when
    there is none. A nested function or class that reads it counts as another use."""
    finder = _Uses(name)
    function.body.visit(finder)
    return finder.other


class _Uses(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.fine: Set[int] = set()
        self.other: Optional[cst.CSTNode] = None

    def _is(self, node: Optional[cst.CSTNode]) -> bool:
        return isinstance(node, cst.Name) and node.value == self.name

    def _ok(self, node: Optional[cst.CSTNode]) -> None:
        if self._is(node):
            self.fine.add(id(node))

    def visit_For(self, node: cst.For) -> None:
        self._ok(node.iter)
        self._target(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._ok(node.iter)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        for target in node.comparisons:
            if isinstance(target.operator, (cst.In, cst.NotIn)):
                self._ok(target.comparator)

    def visit_If(self, node: cst.If) -> None:
        self._ok(node.test)

    def visit_While(self, node: cst.While) -> None:
        self._ok(node.test)

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        if isinstance(node.operator, cst.Not):
            self._ok(node.expression)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value in READERS and len(node.args) >= 1:
            first = node.args[0]
            if first.keyword is None and not first.star:
                self._ok(first.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._target(target.target)

    def _target(self, target: cst.BaseExpression) -> None:
        """A plain name bound anew (`tags = set(tags)`): what follows uses the new value."""
        if self._is(target):
            self.fine.add(id(target))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._target(element.value)

    def visit_Arg(self, node: cst.Arg) -> Optional[bool]:
        node.value.visit(self)  # `f(tags=...)`: the keyword is not the name
        return False

    def visit_Name(self, node: cst.Name) -> None:
        if self.other is None and node.value == self.name and id(node) not in self.fine:
            self.other = node

    def visit_Attribute(self, node: cst.Attribute) -> Optional[bool]:
        if self._is(node.value) and self.other is None:
            self.other = node  # `tags.add(...)`
        node.value.visit(self)
        return False  # `x.tags` is not the name
