"""Django's web layer for the analysis: requests, ModelForms, generic views, the admin (actions
and hooks), and the parameters of signal receivers."""

from __future__ import annotations

from typing import Dict, Optional

from ...analysis.plugin import Plugin
from ...analysis.state import Function
from ...analysis.values import ObjectValue, Origin, Value
from ...project.index import TypeForm, last
from ...project.summary import Ref
from ..django_orm.plugin import DjangoORM
from ..django_orm.values import Instance, QuerySet
from . import names
from .catalog import WebCatalog
from .values import Admin, Form, Request, View

VIEWS = names.SINGLE_OBJECT_VIEWS | names.MULTIPLE_OBJECT_VIEWS


class DjangoWeb(Plugin):
    def __init__(self, state) -> None:
        super().__init__(state)
        self.catalog = WebCatalog(state.index, state.plugin(DjangoORM).catalog)

    def attribute(self, base: Value, name: str, origin: Origin) -> Optional[Value]:
        if name == "request" and isinstance(base, ObjectValue):
            return Request()  # `self.request` of a view, a form, a serializer ...
        return None

    def instance_value(self, class_qualname: str, origin: Origin) -> Optional[Value]:
        index = self.state.index
        if index.has_ancestor(class_qualname, names.MODEL_FORMS):
            return Form(class_qualname, self.catalog.meta_model(class_qualname))
        if index.has_ancestor(class_qualname, names.HTTP_REQUESTS):  # `request: AuthenticatedHttpRequest`
            return Request(class_qualname)
        return None

    def self_value(self, class_qualname: str, origin: Origin) -> Optional[Value]:
        index = self.state.index
        if index.has_ancestor(class_qualname, VIEWS):
            return View(class_qualname, self.catalog.view_model(class_qualname))
        if index.has_ancestor(class_qualname, names.MODEL_ADMINS):
            return Admin(class_qualname, self.catalog.admin_model(class_qualname))
        return None

    def annotation_value(self, form: TypeForm, origin: Origin, receiver: Value) -> Optional[Value]:
        if not form.args and form.qualname in names.HTTP_REQUESTS:
            return Request()
        return None

    def parameter_values(self, function: Function) -> Dict[str, Value]:
        """Signal receivers, admin actions and hooks, `form_valid` of model form views; and a
        parameter named `request`, which is the request."""
        catalog, index = self.catalog, self.state.index
        owner, name = function.owner, function.name
        roles: Dict[str, Value] = {}
        receiver = catalog.receiver(function.qualname)
        if receiver is not None:
            signal, sender = receiver
            how = Origin(how=f"`{last(signal)}` receiver's")
            if signal in names.USER_SIGNALS:
                roles["user"] = Instance(self.state.plugin(DjangoORM).catalog.user_model(), how)
            else:
                roles["instance"] = Instance(None if signal in names.M2M_CHANGED else sender, how)
        admin = catalog.admin_action(function.qualname)
        action = any(
            index.expr_qualname(function.module, Ref(d)) in names.ADMIN_ACTION for d in function.decorators if d
        )
        if admin is not None or (owner is None and action):
            roles["queryset"] = QuerySet(admin or None, Origin(how="the admin action's"))
        if owner is not None and index.has_ancestor(owner, names.MODEL_ADMINS):
            model = catalog.admin_model(owner)
            roles["queryset"] = QuerySet(model, Origin(how="the admin method's"))
            if name in names.ADMIN_OBJ_METHODS:
                roles["obj"] = Instance(model, Origin(how=f"`{name}`'s"))
            if name in names.ADMIN_FORM_METHODS:
                roles["form"] = Form(None, model)
        if owner is not None and name == "form_valid" and index.has_ancestor(owner, names.MODEL_FORM_VIEWS):
            roles["form"] = Form(None, catalog.view_model(owner))
        roles.setdefault("request", Request())
        return roles
