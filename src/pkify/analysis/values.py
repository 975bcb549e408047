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
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

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

    def appended(self, item: "Value") -> "Value":
        """The list this value is once `item` is appended to it (`rows.append(row)`)."""
        return UNKNOWN

    def holds_rows(self) -> bool:
        """A list of rows: an empty list joined with it is it (`rows = []` then appends)."""
        return False

    def leaves_model_open(self) -> bool:
        """Rows or a QuerySet of some model, not known which (`qs: QuerySet`)."""
        return False

    def updated(self, entries: "Optional[Tuple[Entry, ...]]") -> "Value":
        """The dict this value is once `d[key] = v` / `d.update(...)` wrote these keys (None:
        keys pkify cannot read). Values that are not dicts stay as they are."""
        return self

    def without(self, key: str) -> "Value":
        """The dict this value is once `del d[key]` / `d.pop(key)` took the key out."""
        return self

    def join_other(self, other: "Value") -> "Value":
        """Join with a value of another type, when both are one thing for the rules (rows in a
        list and rows in a QuerySet); UNKNOWN otherwise."""
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

    def or_none(self) -> "Value":
        """This value, or None (a function that returns it on some paths and None on others): a
        caller that passes it on sends it whenever it is not None."""
        return self

    def not_none(self) -> "Value":
        """This value where a test (`if x:`, `if x is not None:`) has ruled None out."""
        return self

    def join_same(self, other: "Value") -> "Value":
        """Join with a value of the same type (`join` handles the rest)."""
        return self if self.same_as(other) else UNKNOWN

    def same_as(self, other: "Value") -> bool:
        return self == other

    def classes(self) -> Tuple[str, ...]:
        """The project classes whose methods `value.method(...)` calls (an object's class, a
        model's, a manager's and its QuerySet's)."""
        return ()

    def entered(self) -> "Value":
        """What `with value as name:` binds to `name`."""
        return UNKNOWN

    def inherited(self) -> "Value":
        """The value as the framework's own base class sees it, for `super().method()` when no
        project class further up defines the method (a Manager without the project's methods)."""
        return self


@dataclass(frozen=True)
class Subscript:
    """What is inside `[...]`: an index with its literal when it has one, or a slice."""

    is_slice: bool = False
    step: bool = False  # a slice with a step
    literal: Any = None  # an integer or string index
    value: Optional[Value] = None


@dataclass(frozen=True)
class Unknown(Value):
    def updated(self, entries: "Optional[Tuple[Entry, ...]]") -> Value:
        # a dict pkify could not follow, then `d["order"] = order`: that key is known
        return Mapping(last_wins(list(entries))) if entries else UNKNOWN


UNKNOWN = Unknown()
# What `InferenceState.parameter_from_callers` answers when it sees no call of the function at
# all (nothing calls it, or only code pkify does not read): unknown, and a `Parameter` then asks
# what the function reads off it (`InferenceState.parameter_from_uses`).
NOT_CALLED = Unknown()


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
class NoneValue(Scalar):
    """`None` (or `False`, which code returns the same way: "no row"): a scalar, which a
    function's other returns and an attribute's other assignments absorb (see `join_returns`)."""


NONE = NoneValue()


@dataclass(frozen=True)
class Item:
    """One element of a written-out tuple or list, with its expression (to point at it)."""

    value: Value
    node: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class Sequence(Value):
    """A tuple or list written out (`(order, 5)`), element by element."""

    items: Tuple[Item, ...]
    kind: str = "tuple"  # "tuple", "list", "set", "frozenset"
    origin: Origin = field(default=NO_ORIGIN, compare=False)  # the display (a set's evidence)

    def same_as(self, other: Value) -> bool:
        return self is other  # the nodes matter to a rewrite: two displays are never one

    def appended(self, item: Value) -> Value:
        if self.kind != "list":
            return UNKNOWN
        if not self.items:  # `rows = []` then `rows.append(row)`: a list of such values
            return item.collected(None)
        return Sequence((*self.items, Item(item)), "list")

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

    def join_same(self, other: Value) -> Value:
        """Two displays of the same shape (a tuple built on two paths, or on two turns of a
        loop): element by element, keeping an element's expression only where it is the same."""
        assert isinstance(other, Sequence)
        if self is other:
            return self
        if self.kind != other.kind or len(self.items) != len(other.items):
            return UNKNOWN
        items = []
        for mine, theirs in zip(self.items, other.items):
            value = join(mine.value, theirs.value) or UNKNOWN
            items.append(Item(value, mine.node if mine.node is theirs.node else None))
        return Sequence(tuple(items), self.kind, self.origin)

    def collected(self, origin: Optional[Origin]) -> Value:
        return Collection(Sequence(tuple(Item(item.value) for item in self.items), self.kind))

    def with_origin(self, origin: Origin) -> Value:
        # The nodes of a tuple a function built stay behind, in the function: a diagnostic
        # points at the call instead.
        return Sequence(tuple(Item(item.value) for item in self.items), self.kind, origin)


@dataclass(frozen=True)
class SetValue(Value):
    """A set or frozenset built by a call or a comprehension (`set()`, `frozenset(tags)`,
    `{t.name for t in tags}`) whose elements are not values a plugin collects on its own (rows
    collected stay rows): `element` is what each element is. Written-out sets are `Sequence`s of
    kind "set"."""

    element: Value
    origin: Origin = field(compare=False)
    kind: str = "set"  # "set" or "frozenset"

    @property
    def pk(self) -> bool:
        """A set of primary keys (`{o.pk for o in orders}`)."""
        return isinstance(self.element, Scalar) and self.element.pk

    def iterate(self, state: "InferenceState") -> Value:
        return self.element

    def join_same(self, other: Value) -> Value:
        assert isinstance(other, SetValue)
        return SetValue(join(self.element, other.element) or UNKNOWN, self.origin, self.kind)

    def join_other(self, other: Value) -> Value:
        """A written-out set of plain values on the other path (`{"a"} if flag else set()`): a
        set either way. A written-out set of anything else (rows) is not told apart."""
        if not isinstance(other, Sequence) or other.kind != self.kind:
            return UNKNOWN
        if not all(isinstance(item.value, Scalar) for item in other.items):
            return UNKNOWN
        element: Optional[Value] = self.element
        for item in other.items:
            element = join(element, item.value)
        return SetValue(element or UNKNOWN, self.origin, self.kind)

    def with_origin(self, origin: Origin) -> Value:
        return replace(self, origin=origin)

    @staticmethod
    def of(collected: Value, element: Value, origin: Origin, kind: str = "set") -> Value:
        """A set of `element`s, where collecting them gives `collected`: the set, unless a
        plugin collects such elements as a value of its own (rows)."""
        if isinstance(collected, (Scalar, Unknown, Collection)):
            return SetValue(element, origin, kind)
        return collected


@dataclass(frozen=True)
class LibraryInstance(Value):
    """An instance of a class from outside the project that pkify knows by name (the standard
    library's `datetime.timedelta(...)`, see `state.LIBRARY_CLASSES`)."""

    qualname: str
    origin: Origin = field(compare=False)

    def with_origin(self, origin: Origin) -> Value:
        return replace(self, origin=origin)


@dataclass(frozen=True)
class Collection(Value):
    """A list, set or iterable whose every element is `element`, where the element is not a row
    (rows have their own value, `Instances`): `[(o.user, o.method) for o in ...]`,
    `mapping.items()`. Only what iterating over it gives matters."""

    element: Value

    def iterate(self, state: "InferenceState") -> Value:
        return self.element

    def join_same(self, other: Value) -> Value:
        assert isinstance(other, Collection)
        joined = join(self.element, other.element)
        return Collection(joined) if joined is not None and joined is not UNKNOWN else UNKNOWN

    def subscript(self, state: "InferenceState", key: Subscript, origin: Origin) -> Value:
        return UNKNOWN if key.is_slice else self.element


@dataclass(frozen=True)
class Entry:
    """One key of a dict written out: its name (None when not a string literal), its value and
    expression, and the `DictElement` or keyword `Arg` that names it (for a rewrite)."""

    key: Optional[str]
    value: Value
    node: Any = field(default=None, compare=False)
    holder: Any = field(default=None, compare=False)


def last_wins(entries: List[Entry]) -> Tuple[Entry, ...]:
    """A dict's entries as Python keeps them: a later key replaces an earlier one
    (`{**event, "order": order.pk}`), in the place of the first."""
    kept: Dict[str, int] = {}
    result: List[Entry] = []
    for entry in entries:
        if entry.key is not None and entry.key in kept:
            result[kept[entry.key]] = entry
            continue
        if entry.key is not None:
            kept[entry.key] = len(result)
        result.append(entry)
    return tuple(result)


@dataclass(frozen=True)
class Mapping(Value):
    """A dict: written out (`{"order": o}`, `dict(order=o)`), or with one value type for every
    key (`in_bulk()`)."""

    entries: Tuple[Entry, ...] = ()
    values: Value = UNKNOWN  # the value of every other key
    keys: Value = UNKNOWN  # what every other key is (`{(o.user, m): e for ...}`)
    # Every key is among the entries (a display, `dict(a=1)`, no splat of a dict pkify cannot
    # read): a key not among them is not there.
    closed: bool = field(default=False, compare=False)

    def same_as(self, other: Value) -> bool:
        return self is other

    def join_same(self, other: Value) -> Value:
        assert isinstance(other, Mapping)
        if self is other:
            return self
        # `kwargs = {} if not kwargs else kwargs`: the empty dict holds none of the other's keys
        if self.is_empty() and other.entries:
            return other
        if other.is_empty() and self.entries:
            return self
        if self.entries or other.entries:  # dicts written out: their nodes matter to a rewrite
            return UNKNOWN
        closed = self.closed and other.closed
        return Mapping((), join(self.values, other.values) or UNKNOWN, join(self.keys, other.keys) or UNKNOWN, closed)

    def updated(self, entries: Optional[Tuple[Entry, ...]]) -> Value:
        if entries is None:
            return UNKNOWN
        return Mapping(last_wins([*self.entries, *entries]), self.values, self.keys, self.closed)

    def without(self, key: str) -> Value:
        return replace(self, entries=tuple(e for e in self.entries if e.key != key))

    def is_empty(self) -> bool:
        return self.closed and not self.entries

    def iterate(self, state: "InferenceState") -> Value:
        return self.keys

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
        if name == "keys":
            return self.keys.collected(origin) if self.keys is not UNKNOWN else UNKNOWN
        if name == "items" and not self.entries and (self.keys is not UNKNOWN or self.values is not UNKNOWN):
            return Collection(Sequence((Item(self.keys), Item(self.values))))
        return UNKNOWN

    def with_origin(self, origin: Origin) -> Value:
        return Mapping(tuple(Entry(e.key, e.value) for e in self.entries), self.values, self.keys, self.closed)


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

    def classes(self) -> Tuple[str, ...]:
        return (self.qualname,)

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
class BoundMethod(Value):
    """`obj.method` read, not called (`signal.connect(self.handler)`): calling it later binds
    `self` (or `cls`) to the object."""

    symbol: "Symbol"
    receiver: Value = field(compare=False)

    def call(self, state: "InferenceState", args: Args, origin: Origin) -> Value:
        return Pending(self.symbol, self.receiver, origin, args)


@dataclass(frozen=True)
class LocalDefinition(Value):
    """A function or class defined inside the function being walked."""

    kind: str  # "function" or "class"
    name: str = ""
    qualname: str = ""  # `module.factory.<locals>.handler`, when the enclosing function is known


@dataclass(frozen=True)
class LambdaValue(Value):
    """A lambda whose body reads only its parameters and module-level names (so that what it
    returns depends on its arguments alone): `filter_callback=lambda qs: qs.filter(...)`."""

    node: Any  # cst.Lambda (libcst nodes compare by identity)
    evaluator: Any = field(compare=False, hash=False)  # one where it is written, for global names

    def call(self, state: "InferenceState", args: Args, origin: Origin) -> Value:
        return self.evaluator.lambda_result(self.node, args)


@dataclass(frozen=True)
class ObjectValue(Value):
    """An instance of a project class (`Loader()`, `self` in its methods). The framework
    plugins subclass it for objects they know more of (views, admins)."""

    qualname: str

    def attribute(self, state: "InferenceState", name: str, origin: Origin) -> Value:
        return state.object_attribute(self.qualname, name, self, origin)

    def classes(self) -> Tuple[str, ...]:
        return (self.qualname,)

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


class Deferred(Value):
    """A value inferred only when it is used (`Evaluator.force`): most are never passed to a
    task, and inferring one may mean parsing another module."""

    def resolve(self, state: "InferenceState") -> Value:
        raise NotImplementedError

    def same_as(self, other: Value) -> bool:
        return self is other


@dataclass(frozen=True)
class Pending(Deferred):
    """The result of calling a project function."""

    function: "Symbol" = field(compare=False)
    receiver: Value = field(compare=False)  # what `self` is in the call, or UNKNOWN
    origin: Origin = field(compare=False)
    args: Args = field(default=NO_ARGS, compare=False)

    def resolve(self, state: "InferenceState") -> Value:
        return state.call_result(self)


@dataclass(frozen=True)
class Joined(Deferred):
    """Values that differ along paths that meet, joined only when the name is used (most names
    a branch sets are never passed to a task)."""

    values: Tuple[Value, ...] = field(compare=False)

    def resolve(self, state: "InferenceState") -> Value:
        result: Optional[Value] = None
        for value in self.values:
            result = join(result, value.resolve(state) if isinstance(value, Deferred) else value)
        return result if result is not None else UNKNOWN


@dataclass(frozen=True)
class AttributeOf(Deferred):
    """`x.name` where `x` is not inferred yet: read when the value is used."""

    base: Deferred = field(compare=False)
    name: str = field(compare=False)
    origin: Origin = field(compare=False)

    def resolve(self, state: "InferenceState") -> Value:
        value = state.attribute(self.base.resolve(state), self.name, self.origin)
        return value.resolve(state) if isinstance(value, Deferred) else value


@dataclass(frozen=True)
class Parameter(Deferred):
    """A parameter of a project function that nothing at its definition tells: what its callers
    pass (`InferenceState.parameter_from_callers`); when pkify sees no call of the function,
    what the function reads off it (`InferenceState.parameter_from_uses`)."""

    function: "Symbol" = field(compare=False)
    name: str = field(compare=False)
    origin: Origin = field(compare=False)

    def resolve(self, state: "InferenceState") -> Value:
        found = state.parameter_from_callers(self.function, self.name)
        if found is NOT_CALLED:
            return state.parameter_from_uses(self.function, self.name)
        return found.with_origin(self.origin)


@dataclass(frozen=True)
class Sharpened(Deferred):
    """A parameter whose annotation leaves the model open (`qs: QuerySet`): what every caller
    passes when that is the same kind of value, of one model; else what the annotation says."""

    annotated: Value = field(compare=False)
    callers: Deferred = field(compare=False)

    def resolve(self, state: "InferenceState") -> Value:
        found = self.callers.resolve(state)
        return found if type(found) is type(self.annotated) and not found.leaves_model_open() else self.annotated


@dataclass(frozen=True)
class Keywords(Value):
    """`**kwargs` of a project function: a key is what the framework says it is (`entries`: a
    receiver's `instance`), else what every caller passes by that keyword
    (`self.event = kwargs.pop("event")` in a form's `__init__`)."""

    function: "Symbol" = field(compare=False)
    entries: Tuple[Entry, ...] = field(compare=False)
    origin: Origin = field(compare=False)

    def same_as(self, other: Value) -> bool:
        return self is other

    def key(self, key: Any) -> Value:
        if not isinstance(key, str):
            return UNKNOWN
        for entry in self.entries:
            if entry.key == key:
                return entry.value
        return Parameter(self.function, key, self.origin)

    def subscript(self, state: "InferenceState", key: Subscript, origin: Origin) -> Value:
        return UNKNOWN if key.is_slice else self.key(key.literal)

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional[Value]:
        first = args.first()
        if name in ("get", "pop") and first is not None:
            found = self.key(first.literal())
            default = args.positional()[1:2]
            if default and not isinstance(found, NoneValue):
                # what a caller that leaves the key out gets: the default, not None
                return Joined((found, default[0].value()))
            return found
        return UNKNOWN

    def updated(self, entries: Optional[Tuple[Entry, ...]]) -> Value:
        return replace(self, entries=last_wins([*self.entries, *entries])) if entries is not None else UNKNOWN

    def without(self, key: str) -> Value:
        return replace(self, entries=last_wins([*self.entries, Entry(key, NONE)]))

    def join_other(self, other: Value) -> Value:
        # `kwargs = {} if not kwargs else kwargs`: the empty dict holds none of its keys
        return self if isinstance(other, Mapping) and other.is_empty() else UNKNOWN


def join(a: Optional[Value], b: Optional[Value]) -> Optional[Value]:
    """What a name holds after two paths meet. `None` is a path that does not reach (unbound,
    or ended by return/raise). A name is something after the join only when it is that along
    every path, or None on some of them: an instance or None is sent as an instance whenever it
    is not None (`x.or_none()`)."""
    if a is None:
        return b
    if b is None or a is b:
        return a
    if type(a) is not type(b):
        if _empty_list(a) and b.holds_rows():  # a list before and after rows are appended to it
            return b
        if _empty_list(b) and a.holds_rows():
            return a
        if isinstance(a, Scalar) and isinstance(b, Scalar):  # None and a number
            return Scalar(pk=a.pk and b.pk)
        if isinstance(a, NoneValue):  # None on one path: the other's value, or None
            return b.or_none()
        if isinstance(b, NoneValue):
            return a.or_none()
        joined = a.join_other(b)
        return joined if joined is not UNKNOWN else b.join_other(a)
    return a.join_same(b)


def _empty_list(value: Value) -> bool:
    return isinstance(value, Sequence) and value.kind == "list" and not value.items


def join_all(values: List[Value]) -> Value:
    result: Optional[Value] = None
    for value in values:
        result = join(result, value)
    return result if result is not None else UNKNOWN


def join_returns(values: List[Value]) -> Value:
    """What a function returns, from its `return`s (and None if its end is reached): the returns
    of None make the others' join "X or None"; only None is None."""
    if not values:
        return UNKNOWN
    others = [v for v in values if not isinstance(v, NoneValue)]
    if not others:
        return NONE
    result = join_all(others)
    return result.or_none() if len(others) < len(values) else result


def join_assigned(values: List[Value]) -> Value:
    """What an attribute holds, from every value assigned to it across methods or across the
    project: an assignment pkify cannot follow says nothing (the others do), None makes it "X or
    None" (as for returns), and known values of different kinds cancel each other out."""
    return join_returns([v for v in values if v is not UNKNOWN])


def reorigin(value: Value, origin: Origin) -> Value:
    """`value` with `origin` (the values that carry one), for evidence."""
    if hasattr(value, "origin") and not isinstance(value, Pending):
        return replace(value, origin=origin)  # type: ignore[type-var]
    return value
