"""unittest.mock for the analysis: a task patched by its dotted path (in any module that binds
it), as a decorator (the mock is a parameter of the test), a context manager or a started
patcher; the assertions on the mock are facts."""

from __future__ import annotations

from typing import Dict, FrozenSet, List, Optional

import libcst as cst

from ...analysis.evaluator import Evaluator
from ...analysis.facts import Fact
from ...analysis.plugin import Plugin
from ...analysis.state import Function
from ...analysis.values import Args, Origin, Value
from ...project.summary import Call, ModuleSummary, Str, literal
from ..celery import names as celery
from ..celery.recognise import fill_arguments
from ..celery.values import Task, TaskRef
from .values import MockCall, Patcher, TaskMock

PATCH = frozenset({"unittest.mock.patch", "mock.patch"})
PATCH_OBJECT = frozenset({"unittest.mock.patch.object", "mock.patch.object"})
ASSERTIONS = frozenset({"assert_called_with", "assert_called_once_with", "assert_any_call"})


class Testing(Plugin):
    def task_at(self, dotted: object) -> Optional[Task]:
        """The task a dotted path names (`shop.views.send_receipt`, where views imports it)."""
        if not isinstance(dotted, str):
            return None
        symbol = self.state.index.resolve_qualname(dotted)
        if symbol is None or symbol.kind == "external":
            return None
        value = self.state.symbol_value(symbol)
        return value.task if isinstance(value, TaskRef) else None

    def library_call(self, qualname: str, args: Args, origin: Origin) -> Optional[Value]:
        first = args.first()
        if qualname in PATCH and first is not None and args.keyword("new") is None and len(args.positional()) == 1:
            task = self.task_at(first.literal())
            return Patcher(task) if task is not None else None
        if qualname in PATCH_OBJECT and len(args.positional()) == 2 and args.keyword("new") is None:
            owner, name = args.positional()[:2]
            attribute = name.literal()
            if isinstance(attribute, str):
                value = self.state.attribute(owner.value(), attribute, origin)
                return Patcher(value.task) if isinstance(value, TaskRef) and value.task is not None else None
        return None

    def parameter_values(self, function: Function) -> Dict[str, Value]:
        """A test decorated with `@mock.patch("...task")` gets the task's mock as a parameter:
        the decorator nearest the function gives the first one after `self`."""
        symbol = self.state.index.resolve_qualname(function.qualname)
        if symbol is None or symbol.kind != "function":
            return {}
        mocks: List[Optional[TaskMock]] = []
        for decorator in reversed(symbol.function_summary.decorators):
            if not isinstance(decorator, Call) or decorator.keyword("new") is not None:
                continue
            qualname = self.state.index.expr_qualname(function.module, decorator.func)
            if len(decorator.args) > (2 if qualname in PATCH_OBJECT else 1):
                continue  # `new` given by position: the test gets no mock for it
            if qualname in PATCH and decorator.args and isinstance(decorator.args[0], Str):
                task = self.task_at(literal(decorator.args[0]))
                mocks.append(TaskMock(task) if task is not None else None)
            elif qualname in PATCH_OBJECT:
                mocks.append(self._patched_method(function, decorator))
        params = [p for p in function.params if p not in ("self", "cls")]
        return {name: mock for name, mock in zip(params, mocks) if mock is not None}

    def _patched_method(self, function: Function, decorator: Call) -> Optional[TaskMock]:
        """`@mock.patch.object(send_receipt, "delay")`: the mock of a task's method (None when
        pkify cannot tell what is patched: a mock all the same)."""
        if len(decorator.args) < 2 or not isinstance(decorator.args[1], Str):
            return None
        symbol = self.state.index.expr_symbol(function.module, decorator.args[0])
        value = self.state.symbol_value(symbol) if symbol is not None and symbol.kind != "external" else None
        if not isinstance(value, TaskRef) or value.task is None:
            return None
        method = literal(decorator.args[1])
        return TaskMock(value.task, method) if method in celery.TASK_METHODS else None

    def fact_names(self, module: ModuleSummary) -> FrozenSet[str]:
        return ASSERTIONS | celery.TASK_METHODS

    def call_fact(self, evaluator: Evaluator, node: cst.Call) -> Optional[Fact]:
        """An assertion on a task's mock (`mock.delay.assert_called_with(order)`), or a call of
        it (`mock.delay(order)`): what the test expects the task to receive."""
        func = node.func
        if not isinstance(func, cst.Attribute):
            return None
        if func.attr.value in ASSERTIONS:
            mock = evaluator.value(func.value)
            method = mock.method if isinstance(mock, TaskMock) else None
        elif func.attr.value in celery.TASK_METHODS:
            mock = evaluator.value(func.value)
            method = func.attr.value
            if not isinstance(mock, TaskMock) or mock.method is not None:
                return None
        else:
            return None
        if not isinstance(mock, TaskMock):
            return None
        call = MockCall(node, method or "call", mock.task)
        return fill_arguments(call, list(node.args), evaluator)

