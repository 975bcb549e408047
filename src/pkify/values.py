"""The abstract values the inference engine computes for expressions.

A value says what an expression is known to be (a model instance, a QuerySet, a container of
instances, a task, a primary key, ...) and where that knowledge comes from (`Origin`), so that
a finding can name its evidence. `UNKNOWN` is the answer whenever pkify cannot decide; nothing
unknown is ever reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Optional, Tuple


@dataclass(frozen=True)
class Origin:
    """Where a fact comes from: an expression (`node`, rendered and located only when a finding
    is reported) or a text written here (annotations)."""

    node: Any = field(default=None, compare=False)  # a libcst node
    how: str = "from"  # "from", "annotated", "`self` in a method of", ...
    text: str = ""  # when there is no node, or to say it otherwise
    line: int = 0


class Value:
    """Base class. Subclasses are frozen dataclasses; `same_as` compares what they mean."""

    def same_as(self, other: "Value") -> bool:
        return self == other


@dataclass(frozen=True)
class Unknown(Value):
    pass


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Scalar(Value):
    """Known not to be a model object: a literal, a count, a primary key (`pk=True`)."""

    pk: bool = False


@dataclass(frozen=True)
class Instance(Value):
    model: Optional[str]  # qualified name; None: some model, not known which
    origin: Origin = field(compare=False)


@dataclass(frozen=True)
class QuerySet(Value):
    model: Optional[str]
    origin: Origin = field(compare=False)
    what: str = "queryset"  # "queryset", "manager", "related manager", "values queryset"
    queryset_class: Optional[str] = None  # a project QuerySet subclass, for its methods
    manager_class: Optional[str] = None  # a project Manager subclass, for its methods


@dataclass(frozen=True)
class Instances(Value):
    """A container or iterator whose elements are instances: `list(qs)`, `bulk_create()`."""

    model: Optional[str]
    origin: Origin = field(compare=False)


@dataclass(frozen=True)
class Sequence(Value):
    """A tuple or list written out (`(order, 5)`), element by element: the nodes are kept so
    that a finding can point at the element."""

    items: Tuple[Tuple[Any, Value], ...] = field(compare=False)  # (node or None, value)
    kind: str = "tuple"

    def same_as(self, other: Value) -> bool:
        return self is other


@dataclass(frozen=True)
class Mapping(Value):
    """A dict: written out (`{"order": o}`, `dict(order=o)`) or with one value type for every
    key (`in_bulk()`)."""

    # (key, value node, value, the DictElement or Arg that names the key)
    entries: Tuple[Tuple[Optional[str], Any, Value, Any], ...] = field(compare=False)
    values: Value = UNKNOWN  # the value of every other key

    def same_as(self, other: Value) -> bool:
        return self is other


@dataclass(frozen=True)
class ModelClass(Value):
    model: str


@dataclass(frozen=True)
class TaskRef(Value):
    """A Celery task. `task` is None when it is surely a task but not which one (the `self` of
    a bound task)."""

    task: Any = None  # index.Task


@dataclass(frozen=True)
class TaskMethod(Value):
    """`send.delay`, `send.s` ... as a value, before it is called (`partial(send.delay, x)`)."""

    receiver: Value
    method: str


@dataclass(frozen=True)
class Known(Value):
    """Something known that is not a task and not a model object: a project function or class,
    an instance of a project class, a module, an HTTP request, a form, a view ...

    `role` says what pkify can read from it ("request", "form", "serializer", "view",
    "celery-app", "function", "class", "object", "module"); `model` is the model a form,
    serializer or view is about."""

    role: str
    qualname: Optional[str] = None
    model: Optional[str] = None
    symbol: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class External(Value):
    """A name from outside the project (`django.shortcuts.get_object_or_404`, a third-party
    task). Reported like UNKNOWN, but its name lets pkify recognise library calls."""

    qualname: str


@dataclass(frozen=True)
class Pending(Value):
    """The result of calling a project function, inferred only when it is used: most results
    are never passed to a task, and inferring one may mean parsing another module."""

    function: Any = field(compare=False)  # index.Symbol of the function
    receiver: Value = field(compare=False)  # what `self` is in the call, or UNKNOWN
    origin: Origin = field(compare=False)

    def same_as(self, other: Value) -> bool:
        return self is other


def join(a: Optional[Value], b: Optional[Value]) -> Optional[Value]:
    """What a name holds after two paths meet. `None` is a path that does not reach (unbound,
    or ended by return/raise). A name is an instance after the join only when it is one along
    every path."""
    if a is None:
        return b
    if b is None or a is b:
        return a
    if type(a) is not type(b):
        return UNKNOWN
    if isinstance(a, (Instance, Instances)):
        return a if a.model == b.model else replace(a, model=None)
    if isinstance(a, QuerySet):
        if a.model == b.model and a.what == b.what:
            return a
        return QuerySet(None, a.origin, a.what if a.what == b.what else "queryset")
    if isinstance(a, Scalar):
        return Scalar(pk=a.pk and b.pk)
    return a if a.same_as(b) else UNKNOWN
