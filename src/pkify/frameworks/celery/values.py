"""Celery's values and facts: a task (`Task`, and `TaskRef` as a value), a task's method before it
is called (`TaskMethod`), a Celery app, and a call that sends arguments to a task (`TaskCall`,
the fact the rules read). No libcst here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, List, Optional, Tuple

from ...analysis.facts import CallContext, Fact
from ...analysis.values import UNKNOWN, Args, Origin, Value
from ...project.summary import FunctionSummary, ModuleSummary, Param
from . import names

if TYPE_CHECKING:  # pragma: no cover
    from ...analysis.state import InferenceState
    from ...analysis.units import Unit


@dataclass(frozen=True)
class Task:
    qualname: str  # function or Task class
    name: str  # the name it is registered under
    params: Tuple[Param, ...]  # without the bound `self`
    bound: bool
    module: ModuleSummary = field(compare=False)
    function: Optional[FunctionSummary] = field(compare=False)
    class_based: bool = False  # a `Task` subclass: calling the class gives the task
    base: Optional[str] = None  # the `base=` task class of the decorator, qualified
    options: Tuple[Tuple[str, Any], ...] = ()  # literal options of the decorator (`ignore_result=True`)


@dataclass(frozen=True)
class TaskRef(Value):
    """A Celery task. `task` is None when it is surely a task but not which one (the `self` of
    a bound task of a class pkify cannot see)."""

    task: Optional[Task] = None

    def attribute(self, state: "InferenceState", name: str, origin: Origin) -> Value:
        return TaskMethod(self, name) if name in names.TASK_METHODS else UNKNOWN

    def call(self, state: "InferenceState", args: Args, origin: Origin) -> Value:
        if self.task is None or self.task.class_based:
            return self  # `Export()`: an instance of a class-based task
        return UNKNOWN


@dataclass(frozen=True)
class TaskMethod(Value):
    """`send.delay`, `send.s` ... as a value, before it is called (`partial(send.delay, x)`)."""

    receiver: Value
    method: str


@dataclass(frozen=True)
class CeleryApp(Value):
    qualname: Optional[str] = None  # a project subclass of Celery

    def attribute(self, state: "InferenceState", name: str, origin: Origin) -> Value:
        return TaskMethod(self, name) if name in names.APP_METHODS else UNKNOWN


@dataclass
class Argument:
    """One value sent to a task."""

    node: Any  # where to point: the expression, or its container when elements are implicit
    value: Value
    kind: str  # "positional", "keyword", "star", "double-star", "items" (each item of `map(items)`)
    position: Optional[int] = None
    keyword: Optional[str] = None
    holder: Any = None  # the Arg or DictElement that names a keyword argument
    # `node` is the expression of this very value (False: the value is one item of what `node`
    # stands for, `args=make_args()`: a fix cannot rewrite it there).
    exact: bool = True


@dataclass(eq=False)
class TaskCall(Fact):
    """A call that sends arguments to a task, or runs it here (`method` "call", "run",
    "apply"): a fix must rewrite those too."""

    node: Any  # the libcst Call
    method: str  # "delay", "apply_async", ...; "call", "run", "apply": run here, not sent
    task: Optional[Task]  # None when the receiver is not resolved to one
    arguments: List[Argument] = field(default_factory=list)
    dynamic: bool = False  # some arguments could not be enumerated (`*args`, `args=args_from_elsewhere`)
    partial: bool = False  # a signature that gets more arguments later (`t.s()` in a chain)
    forwarded: Optional[str] = None  # the dispatch helper the arguments go through, if any
    unit: "Unit" = field(default=None, repr=False)  # type: ignore[assignment]
    context: CallContext = field(default_factory=CallContext, repr=False)

    @property
    def sends(self) -> bool:
        """Whether the arguments go through the broker (and its serializer)."""
        return self.method not in ("call", *names.LOCAL_METHODS)


@dataclass(eq=False)
class TaskReturn(Fact):
    """A `return <value>` in the body of a task (a decorated function, a task class's `run`):
    what the worker stores as the task's result when results are stored."""

    node: Any  # the libcst Return
    task: Task
    value: Value  # what it returns
    unit: "Unit" = field(default=None, repr=False)  # type: ignore[assignment]
    context: CallContext = field(default_factory=CallContext, repr=False)
