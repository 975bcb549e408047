"""CEL201's fix: a send that stands in an open transaction waits for its commit.

`task.delay(...)` becomes `task.delay_on_commit(...)` (and `apply_async` `apply_async_on_commit`)
when the task's class has those methods (Celery's Django task class, see
`TaskCatalog.django_task_class`) and the transaction is on the default database; otherwise
`transaction.on_commit(functools.partial(task.delay, ...), using=...)`: the arguments are
evaluated now, as before, and the message is sent at the commit. A send whose result is used is
left alone: deferred, it has no result yet. The sends of tasks whose signature `pkify fix`
changes (CEL101-103) are deferred the same way when they stand in a transaction, since the task
now fetches the row the transaction writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, Set, Tuple

import libcst as cst

from ..analysis.units import Unit
from ..diagnostics import Diagnostic, FileResult
from ..frameworks.celery.plugin import Celery
from ..frameworks.celery.values import TaskCall
from ..project.noqa import without_noqa
from ..rules import Context, transactions
from . import edits as E
from .local import LocalChange

if TYPE_CHECKING:  # pragma: no cover
    from .plan import Planner

TRANSACTION = "django.db.transaction"
ON_COMMIT_METHODS = {"delay": "delay_on_commit", "apply_async": "apply_async_on_commit"}


def defer_sends(
    planner: "Planner", diagnostics: List[Diagnostic], file_edits: "Dict[str, E.Edits]"
) -> List[LocalChange]:
    contexts: Dict[str, Context] = {}

    def context(path: str) -> Context:
        if path not in contexts:
            contexts[path] = planner.session.rule_context(path, Path(path))
        return contexts[path]

    wanted: Dict[str, Set[Tuple[int, int]]] = {}
    for diagnostic in diagnostics:
        wanted.setdefault(diagnostic.path, set()).add((diagnostic.line, diagnostic.column))
    calls: Dict[str, List[TaskCall]] = {}
    for path, positions in sorted(wanted.items()):
        found = planner.file_facts(path)
        if found is None:
            continue
        unit, facts = found
        calls[path] = [
            f for f in facts if isinstance(f, TaskCall) and (unit.line(f.node), unit.column(f.node)) in positions
        ]
    # The sends of the tasks whose signature changes, wherever they are.
    for decision in planner.decisions:
        if decision.reason is not None:
            continue
        for site in decision.sites:
            listed = calls.setdefault(site.path, [])
            if site.call not in listed and _in_transaction(planner, site.path, site.call, context(site.path)):
                listed.append(site.call)
    changes: List[LocalChange] = []
    for path, sends in sorted(calls.items()):
        unit = planner.units[path]
        names = _Names(planner, unit)
        for call in sorted(sends, key=lambda c: (unit.line(c.node), unit.column(c.node))):
            change = _defer(planner, path, unit, call, names, context(path), file_edits.setdefault(path, {}))
            changes.append(change)
        imports = names.imports()
        if imports:
            edits = file_edits[path]
            edits[unit.module] = E.add_top_imports(imports, edits.get(unit.module))
    return changes


def _in_transaction(planner: "Planner", path: str, call: TaskCall, context: Context) -> bool:
    """A send of a changed task that CEL201 would report (and `# noqa: CEL201` does not silence)."""
    if call.method not in transactions.SENDS or transactions.waits_for_commit(call, context):
        return False
    if transactions.transaction_around(call, context) is None:
        return False
    unit = call.unit
    probe = Diagnostic(path, unit.line(call.node), unit.column(call.node), "CEL201", "")
    source = planner.sources.get(path)
    return bool(without_noqa(FileResult(path, [probe]), Path(path), source).diagnostics)


def _defer(
    planner: "Planner", path: str, unit: Unit, call: TaskCall, names: "_Names", context: Context, edits: "E.Edits"
) -> LocalChange:
    node = call.node
    line = unit.line(node)
    what = f"`{unit.short(node)}`"
    if call.forwarded:
        return LocalChange(path, line, what, f"it sends through `{call.forwarded.rsplit('.', 1)[-1]}`")
    if not isinstance(unit.parents().get(node), cst.Expr):
        return LocalChange(path, line, what, "its result is used; deferred to the commit, it would have none yet")
    found = transactions.transaction_around(call, context)
    if found is None:  # pragma: no cover - reported, so it stands in one
        return LocalChange(path, line, what, "pkify cannot tell which transaction it stands in")
    _, using, known = found
    if not known:
        return LocalChange(path, line, what, "the transaction's database is not a literal; pkify cannot tell which")
    func = node.func
    tasks = planner.session.state.plugin(Celery).catalog
    task = call.task
    if (
        using is None
        and call.method in ON_COMMIT_METHODS
        and isinstance(func, cst.Attribute)
        and task is not None
        and task.base is None
        and not task.class_based
        and tasks.django_task_class()
    ):
        method = ON_COMMIT_METHODS[call.method]
        edits[func.attr] = E.replace_with(cst.Name(method))
        return LocalChange(path, line, f"{what} sent on commit (`{method}()`)")
    spelled = names.spell()
    if spelled is None:
        return LocalChange(path, line, what, "the names `transaction` or `functools` mean something else here")
    edits[node] = E.send_on_commit(*spelled, using)
    return LocalChange(path, line, f"{what} sent on commit (`transaction.on_commit()`)")


class _Names:
    """How a module names `transaction.on_commit` and `functools.partial`, and the imports to add
    for them (once per module)."""

    def __init__(self, planner: "Planner", unit: Unit) -> None:
        self.index = planner.session.project.index
        self.module = unit.summary
        self.wanted: Dict[str, cst.BaseStatement] = {}

    def _bound(self, name: str) -> Optional[str]:
        symbol = self.index.lookup(self.module, name)
        if symbol is None:
            return None
        return symbol.qualname

    def spell(self) -> Optional[Tuple[str, str]]:
        """`transaction.on_commit` and `functools.partial` as this module can write them (the
        imports they need are added), or None when those names are taken."""
        wanted: Dict[str, cst.BaseStatement] = {}
        if self._bound("on_commit") == f"{TRANSACTION}.on_commit":
            on_commit = "on_commit"
        elif self._bound("transaction") == TRANSACTION:
            on_commit = "transaction.on_commit"
        elif self._free("transaction"):
            on_commit = "transaction.on_commit"
            wanted["transaction"] = cst.parse_statement("from django.db import transaction")
        else:
            return None
        if self._bound("partial") == "functools.partial":
            partial = "partial"
        elif self._bound("functools") == "functools":
            partial = "functools.partial"
        elif self._free("functools"):
            partial = "functools.partial"
            wanted["functools"] = cst.parse_statement("import functools")
        else:
            return None
        self.wanted.update(wanted)
        return on_commit, partial

    def _free(self, name: str) -> bool:
        return self._bound(name) is None and name not in self.module.assignments

    def imports(self) -> List[cst.BaseStatement]:
        return [self.wanted[name] for name in sorted(self.wanted)]
