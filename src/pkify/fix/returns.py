"""CEL105's fix: a task whose result is stored returns the primary key(s) of the rows it returned.

`return order` becomes `return order.pk`, a QuerySet `list(qs.values_list("pk", flat=True))`,
instances in a list `[obj.pk for obj in rows]` (element by element in a list or tuple written out,
entry by entry in a dict written out). Only when nothing in the project reads the task's result
as rows: a send whose value is used (`r = task.delay(...)`, `.delay(...).get()`), a direct call
or `.apply()` whose value is used, a signature (a chain, a group, a chord hand the result on), a
send with `link=`, a reference to the task pkify cannot follow, or results read by id
(`AsyncResult(...)`: pkify cannot tell of which task) keep the task as it is, with the reason.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, Pattern, Set, Tuple

import libcst as cst

from ..analysis.units import Unit
from ..analysis.values import Mapping, Sequence, Value
from ..diagnostics import Diagnostic
from ..frameworks.celery import names as celery
from ..frameworks.celery.values import Task, TaskCall
from ..frameworks.django_orm.values import Instance, Instances, QuerySet
from ..project.files import SourceError
from ..rules.returns import ReturnedRows, returned_rows
from . import edits as E
from .local import LocalChange
from .options import display

if TYPE_CHECKING:  # pragma: no cover
    from .plan import Planner

RESULT_BY_ID = re.compile(r"\bAsyncResult\s*\(")


def fix_returns(planner: "Planner", diagnostics: List[Diagnostic], file_edits: "Dict[str, E.Edits]") -> List[LocalChange]:
    wanted: Dict[str, Set[Tuple[int, int]]] = {}
    for diagnostic in diagnostics:
        wanted.setdefault(diagnostic.path, set()).add((diagnostic.line, diagnostic.column))
    changes: List[LocalChange] = []
    readers = _Readers(planner)
    for path, positions in sorted(wanted.items()):
        found = planner.file_facts(path)
        if found is None:
            continue
        unit, facts = found
        context = planner.session.rule_context(path, Path(path))
        for rows in returned_rows(facts, context):
            at = (rows.diagnostic.line, rows.diagnostic.column)
            if at not in positions:
                continue
            changes.append(_fix(path, unit, rows, readers, file_edits.setdefault(path, {})))
    return changes


def _fix(path: str, unit: Unit, rows: ReturnedRows, readers: "_Readers", edits: "E.Edits") -> LocalChange:
    node = rows.fact.node.value
    line = unit.line(node)
    what = f"`return {unit.short(node)}` in `{rows.fact.task.qualname.rsplit('.', 1)[-1]}`"
    task = rows.fact.task
    reason = readers.reader(task)
    if reason is not None:
        return LocalChange(path, line, what, reason)
    replacement = _keys(node, rows.fact.value)
    if isinstance(replacement, str):
        return LocalChange(path, line, what, replacement)
    if node in edits:
        return LocalChange(path, line, what, "another fix rewrites the same expression")
    edits[node] = E.replace_with(replacement)
    return LocalChange(path, line, f"{what} returns `{unit.code(replacement)}`")


def _keys(node: cst.BaseExpression, value: Value) -> "cst.BaseExpression | str":
    """The expression that returns the keys of the rows `node` returns, or why there is none."""
    if isinstance(value, Instance):
        if not value.maybe_none and not _none_when_missing(value):
            return E.dot_pk(node)
        if isinstance(node, cst.Name):  # `order.pk if order is not None else None`
            return cst.parse_expression(f"{node.value}.pk if {node.value} is not None else None")
        return "it may be None, and `.pk` of None fails"
    if isinstance(value, (QuerySet, Instances)):
        if getattr(value, "maybe_none", False):
            return "it may be None"
        return E.to_pks(node, value)
    if isinstance(value, Sequence) and isinstance(node, (cst.List, cst.Tuple)):
        if len(node.elements) != len(value.items) or any(isinstance(e, cst.StarredElement) for e in node.elements):
            return "pkify cannot tell which elements are rows"
        elements: List[cst.BaseElement] = []
        for element, item in zip(node.elements, value.items):
            inner = _keys(element.value, item.value) if _rows(item.value) else element.value
            if isinstance(inner, str):
                return inner
            elements.append(element.with_changes(value=inner))
        return node.with_changes(elements=elements)
    if isinstance(value, Mapping) and isinstance(node, cst.Dict):
        entries = {id(entry.node): entry for entry in value.entries if entry.node is not None}
        entries_out: List[cst.BaseDictElement] = []
        for pair in node.elements:
            if not isinstance(pair, cst.DictElement):
                return "pkify cannot tell which entries are rows"
            entry = entries.get(id(pair.value))
            if entry is None:
                return "pkify cannot tell which entries are rows"
            inner = _keys(pair.value, entry.value) if _rows(entry.value) else pair.value
            if isinstance(inner, str):
                return inner
            entries_out.append(pair.with_changes(value=inner))
        return node.with_changes(elements=entries_out)
    return "pkify cannot tell how to return its keys"


def _none_when_missing(value: Instance) -> bool:
    """From `.first()` or `.last()`: None when there is no row."""
    made = value.origin.node
    return (
        isinstance(made, cst.Call)
        and isinstance(made.func, cst.Attribute)
        and made.func.attr.value in ("first", "last")
    )


def _rows(value: Value) -> bool:
    from ..rules.arguments import offending

    return offending(value)


# --- who reads the task's result -----------------------------------------------------------------


class _Readers:
    """Who reads the results of tasks, over the whole project: each file read once, analysed
    once when it names a task asked about."""

    def __init__(self, planner: "Planner") -> None:
        self.planner = planner
        self.sources: Optional[Dict[str, str]] = None
        self.by_id: Optional[str] = None  # where results are read by id, if anywhere
        self.facts: Dict[Tuple[str, str], Optional[Tuple[Unit, list]]] = {}
        self.answers: Dict[str, Optional[str]] = {}

    def _read(self) -> Dict[str, str]:
        if self.sources is None:
            project = self.planner.session.project
            self.sources = {}
            for file in project.every_python_file():
                try:
                    source = project.read(file)
                except SourceError:
                    continue
                self.sources[str(file)] = source
                found = RESULT_BY_ID.search(source)
                if found is not None and self.by_id is None:
                    line = source.count("\n", 0, found.start()) + 1
                    self.by_id = f"{display(str(file))}:{line}"
        return self.sources

    def reader(self, task: Task) -> Optional[str]:
        """Where the project reads the task's result (as the reason to leave it alone), or None."""
        if task.qualname not in self.answers:
            self.answers[task.qualname] = self._reader(task)
        return self.answers[task.qualname]

    def _reader(self, task: Task) -> Optional[str]:
        sources = self._read()
        if self.by_id is not None:
            return f"the project reads results by id (`AsyncResult(...)`, {self.by_id}); pkify cannot tell of which task"
        names = _names(self.planner, task)
        words = re.compile(r"\b(?:%s)\b" % "|".join(map(re.escape, sorted(names))))
        # The functions that name the task (a direct call of it matches no other hint).
        hint = re.compile(f"{self.planner.session.hint.pattern}|{words.pattern}")
        for path, source in sorted(sources.items()):
            if path != task.module.path and not words.search(source):
                continue
            analysed = self._facts(path, source, hint)
            if analysed is not None:
                found = _reader_in(analysed[0], analysed[1], task, names, path)
                if found is not None:
                    return found
        return None

    def _facts(self, path: str, source: str, hint: Pattern[str]) -> Optional[Tuple[Unit, list]]:
        key = (path, hint.pattern)
        if key not in self.facts:
            try:
                self.facts[key] = self.planner.session.module_facts(Path(path), source, hint)
            except SourceError:
                self.facts[key] = None
        return self.facts[key]


def _reader_in(unit: Unit, facts, task: Task, names: Set[str], path: str) -> Optional[str]:
    calls = [f for f in facts if isinstance(f, TaskCall) and f.task is not None and f.task.qualname == task.qualname]
    parents = unit.parents()
    for call in calls:
        if call.method == "retry":
            continue  # the task retries itself: no result is read
        where = f"`{unit.short(call.node)}`, {display(path)}:{unit.line(call.node)}"
        if call.method in celery.SIGNATURES or call.method in ("map", "starmap", "chunks"):
            return f"a signature of it ({where}) hands its result on"
        if any(arg.keyword is not None and arg.keyword.value == "link" for arg in call.node.args):
            return f"its result goes to a `link=` callback ({where})"
        if not isinstance(parents.get(call.node), cst.Expr):
            return f"its result is used ({where})"
    positions = unit.positions()
    covered = [positions[c.node] for c in calls if c.node in positions]
    for reference in _references(unit.module, names):
        at = positions.get(reference)
        if at is None or isinstance(parents.get(reference), (cst.FunctionDef, cst.ClassDef)):
            continue  # a definition's own name
        inside = any(
            (r.start.line, r.start.column) <= (at.start.line, at.start.column)
            and (at.end.line, at.end.column) <= (r.end.line, r.end.column)
            for r in covered
        )
        if not inside:
            line = at.start.line
            return f"it is referenced where pkify cannot follow its result ({display(path)}:{line})"
    return None


def _references(module: cst.Module, names: Set[str]) -> List[cst.Name]:
    """The names that may stand for the task (not in imports: an import reads no result)."""
    found: List[cst.Name] = []

    class Visitor(cst.CSTVisitor):
        def visit_Import(self, node: cst.Import) -> bool:
            return False

        def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
            return False

        def visit_Name(self, node: cst.Name) -> None:
            if node.value in names:
                found.append(node)

    module.visit(Visitor())
    return found


def _names(planner: "Planner", task: Task) -> Set[str]:
    """The names the task goes by in the project: its own, and every import alias."""
    index = planner.session.project.index
    names = {task.qualname.rsplit(".", 1)[-1]}
    for module in index.modules():
        for local, target in module.imports.items():
            if local in names:
                continue
            symbol = index.resolve_qualname(index.absolute(module, target), module)
            if symbol is not None and symbol.qualname == task.qualname:
                names.add(local)
    return names
