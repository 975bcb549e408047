"""The values of Django's web layer: an HTTP request, a ModelForm (or a DRF serializer), a view,
a ModelAdmin. No libcst here."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Optional, Tuple

from ...analysis.values import UNKNOWN, Args, Collection, Deferred, ObjectValue, Origin, Pending, Subscript, Value
from ..django_orm.values import Instance, QuerySet, catalog
from . import names

if TYPE_CHECKING:  # pragma: no cover
    from ...analysis.state import InferenceState


@dataclass(frozen=True)
class Request(Value):
    """An HTTP request (`qualname`: a project subclass, if it is one)."""

    qualname: Optional[str] = None

    def attribute(self, state: "InferenceState", name: str, origin: Origin) -> Value:
        if name == "user":
            return Instance(catalog(state).user_model(), origin)
        if name == "FILES":
            return UploadedFiles(origin)
        return state.request_attribute(name)

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional[Value]:
        if name == "auser":
            return Instance(catalog(state).user_model(), origin)
        return None


@dataclass(frozen=True)
class UploadedFiles(Value):
    """`request.FILES`: the files uploaded with a request, by field name."""

    origin: Origin = field(compare=False)

    def subscript(self, state: "InferenceState", key: Subscript, origin: Origin) -> Value:
        return UNKNOWN if key.is_slice else UploadedFile(origin)

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional[Value]:
        if name == "get" and len(args) == 1:
            return UploadedFile(origin, maybe_none=True)
        if name in ("getlist", "values"):
            return Collection(UploadedFile(origin))
        return UNKNOWN

    def iterate(self, state: "InferenceState") -> Value:
        return UNKNOWN  # field names

    def with_origin(self, origin: Origin) -> Value:
        return replace(self, origin=origin)


@dataclass(frozen=True)
class UploadedFile(Value):
    """A file uploaded with a request (`request.FILES["report"]`, a parameter annotated
    `UploadedFile`)."""

    origin: Origin = field(compare=False)
    maybe_none: bool = field(default=False, compare=False)

    def with_origin(self, origin: Origin) -> Value:
        return replace(self, origin=origin)

    def or_none(self) -> Value:
        return replace(self, maybe_none=True)

    def not_none(self) -> Value:
        return replace(self, maybe_none=False)

    def collected(self, origin: Optional[Origin]) -> Value:
        return Collection(self)


@dataclass(frozen=True)
class SignalValue(Value):
    """One of the project's own signals (`award_signal = Signal()`)."""

    qualname: str


@dataclass(frozen=True)
class SignalArgument(Deferred):
    """A parameter of a receiver of a project signal: what the senders pass as that keyword."""

    signal: str
    name: str
    origin: Origin

    def resolve(self, state: "InferenceState") -> Value:
        from .plugin import DjangoWeb

        return state.plugin(DjangoWeb).signal_argument(self.signal, self.name).with_origin(self.origin)


# A ModelSerializer's own methods that save and return a row of its model.
SERIALIZER_SAVES = frozenset({"create", "update"})


@dataclass(frozen=True)
class Form(Value):
    """A bound ModelForm of `model`, a form that is not a ModelForm (`kind="plain"`), or
    (`kind="serializer"`) a DRF ModelSerializer."""

    qualname: Optional[str] = None
    model: Optional[str] = None
    kind: str = "form"

    def _knows_its_model(self) -> bool:
        return self.kind == "form" or (self.kind == "serializer" and self.model is not None)

    def attribute(self, state: "InferenceState", name: str, origin: Origin) -> Value:
        if name == "instance" and self._knows_its_model():
            return Instance(self.model, origin)
        if name == "cleaned_data" and self.qualname is not None and self.kind != "serializer":
            return CleanedData(self.qualname)
        if self.qualname is not None:  # what the project's form class sets (`self.event = ...`)
            return state.object_attribute(self.qualname, name, self, origin)
        return UNKNOWN

    def classes(self) -> Tuple[str, ...]:
        return (self.qualname,) if self.qualname is not None else ()

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional[Value]:
        if name == "save" and self._knows_its_model():
            return Instance(self.model, origin)
        method = state.index.class_method(self.qualname, name) if self.qualname is not None else None
        if method is not None:
            return Pending(method, self, origin, args)
        if name in SERIALIZER_SAVES and self.kind == "serializer" and self._knows_its_model():
            return Instance(self.model, origin)  # DRF's ModelSerializer.create / update
        return None

    def inherited(self) -> Value:
        """What `super()` is in the project's form or serializer class: the framework's, without
        the project's methods (`super().create(validated_data)` is DRF's `create`)."""
        return replace(self, qualname=None) if self.qualname is not None else self


@dataclass(frozen=True)
class CleanedData(Value):
    """`form.cleaned_data` of a project form class: a model choice field's key holds a row
    (rows for a multiple choice field)."""

    form: str

    def key(self, state: "InferenceState", key: object, origin: Origin) -> Value:
        from .plugin import DjangoWeb

        return state.plugin(DjangoWeb).form_field(self.form, key, origin) if isinstance(key, str) else UNKNOWN

    def subscript(self, state: "InferenceState", key: Subscript, origin: Origin) -> Value:
        return UNKNOWN if key.is_slice else self.key(state, key.literal, origin)

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional[Value]:
        first = args.first()
        if name in ("get", "pop") and first is not None:
            return self.key(state, first.literal(), origin).or_none()
        return UNKNOWN


@dataclass(frozen=True)
class View(ObjectValue):
    """`self` in a generic view of `model` (`kind="api-view"`: a DRF generic view)."""

    model: Optional[str] = None
    kind: str = "view"

    def attribute(self, state: "InferenceState", name: str, origin: Origin) -> Value:
        if name == "object" and state.index.has_ancestor(self.qualname, names.SINGLE_OBJECT_VIEWS):
            return Instance(self.model, origin)
        if name == "object_list" and self.kind == "view":
            return QuerySet(self.model, origin)
        if name == "request":
            return Request()
        return super().attribute(state, name, origin)

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional[Value]:
        if name == "get_object":
            return Instance(self.model, origin)
        if name in ("get_queryset", "filter_queryset"):
            return QuerySet(self.model, origin)
        return super().method_call(state, name, args, origin)


@dataclass(frozen=True)
class Admin(ObjectValue):
    """`self` in a ModelAdmin registered for `model`."""

    model: Optional[str] = None

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional[Value]:
        if name in ("get_queryset", "filter_queryset"):
            return QuerySet(self.model, origin)
        return super().method_call(state, name, args, origin)


@dataclass(frozen=True)
class NonAtomicRequests(Value):
    """`transaction.non_atomic_requests(...)` (or `method_decorator` of it): a view that opts out
    of `ATOMIC_REQUESTS`."""
