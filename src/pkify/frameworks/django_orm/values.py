"""The values of Django's ORM: a row (`Instance`), a QuerySet or manager (`QuerySet`), several
rows (`Instances`), a model class (`ModelClass`), a transaction (`Transaction`). Each knows what
its attributes, methods, elements and slices are.

No libcst here: the rules read these values without loading the parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Optional, Tuple

from ...analysis.values import (
    UNKNOWN,
    join,
    Args,
    Item,
    Mapping,
    ObjectValue,
    Origin,
    Pending,
    Scalar,
    Sequence,
    Subscript,
    Value,
)
from ...project.summary import literal
from . import names

DEFAULT_MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})

if TYPE_CHECKING:  # pragma: no cover
    from ...analysis.state import InferenceState
    from .catalog import ModelCatalog

# Methods of any value whose result is never a row (a count, a flag, nothing).
SCALAR_RESULTS = frozenset(
    {
        "count",
        "acount",
        "exists",
        "aexists",
        "aggregate",
        "aaggregate",
        "update",
        "aupdate",
        "delete",
        "adelete",
        "contains",
        "acontains",
        "explain",
        "save",
        "asave",
        "refresh_from_db",
        "arefresh_from_db",
        "full_clean",
        "clean",
    }
)


def catalog(state: "InferenceState") -> "ModelCatalog":
    from .plugin import DjangoORM

    return state.plugin(DjangoORM).catalog


@dataclass(frozen=True)
class Instance(Value):
    """A row of a model. `model`: its qualified name; None: some model, not known which."""

    model: Optional[str]
    origin: Origin = field(compare=False)
    maybe_none: bool = field(default=False, compare=False)  # or None (a function's other return)

    def leaves_model_open(self) -> bool:
        return self.model is None

    def attribute(self, state: "InferenceState", name: str, origin: Origin) -> Value:
        if name.endswith("_id"):
            return Scalar(pk=True)
        if name == "__class__" and self.model:  # `row.__class__.objects.get(pk=row.pk)`
            return ModelClass(self.model)
        model = catalog(state).model(self.model) if self.model else None
        if model is None:
            return UNKNOWN
        relation = model.fields.get(name)
        if relation is not None:
            if relation.kind == "m2m":  # a subclass of the target's default manager
                target = catalog(state).model(relation.target)
                default = target.managers.get("_default_manager") if target is not None else None
                if default is None:
                    return QuerySet(relation.target, origin, "related manager")
                return QuerySet(relation.target, origin, "related manager", default.queryset_class, default.manager_class)
            return Instance(relation.target, origin)
        if name in model.scalars or name in model.constants:
            return Scalar()
        return state.object_attribute(self.model, name, self, origin)

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional[Value]:
        if name in SCALAR_RESULTS:
            return Scalar()
        method = state.index.class_method(self.model, name)
        return Pending(method, self, origin, args) if method is not None else UNKNOWN

    def collected(self, origin: Optional[Origin]) -> Value:
        return Instances(self.model, origin if origin is not None else replace(self.origin, how="from"))

    def with_origin(self, origin: Origin) -> Value:
        return replace(self, origin=origin)

    def classes(self) -> Tuple[str, ...]:
        return (self.model,) if self.model else ()

    def join_same(self, other: Value) -> Value:
        assert isinstance(other, Instance)
        joined = self if self.model == other.model else replace(self, model=None)
        return replace(joined, maybe_none=True) if other.maybe_none and not joined.maybe_none else joined

    def or_none(self) -> Value:
        return replace(self, maybe_none=True)

    def not_none(self) -> Value:
        return replace(self, maybe_none=False) if self.maybe_none else self


@dataclass(frozen=True)
class QuerySet(Value):
    """A QuerySet, a manager or a related manager (`what`), of one model (None: not known which).
    `queryset_class` and `manager_class`: the project's QuerySet and Manager classes, for their
    own methods."""

    model: Optional[str]
    origin: Origin = field(compare=False)
    what: str = "queryset"  # "queryset", "manager", "related manager", "values queryset"
    queryset_class: Optional[str] = None
    manager_class: Optional[str] = None
    maybe_none: bool = field(default=False, compare=False)

    def leaves_model_open(self) -> bool:
        return self.model is None

    def attribute(self, state: "InferenceState", name: str, origin: Origin) -> Value:
        if name == "model" and self.model:
            return ModelClass(self.model)
        return UNKNOWN

    def classes(self) -> Tuple[str, ...]:
        return tuple(c for c in (self.manager_class, self.queryset_class) if c)

    def inherited(self) -> Value:
        return replace(self, manager_class=None, queryset_class=None)

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional[Value]:
        model = self.model
        values = self.what == "values queryset"
        for owner in (self.manager_class, self.queryset_class):  # the project's own methods first
            method = state.index.class_method(owner, name)
            if method is not None:
                return Pending(method, self, origin, args)
        if self.what == "related manager" and name in ("add", "remove", "clear", "set"):
            return Scalar()
        if name in names.INSTANCE_METHODS and not values:
            return Instance(model, origin)
        if name in names.INSTANCE_AND_FLAG_METHODS:
            return Sequence((Item(Instance(model, origin)), Item(Scalar())))
        if name in names.QUERYSET_METHODS:
            return QuerySet(model, origin, "values queryset" if values else "queryset", self.queryset_class)
        if name in names.VALUES_METHODS:
            return QuerySet(model, origin, "values queryset", self.queryset_class)
        if name in names.INSTANCE_LIST_METHODS:
            return Instances(model, origin)
        if name in names.INSTANCE_ITERATOR_METHODS and not values:
            return Instances(model, origin)
        if name in names.IN_BULK_METHODS:
            return Mapping((), Instance(model, origin))
        if name in SCALAR_RESULTS:
            return Scalar()
        return UNKNOWN

    def iterate(self, state: "InferenceState") -> Value:
        if self.what != "queryset":
            return UNKNOWN
        return Instance(self.model, replace(self.origin, how="an element of"))

    def subscript(self, state: "InferenceState", key: Subscript, origin: Origin) -> Value:
        if self.what not in ("queryset", "values queryset"):
            return UNKNOWN
        if key.is_slice and key.step:
            # A stepped slice runs the query and gives a list (QuerySet.__getitem__)
            return Instances(self.model, origin) if self.what == "queryset" else UNKNOWN
        if key.is_slice:
            return QuerySet(self.model, origin, self.what, self.queryset_class)
        if self.what == "queryset":
            return Instance(self.model, origin)
        return UNKNOWN

    def binary(self, operator: str, other: Value, origin: Origin) -> Value:
        assert isinstance(other, QuerySet)  # `paid | recent`, `paid & recent`
        return QuerySet(self.model if self.model == other.model else None, origin, self.what)

    def with_origin(self, origin: Origin) -> Value:
        return replace(self, origin=origin)

    def join_same(self, other: Value) -> Value:
        assert isinstance(other, QuerySet)
        maybe_none = self.maybe_none or other.maybe_none
        if self.model == other.model and self.what == other.what:
            return replace(self, maybe_none=maybe_none) if maybe_none != self.maybe_none else self
        what = self.what if self.what == other.what else "queryset"
        if self.model != other.model or "values queryset" in (self.what, other.what):
            return QuerySet(None, self.origin, what, maybe_none=maybe_none)
        # `qs = Order.objects` then `qs = qs.select_for_update()` on one path: Order's
        queryset_class = self.queryset_class if self.queryset_class == other.queryset_class else None
        manager_class = self.manager_class if self.manager_class == other.manager_class else None
        return QuerySet(self.model, self.origin, what, queryset_class, manager_class, maybe_none=maybe_none)

    def or_none(self) -> Value:
        return replace(self, maybe_none=True)

    def not_none(self) -> Value:
        return replace(self, maybe_none=False) if self.maybe_none else self


@dataclass(frozen=True)
class Instances(Value):
    """A container or iterator whose elements are rows: `list(qs)`, `bulk_create()`."""

    model: Optional[str]
    origin: Origin = field(compare=False)
    maybe_none: bool = field(default=False, compare=False)

    def leaves_model_open(self) -> bool:
        return self.model is None

    def iterate(self, state: "InferenceState") -> Value:
        return Instance(self.model, replace(self.origin, how="an element of"))

    def unpack(self, state: "InferenceState") -> Value:
        return Instance(self.model, self.origin)

    def appended(self, item: Value) -> Value:
        return join(self, item.collected(None)) or UNKNOWN

    def holds_rows(self) -> bool:
        return True

    def join_other(self, other: Value) -> Value:
        """Rows in a list on one path, in a QuerySet or a list written out (`[dataset]`) on the
        other: rows either way."""
        if isinstance(other, QuerySet) and other.what == "queryset":
            return Instances(self.model if self.model == other.model else None, self.origin)
        if isinstance(other, Sequence) and other.kind == "list" and other.items:
            models = {item.value.model for item in other.items if isinstance(item.value, Instance)}
            if len(models) == 1 and all(isinstance(item.value, Instance) for item in other.items):
                return Instances(self.model if models == {self.model} else None, self.origin)
        return UNKNOWN

    def subscript(self, state: "InferenceState", key: Subscript, origin: Origin) -> Value:
        return self if key.is_slice else Instance(self.model, origin)

    def collected(self, origin: Optional[Origin]) -> Value:
        return Instances(self.model, origin if origin is not None else replace(self.origin, how="from"))

    def with_origin(self, origin: Origin) -> Value:
        return replace(self, origin=origin)

    def join_same(self, other: Value) -> Value:
        assert isinstance(other, Instances)
        joined = self if self.model == other.model else replace(self, model=None)
        return replace(joined, maybe_none=True) if other.maybe_none and not joined.maybe_none else joined

    def or_none(self) -> Value:
        return replace(self, maybe_none=True)

    def not_none(self) -> Value:
        return replace(self, maybe_none=False) if self.maybe_none else self


@dataclass(frozen=True)
class ModelClass(Value):
    model: str

    def classes(self) -> Tuple[str, ...]:
        return (self.model,)

    def attribute(self, state: "InferenceState", name: str, origin: Origin) -> Value:
        model = catalog(state).model(self.model)
        if model is None:  # a library's model: its default manager, by Django's convention
            return QuerySet(self.model, origin, "manager") if name in DEFAULT_MANAGERS else UNKNOWN
        if name in model.managers:
            manager = model.managers[name]
            return QuerySet(self.model, origin, "manager", manager.queryset_class, manager.manager_class)
        if name in model.constants or name in model.scalars:
            return Scalar()
        member = state.index.class_member(self.model, name)
        return state.symbol_value(member) if member is not None and member.kind != "assignment" else UNKNOWN

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional[Value]:
        method = state.index.class_method(self.model, name)
        return Pending(method, self, origin, args) if method is not None else None

    def call(self, state: "InferenceState", args: Args, origin: Origin) -> Value:
        return Instance(self.model, origin)

    def instance(self, origin: Origin) -> Value:
        return Instance(self.model, origin)


@dataclass(frozen=True)
class ModelLoader(Value):
    """A project function every `return` of which returns what `load_model()` or
    `apps.get_model()` returns (`def load_model(name): return swapper.load_model(AppConfig.label,
    name)`): called with one literal name (`load_model("Batch")`), the project's model of that
    name or label, when only one has it."""

    qualname: str

    def call(self, state: "InferenceState", args: Args, origin: Origin) -> Value:
        words = [a.literal() for a in (*args.positional(), *(args.keyword(k) for k in args.keywords()))]
        names = [w for w in words if w is not None]
        if len(names) != 1 or not isinstance(names[0], str):
            return UNKNOWN
        model = catalog(state).model_by_label(names[0])
        return ModelClass(model) if model else UNKNOWN


@dataclass(frozen=True)
class AppConfigValue(ObjectValue):
    """`self` in a project's AppConfig: `self.get_model("Model")` is a model of its app."""

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional[Value]:
        if name == "get_model":
            from .plugin import DjangoORM

            return state.plugin(DjangoORM).model_named(args, self.app_label(state))
        return super().method_call(state, name, args, origin)

    def app_label(self, state: "InferenceState") -> Optional[str]:
        """Its `label`, else the last part of its `name` (Django's own rule)."""
        for attribute in ("label", "name"):
            member = state.index.class_member(self.qualname, attribute)
            value = literal(member.expression) if member is not None and member.kind == "assignment" else None
            if isinstance(value, str):
                return value if attribute == "label" else value.rpartition(".")[2]
        return None


@dataclass(frozen=True)
class Transaction(Value):
    """`transaction.atomic(...)` (as a context manager or a decorator), on a database alias
    (None: the default one, or one that is not a literal)."""

    using: Optional[str] = None
    literal: bool = True  # `using=` is a literal (or absent)
