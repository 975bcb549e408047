"""Django's ORM for the analysis: model classes and rows, managers and QuerySets, the shortcuts
that fetch rows, `get_user_model()`, `apps.get_model()`, `transaction.atomic()`."""

from __future__ import annotations

from typing import Optional, Union

from ...analysis.plugin import Plugin
from ...analysis.values import UNKNOWN, Args, Origin, Scalar, Value
from ...project.index import Symbol, TypeForm
from . import names
from .catalog import ModelCatalog
from .values import Instance, Instances, ModelClass, QuerySet, Transaction

# Annotations of a collection of rows (`list[Order]`, `Iterable[Order]`).
COLLECTIONS = frozenset(
    {
        "list",
        "List",
        "set",
        "Set",
        "frozenset",
        "FrozenSet",
        "tuple",
        "Tuple",
        "Sequence",
        "MutableSequence",
        "Iterable",
        "Iterator",
        "Collection",
        "AbstractSet",
        "MutableSet",
    }
)
ATOMIC = frozenset({"django.db.transaction.atomic"})


class DjangoORM(Plugin):
    transparent_decorators = frozenset({"django.utils.functional.cached_property", "django.db.transaction.atomic"})

    def __init__(self, state) -> None:
        super().__init__(state)
        self.catalog = ModelCatalog(state.index, state.settings.model_bases)

    def class_value(self, symbol: Symbol) -> Optional[Value]:
        return ModelClass(symbol.qualname) if self.catalog.is_model_class(symbol.qualname) else None

    def external_value(self, qualname: str) -> Optional[Value]:
        return ModelClass(qualname) if qualname in names.BUILTIN_MODELS else None

    def attribute(self, base: Value, name: str, origin: Origin) -> Optional[Value]:
        if name in ("pk", "id"):
            return Scalar(pk=True)  # whatever `x` is, `x.pk` / `x.id` is not a model object
        return None

    def library_call(self, qualname: str, args: Args, origin: Origin) -> Optional[Value]:
        positional = args.positional()
        if qualname in names.GET_USER_MODEL:
            return ModelClass(self.catalog.user_model())
        if qualname in names.GET_MODEL:
            label = [a.literal() for a in positional[:2]]
            if label and all(isinstance(part, str) for part in label):  # get_model("app", "Model") or ("app.Model")
                model = self.catalog.model_by_label(".".join(label))
                return ModelClass(model) if model else UNKNOWN
            return UNKNOWN
        if qualname in names.GET_OBJECT_OR_404 or qualname in names.AGET_OBJECT_OR_404:
            model = self._model_of(positional[0].value()) if positional else None
            return Instance(model, origin) if model is not False else UNKNOWN
        if qualname in names.GET_LIST_OR_404 or qualname in names.AGET_LIST_OR_404:
            model = self._model_of(positional[0].value()) if positional else None
            return Instances(model, origin) if model is not False else UNKNOWN
        if qualname in ATOMIC:
            using = args.keyword("using") or (positional[0] if positional else None)
            alias = using.literal() if using is not None else None
            return Transaction(alias if isinstance(alias, str) else None, using is None or isinstance(alias, str))
        return None

    @staticmethod
    def _model_of(value: Value) -> Union[str, None, bool]:
        """The model of a model class, manager or queryset argument; False if it is none."""
        if isinstance(value, (ModelClass, QuerySet)):
            return value.model
        return False

    def instance_value(self, class_qualname: str, origin: Origin) -> Optional[Value]:
        return Instance(class_qualname, origin) if self.catalog.is_model_class(class_qualname) else None

    def self_value(self, class_qualname: str, origin: Origin) -> Optional[Value]:
        catalog = self.catalog
        if catalog.is_model_class(class_qualname):
            return Instance(class_qualname, origin)
        if catalog.is_queryset_class(class_qualname):
            return QuerySet(None, origin, "queryset", queryset_class=class_qualname)
        if self.state.index.has_ancestor(class_qualname, names.MANAGER_ROOTS):
            return QuerySet(None, origin, "manager", manager_class=class_qualname)
        return None

    def annotation_value(self, form: TypeForm, origin: Origin, receiver: Value) -> Optional[Value]:
        catalog = self.catalog
        if not form.args and catalog.is_model_class(form.qualname):
            return Instance(form.qualname, origin)
        if form.qualname in names.QUERYSET_ANNOTATIONS or catalog.is_queryset_class(form.qualname):
            inner = form.args[0] if form.args else None
            model = inner.qualname if inner is not None and catalog.is_model_class(inner.qualname) else None
            if isinstance(receiver, QuerySet):  # `def live(self) -> "QuerySet"` on a QuerySet class
                return QuerySet(model or receiver.model, origin, queryset_class=receiver.queryset_class)
            if isinstance(receiver, ModelClass):  # a model's classmethod
                return QuerySet(model or receiver.model, origin)
            return QuerySet(model, origin)
        if form.name in COLLECTIONS and form.args:
            if form.name in ("tuple", "Tuple") and len(form.args) == 2 and form.args[1].qualname != "...":
                return None
            inner = form.args[0]
            if not inner.args and catalog.is_model_class(inner.qualname):
                return Instances(inner.qualname, origin)
        return None
