"""A patcher of a task (`mock.patch("shop.tasks.send_receipt")`) and the mock that stands for the
task while it is active; and an assertion on that mock, as a fact. No libcst here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from ...analysis.values import UNKNOWN, Args, Origin, Value
from ..celery import names as celery
from ..celery.values import Task, TaskCall

if TYPE_CHECKING:  # pragma: no cover
    from ...analysis.state import InferenceState


@dataclass(frozen=True)
class Patcher(Value):
    """`mock.patch(...)` of a task: a context manager, a decorator, or started by hand."""

    task: Task

    def entered(self) -> Value:
        return TaskMock(self.task)

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional[Value]:
        return TaskMock(self.task) if name == "start" else UNKNOWN


@dataclass(frozen=True)
class TaskMock(Value):
    """The mock that stands for a task (`method`: for one of its methods, `mock.delay`)."""

    task: Task
    method: Optional[str] = None

    def attribute(self, state: "InferenceState", name: str, origin: Origin) -> Value:
        if self.method is None and name in celery.TASK_METHODS:
            return TaskMock(self.task, name)
        return UNKNOWN


class MockCall(TaskCall):
    """`mock.assert_called_with(order)`, `mock.delay.assert_called_once_with(order)`: what the
    test expects the task to receive. Nothing is sent (no rule reports it); a fix rewrites it
    with the task's other callers."""

    @property
    def sends(self) -> bool:
        return False
