"""The values of Django's web layer: an HTTP request, a ModelForm (or a DRF serializer), a view,
a ModelAdmin. No libcst here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from ...analysis.values import UNKNOWN, Args, ObjectValue, Origin, Value
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
        return UNKNOWN

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional[Value]:
        if name == "auser":
            return Instance(catalog(state).user_model(), origin)
        return None


@dataclass(frozen=True)
class Form(Value):
    """A bound ModelForm of `model`, or (`kind="serializer"`) a DRF ModelSerializer."""

    qualname: Optional[str] = None
    model: Optional[str] = None
    kind: str = "form"

    def _knows_its_model(self) -> bool:
        return self.kind == "form" or self.model is not None

    def attribute(self, state: "InferenceState", name: str, origin: Origin) -> Value:
        if name == "instance" and self._knows_its_model():
            return Instance(self.model, origin)
        return UNKNOWN

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional[Value]:
        if name == "save" and self._knows_its_model():
            return Instance(self.model, origin)
        return None


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
