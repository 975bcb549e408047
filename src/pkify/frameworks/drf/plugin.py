"""Django REST framework for the analysis: ModelSerializers, generic API views and their
`perform_*` hooks, DRF's request and `get_object_or_404`."""

from __future__ import annotations

from typing import Dict, Optional

from ...analysis.plugin import Plugin
from ...analysis.state import Function
from ...analysis.values import Args, Origin, Value
from ...project.index import TypeForm
from ..django_orm.plugin import DjangoORM
from ..django_orm.values import Instance
from ..django_web.plugin import DjangoWeb
from ..django_web.values import Form, Request, View
from . import names

GET_OBJECT_OR_404 = frozenset({"rest_framework.generics.get_object_or_404"})


class DRF(Plugin):
    def library_call(self, qualname: str, args: Args, origin: Origin) -> Optional[Value]:
        if qualname in GET_OBJECT_OR_404:  # the same as Django's
            return self.state.plugin(DjangoORM).library_call("django.shortcuts.get_object_or_404", args, origin)
        return None

    def instance_value(self, class_qualname: str, origin: Origin) -> Optional[Value]:
        index = self.state.index
        if index.has_ancestor(class_qualname, names.MODEL_SERIALIZERS):
            web = self.state.plugin(DjangoWeb).catalog
            return Form(class_qualname, web.meta_model(class_qualname), "serializer")
        if index.has_ancestor(class_qualname, names.API_REQUESTS):
            return Request(class_qualname)
        return None

    def self_value(self, class_qualname: str, origin: Origin) -> Optional[Value]:
        if self.state.index.has_ancestor(class_qualname, names.DRF_GENERIC_VIEWS):
            web = self.state.plugin(DjangoWeb).catalog
            return View(class_qualname, web.view_model(class_qualname), "api-view")
        if self.state.index.has_ancestor(class_qualname, names.MODEL_SERIALIZERS):
            return self.instance_value(class_qualname, origin)  # `self` in `create()`, `validate()`, ...
        return None

    def annotation_value(self, form: TypeForm, origin: Origin, receiver: Value) -> Optional[Value]:
        if not form.args and form.qualname in names.API_REQUESTS:
            return Request()
        return None

    def parameter_values(self, function: Function) -> Dict[str, Value]:
        """`perform_create(serializer)`, `perform_update(serializer)`, `perform_destroy(instance)`
        of a generic API view."""
        owner, name = function.owner, function.name
        if owner is None or not self.state.index.has_ancestor(owner, names.DRF_GENERIC_VIEWS):
            return {}
        model = self.state.plugin(DjangoWeb).catalog.view_model(owner)
        if name in ("perform_create", "perform_update") and model:
            return {"serializer": Form(None, model, "serializer")}
        if name == "perform_destroy":
            return {"instance": Instance(model, Origin(how="`perform_destroy`'s"))}
        return {}
