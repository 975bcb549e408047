"""Celery for the analysis: tasks (decorated functions and `Task` classes) and their methods,
Celery apps, bound tasks' `self`, and the calls that send arguments to a task (the facts)."""

from __future__ import annotations

from typing import FrozenSet, Optional

import libcst as cst

from ...analysis.evaluator import Evaluator, path_of
from ...analysis.facts import Fact
from ...analysis.plugin import Plugin
from ...analysis.state import Function
from ...analysis.values import Args, Origin, Value
from ...project.index import Symbol, last
from ...settings import Settings
from ...project.memo import memoized
from ...project.summary import Call, ModuleSummary, Ref, forwarded_call
from . import names
from .catalog import TaskCatalog
from .encoding import Encoding
from .recognise import recognise
from .results import ResultStore
from .values import CeleryApp, Task, TaskRef, TaskReturn


class Celery(Plugin):
    hints = names.HINTS

    def __init__(self, state) -> None:
        super().__init__(state)
        self.memo = state.memo
        self.catalog = TaskCatalog(state.index, state.settings.task_decorators)
        self.results = ResultStore(state.index, self.catalog)
        self.encoding = Encoding(state.index)

    # --- what the rules ask ----------------------------------------------------------------------

    def serializer(self, task: Optional[Task], settings: Settings) -> str:
        """The serializer a task's messages go through: pkify's option, else the task's
        `serializer=`, else the project's, else json (under `pickle` the messages explain another
        failure than under the others)."""
        option = dict(task.options).get("serializer") if task is not None else None
        written = option if isinstance(option, str) else None
        return settings.serializer or written or self.catalog.serializer() or "json"

    def stored_result(self, task: Optional[Task]) -> Optional[str]:
        """Where the project configures the result backend that stores what a task returns,
        with a serializer that cannot encode a row; None when it does not or pkify cannot tell."""
        return self.results.stored(task)

    def sends_on_commit(self, task: Optional[Task]) -> bool:
        """Whether the task's class sends from `transaction.on_commit(...)` by itself."""
        return task is not None and self.catalog.sends_on_commit(task)

    def registered_types(self) -> Optional[FrozenSet[str]]:
        """The types the project registers with kombu's JSON encoder; None when it registers
        something pkify cannot read."""
        return self.encoding.registered()

    # --- values ----------------------------------------------------------------------------------

    def class_value(self, symbol: Symbol) -> Optional[Value]:
        task = self.catalog.task(symbol.qualname)
        return TaskRef(task) if task is not None else None

    def function_value(self, symbol: Symbol) -> Optional[Value]:
        task = self.catalog.task(symbol.qualname)
        return TaskRef(task) if task is not None else None

    def external_value(self, qualname: str) -> Optional[Value]:
        return CeleryApp() if qualname in names.CELERY_CURRENT_APP else None

    def library_call(self, qualname: str, args: Args, origin: Origin) -> Optional[Value]:
        return CeleryApp() if qualname in names.CELERY_APP_CLASSES else None

    def instance_value(self, class_qualname: str, origin: Origin) -> Optional[Value]:
        task = self.catalog.task(class_qualname)
        if task is not None or self.catalog.is_task_class(class_qualname):
            return TaskRef(task)
        if self.state.index.has_ancestor(class_qualname, names.CELERY_APP_CLASSES):
            return CeleryApp(class_qualname)
        return None

    def self_value(self, class_qualname: str, origin: Origin) -> Optional[Value]:
        task = self.catalog.task(class_qualname)
        if task is not None or self.catalog.is_task_class(class_qualname):
            return TaskRef(task)
        return None

    def fact_names(self, module: ModuleSummary) -> FrozenSet[str]:
        """A task's methods (`delay`), its name (`send_receipt(...)` runs it here), a dispatch
        helper's, `partial` and `signature`, and what the module imports them as."""
        known = self._fact_names()
        aliases = {local for local, target in module.imports.items() if target.rpartition(".")[2] in known}
        return known | aliases if aliases else known

    @memoized(default=frozenset())
    def _fact_names(self) -> FrozenSet[str]:
        found = set(names.TASK_METHODS | names.APP_METHODS | names.LOCAL_METHODS)
        found |= {last(name) for name in names.PARTIAL | names.SIGNATURE_FUNCTIONS}
        found |= {last(qualname) for qualname in self.catalog.tasks()}
        for module in self.state.index.modules():
            functions = [*module.functions.values(), *(m for c in module.classes.values() for m in c.methods.values())]
            found |= {f.name for f in functions if forwarded_call(f, names.TASK_METHODS) is not None}
        return frozenset(found)

    def returns_fact(self, function: cst.FunctionDef) -> bool:
        """A task's body: a decorator named like a task's, or a task class's `run`."""
        if function.name.value == "run":
            return True
        configured = {last(name) for name in self.state.settings.task_decorators}
        for decorator in function.decorators:
            core = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
            name = last(path_of(core) or "")
            if name.endswith("task") or name in configured:
                return True
        return False

    def first_parameter(self, function: Function) -> Optional[Value]:
        task = self.catalog.task(function.qualname)
        return TaskRef(task) if task is not None and task.bound else None

    def assignment_value(self, symbol: Symbol) -> Optional[Value]:
        """`export = app.register_task(Export())`: the task; `app = Celery(...)`: an app."""
        value, module = symbol.node, symbol.module
        assert module is not None
        if not isinstance(value, Call) or not isinstance(value.func, Ref):
            return None
        if value.func.name.endswith(".register_task") and value.args and isinstance(value.args[0], Call):
            return self.state.expression_value(module, value.args[0])
        cls = self.state.index.expr_qualname(module, value.func)
        if cls is not None and self.state.index.has_ancestor(cls, names.CELERY_APP_CLASSES):
            return CeleryApp()
        return None

    def call_fact(self, evaluator: Evaluator, node: cst.Call) -> Optional[Fact]:
        return recognise(node, evaluator, self.catalog)

    def return_fact(self, evaluator: Evaluator, node: cst.Return, value: Value) -> Optional[Fact]:
        """A `return` in a task's own body (not in a function nested in it)."""
        scope = evaluator.scope
        task = self.catalog.task(scope.function)
        if task is None and scope.owner is not None and scope.function == f"{scope.owner}.run":
            task = self.catalog.task(scope.owner)
            task = task if task is not None and task.class_based else None
        if task is None:
            return None
        return TaskReturn(node, task, evaluator.force(value))
