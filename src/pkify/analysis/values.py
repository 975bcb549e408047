"""The abstract values the analysis computes for expressions, and what each does.

A value says what an expression is known to be and carries its own behaviour, as jedi's values
do (`py__getattribute__`, `py__call__`, `py__iter__`, ...): `attribute`, `method_call`, `call`,
`iterate`, `subscript`, `join_same`. The core values here know Python (literals, containers,
project modules, classes, functions and objects, names from outside the project); the framework
plugins add their own (a model instance, a QuerySet, a task) as subclasses of `Value`.

Values compare by what they mean: origins and syntax nodes never take part in equality, so a
value is a fine key for the memo (`returns_of(function, receiver)`). `UNKNOWN` is the answer
whenever pkify cannot decide; nothing unknown is ever reported.

This module imports no libcst: the rules read values on a warm run without loading the parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, List, Optional, Tuple

if TYPE_CHECKING:  # pragma: no cover
    from ..project.index import Symbol
    from .state import InferenceState


@dataclass(frozen=True)
class Origin:
    """Where a fact comes from: an expression (`node`, rendered and located only when a
    diagnostic is reported) or a text written here (annotations)."""

    node: Any = field(default=None, compare=False)  # a libcst node
    how: str = "from"  # "from", "annotated", "`self` in a method of", ...
    text: str = ""  # when there is no node, or to say it otherwise
    line: int = 0


NO_ORIGIN = Origin()


class Arg:
    """One argument of a call, evaluated on demand (see `Args`)."""

    keyword: Optional[str] = None
    star: str = ""  # "", "*" or "**"
    node: Any = None  # the expression, when the call is syntax

    def value(self) -> "Value":
        raise NotImplementedError

    def literal(self) -> Any:
        """The Python value of a string or number literal; None otherwise."""
        return None


class Args:
    """The arguments of a call, as the framework plugins read them: from syntax (the evaluator)
    or from a summary's expression (a module-level assignment)."""

    def __init__(self, items: List[Arg]) -> None:
        self.items = items

    def positional(self) -> List[Arg]:
        return [a for a in self.items if a.keyword is None and not a.star]

    def keyword(self, name: str) -> Optional[Arg]:
        return next((a for a in self.items if a.keyword == name), None)

    def keywords(self) -> List[str]:
        return [a.keyword for a in self.items if a.keyword is not None]

    def first(self) -> Optional[Arg]:
        positional = self.positional()
        return positional[0] if positional else None

    def __len__(self) -> int:
        return len(self.items)


NO_ARGS = Args([])


class Value:
    """Base class. Subclasses are frozen dataclasses. Each behaviour answers UNKNOWN (or None
    where the caller has a fallback) unless the value knows better."""

    def attribute(self, state: "InferenceState", name: str, origin: Origin) -> "Value":
        """`value.name`."""
        return UNKNOWN

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional["Value"]:
        """`value.name(...)` when the result depends on the receiver (`qs.filter()`,
        `form.save()`); None: the attribute is looked up and called."""
        return None

    def call(self, state: "InferenceState", args: Args, origin: Origin) -> "Value":
        """`value(...)`."""
        return UNKNOWN

    def iterate(self, state: "InferenceState") -> "Value":
        """What each element is, when iterating over the value."""
        return UNKNOWN

    def unpack(self, state: "InferenceState") -> "Value":
        """What each target of `a, b = value` is (a value that is not a written-out tuple)."""
        return UNKNOWN

    def subscript(self, state: "InferenceState", key: "Subscript", origin: Origin) -> "Value":
        """`value[key]`."""
        return UNKNOWN

    def binary(self, operator: str, other: "Value", origin: Origin) -> "Value":
        """`value | other`, `value & other`."""
        return UNKNOWN

    def collected(self, origin: Optional[Origin]) -> "Value":
        """A list of elements like this one (`[x for x in ...]` where each `x` is this), with
        `origin` as its evidence (None: this value's own)."""
        return UNKNOWN

    def instance(self, origin: Origin) -> "Value":
        """What `x` is inside `if isinstance(x, value):` (a class narrows; UNKNOWN: no)."""
        return UNKNOWN

    def with_origin(self, origin: Origin) -> "Value":
        """The value as a call site sees it, with the call as its evidence."""
        return self

    def join_same(self, other: "Value") -> "Value":
        """Join with a value of the same type (`join` handles the rest)."""
        return self if self.same_as(other) else UNKNOWN

    def same_as(self, other: "Value") -> bool:
        return self == other


@dataclass(frozen=True)
class Subscript:
    """What is inside `[...]`: an index with its literal when it has one, or a slice."""

    is_slice: bool = False
    step: bool = False  # a slice with a step
    literal: Any = None  # an integer or string index
    value: Optional[Value] = None


@dataclass(frozen=True)
class Unknown(Value):
    pass


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Scalar(Value):
    """Known not to be an object pkify looks for: a literal, a count, a primary key (`pk=True`)."""

    pk: bool = False

    def collected(self, origin: Optional[Origin]) -> Value:
        return Scalar(pk=self.pk)  # `[o.pk for o in orders]`

    def join_same(self, other: Value) -> Value:
        assert isinstance(other, Scalar)
        return Scalar(pk=self.pk and other.pk)


@dataclass(frozen=True)
class Item:
    """One element of a written-out tuple or list, with its expression (to point at it)."""

    value: Value
    node: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class Sequence(Value):
    """A tuple or list written out (`(order, 5)`), element by element."""

    items: Tuple[Item, ...]
    kind: str = "tuple"  # "tuple", "list", "set"

    def same_as(self, other: Value) -> bool:
        return self is other  # the nodes matter to a rewrite: two displays are never one

    def iterate(self, state: "InferenceState") -> Value:
        result: Optional[Value] = None
        for item in self.items:
            result = join(result, item.value)
        return result or UNKNOWN

    def subscript(self, state: "InferenceState", key: Subscript, origin: Origin) -> Value:
        if not key.is_slice and isinstance(key.literal, int) and not isinstance(key.literal, bool):
            if -len(self.items) <= key.literal < len(self.items):
                return self.items[key.literal].value
        return UNKNOWN

    def with_origin(self, origin: Origin) -> Value:
        # The nodes of a tuple a function built stay behind, in the function: a diagnostic
        # points at the call instead.
        return Sequence(tuple(Item(item.value) for item in self.items), self.kind)


@dataclass(frozen=True)
class Entry:
    """One key of a dict written out: its name (None when not a string literal), its value and
    expression, and the `DictElement` or keyword `Arg` that names it (for a rewrite)."""

    key: Optional[str]
    value: Value
    node: Any = field(default=None, compare=False)
    holder: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class Mapping(Value):
    """A dict: written out (`{"order": o}`, `dict(order=o)`), or with one value type for every
    key (`in_bulk()`)."""

    entries: Tuple[Entry, ...] = ()
    values: Value = UNKNOWN  # the value of every other key

    def same_as(self, other: Value) -> bool:
        return self is other

    def entry(self, key: Any) -> Optional[Value]:
        for entry in self.entries:
            if entry.key == key:
                return entry.value
        return None

    def subscript(self, state: "InferenceState", key: Subscript, origin: Origin) -> Value:
        if key.is_slice:
            return UNKNOWN
        found = self.entry(key.literal) if isinstance(key.literal, str) else None
        return found if found is not None else self.values

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional[Value]:
        if name == "values":
            return self.values.collected(origin) if self.values is not UNKNOWN else UNKNOWN
        if name == "get":
            first = args.first()
            key = first.literal() if first is not None else None
            found = self.entry(key) if isinstance(key, str) else None
            return found if found is not None else self.values
        if name == "items":
            return UNKNOWN
        return UNKNOWN

    def with_origin(self, origin: Origin) -> Value:
        return Mapping(tuple(Entry(e.key, e.value) for e in self.entries), self.values)


@dataclass(frozen=True)
class ModuleValue(Value):
    symbol: "Symbol"

    def attribute(self, state: "InferenceState", name: str, origin: Origin) -> Value:
        return state.symbol_value(state.index.member(self.symbol, name))


@dataclass(frozen=True)
class ClassValue(Value):
    """A project class that no plugin claims (not a model, not a task)."""

    symbol: "Symbol"

    @property
    def qualname(self) -> str:
        return self.symbol.qualname

    def attribute(self, state: "InferenceState", name: str, origin: Origin) -> Value:
        return state.symbol_value(state.index.member(self.symbol, name))

    def call(self, state: "InferenceState", args: Args, origin: Origin) -> Value:
        return state.instance_of(self.qualname, origin)


@dataclass(frozen=True)
class FunctionValue(Value):
    """A project function. `plain`: undecorated, or only by decorators that keep a function a
    function (otherwise it may be something else, a task made by a project decorator)."""

    symbol: "Symbol"
    plain: bool = True

    def call(self, state: "InferenceState", args: Args, origin: Origin) -> Value:
        return Pending(self.symbol, UNKNOWN, origin, args)


@dataclass(frozen=True)
class LocalDefinition(Value):
    """A function or class defined inside the function being walked."""

    kind: str  # "function" or "class"
    name: str = ""


@dataclass(frozen=True)
class ObjectValue(Value):
    """An instance of a project class (`Loader()`, `self` in its methods). The framework
    plugins subclass it for objects they know more of (views, admins)."""

    qualname: str

    def attribute(self, state: "InferenceState", name: str, origin: Origin) -> Value:
        return state.property_value(self.qualname, name, self, origin)

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional[Value]:
        method = state.index.class_method(self.qualname, name)
        return Pending(method, self, origin, args) if method is not None else None


@dataclass(frozen=True)
class External(Value):
    """A name from outside the project (`django.shortcuts.get_object_or_404`, a third-party
    task). Reported like UNKNOWN, but its name lets the plugins recognise library calls."""

    qualname: str

    def attribute(self, state: "InferenceState", name: str, origin: Origin) -> Value:
        return state.external(f"{self.qualname}.{name}")

    def call(self, state: "InferenceState", args: Args, origin: Origin) -> Value:
        return state.library_call(self.qualname, args, origin)


@dataclass(frozen=True)
class Pending(Value):
    """The result of calling a project function, inferred only when it is used: most results
    are never passed to a task, and inferring one may mean parsing another module."""

    function: "Symbol" = field(compare=False)
    receiver: Value = field(compare=False)  # what `self` is in the call, or UNKNOWN
    origin: Origin = field(compare=False)
    args: Args = field(default=NO_ARGS, compare=False)

    def same_as(self, other: Value) -> bool:
        return self is other


def join(a: Optional[Value], b: Optional[Value]) -> Optional[Value]:
    """What a name holds after two paths meet. `None` is a path that does not reach (unbound,
    or ended by return/raise). A name is something after the join only when it is that along
    every path."""
    if a is None:
        return b
    if b is None or a is b:
        return a
    if type(a) is not type(b):
        return UNKNOWN
    return a.join_same(b)


def join_all(values: List[Value]) -> Value:
    result: Optional[Value] = None
    for value in values:
        result = join(result, value)
    return result if result is not None else UNKNOWN


def reorigin(value: Value, origin: Origin) -> Value:
    """`value` with `origin` (the values that carry one), for evidence."""
    if hasattr(value, "origin") and not isinstance(value, Pending):
        return replace(value, origin=origin)  # type: ignore[type-var]
    return value
