"""Django's ORM for the analysis: model classes and rows, managers and QuerySets, the shortcuts
that fetch rows, `get_user_model()`, `apps.get_model()`, `transaction.atomic()`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Optional, Tuple, Union

import libcst as cst

from ...analysis.execution import walk_unit
from ...analysis.facts import Recorder
from ...analysis.plugin import Plugin
from ...analysis.values import UNKNOWN, Args, Origin, Scalar, Value
from ...project.index import Symbol, TypeForm, last
from ...project.memo import memoized
from . import names
from .catalog import ModelCatalog, meta
from .values import AppConfigValue, Instance, Instances, ModelClass, ModelLoader, QuerySet, Transaction

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

if TYPE_CHECKING:  # pragma: no cover
    from ...analysis.evaluator import Evaluator
    from ...analysis.state import Function


class DjangoORM(Plugin):
    transparent_decorators = frozenset({"django.utils.functional.cached_property", "django.db.transaction.atomic"})
    common_members = names.MODEL_MEMBERS

    def __init__(self, state) -> None:
        super().__init__(state)
        self.memo = state.memo
        self.catalog = ModelCatalog(state.index, state.settings.model_bases)

    def class_value(self, symbol: Symbol) -> Optional[Value]:
        return ModelClass(symbol.qualname) if self.catalog.is_model_class(symbol.qualname) else None

    def function_value(self, symbol: Symbol) -> Optional[Value]:
        makes = symbol.function_summary.makes
        if makes is None or symbol.module is None:
            return None
        made = self.state.index.expr_qualname(symbol.module, makes)
        return ModelLoader(symbol.qualname) if made in names.GET_MODEL else None

    def external_value(self, qualname: str) -> Optional[Value]:
        """Django's own models, and a model a library defines in its `*.models` module
        (`from taggit.models import Tag`: the same rule as for bases, see
        `ModelCatalog.external_model_base`)."""
        if qualname in names.BUILTIN_MODELS:
            return ModelClass(qualname)
        if qualname not in names.MODEL_ROOTS and self.catalog.external_model_base(qualname):
            return ModelClass(qualname)
        return None

    def attribute(self, base: Value, name: str, origin: Origin) -> Optional[Value]:
        if name in ("pk", "id"):
            return Scalar(pk=True)  # whatever `x` is, `x.pk` / `x.id` is not a model object
        return None

    def library_call(self, qualname: str, args: Args, origin: Origin) -> Optional[Value]:
        positional = args.positional()
        if qualname in names.GET_USER_MODEL:
            user = self.catalog.user_model()
            return ModelClass(user) if user else UNKNOWN
        if qualname in names.GET_MODEL:
            return self.model_named(args, None)
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

    def first_parameter(self, function: Function) -> Optional[Value]:
        """`self` of a function made a model's method with `Model.add_to_class(name, function)`."""
        added = self.added_methods()
        if function.qualname not in added:
            return None
        model = added[function.qualname]
        return Instance(model, Origin(how="`self` of a method added to", text=last(model) if model else "models"))

    @memoized(default={})
    def added_methods(self) -> Dict[str, Optional[str]]:
        """Function -> the model that `Model.add_to_class("name", function)` adds it to (in an
        AppConfig's `ready()`, to a model it fetched there): evaluated where they stand. A
        function added to several models: None (a row of one of them)."""
        state = self.state
        found: Dict[str, Optional[str]] = {}
        ambiguous = set()

        def call(evaluator: Evaluator, node: cst.Call) -> None:
            func = node.func
            if not (isinstance(func, cst.Attribute) and func.attr.value == "add_to_class"):
                return
            model = evaluator.value(func.value)
            given = node.args[1].value if len(node.args) > 1 and node.args[1].keyword is None else None
            given = given or next((a.value for a in node.args if a.keyword and a.keyword.value == "value"), None)
            added = getattr(evaluator.value(given), "symbol", None) if given is not None else None
            if not isinstance(model, ModelClass) or not isinstance(added, Symbol) or added.kind != "function":
                return
            if found.setdefault(added.qualname, model.model) != model.model:
                ambiguous.add(added.qualname)

        for module in state.index.modules():
            if not module.added_methods:
                continue
            source = state.source(module.path)
            if source is None:
                continue
            for unit in state.units_at(module, source, set(module.added_methods)):
                recorder = Recorder(state, unit, calls=False)
                recorder.on_call = call
                walk_unit(state, unit, recorder)
        return {name: (None if name in ambiguous else model) for name, model in found.items()}

    def model_named(self, args: Args, app_label: Optional[str]) -> Value:
        """The model class `get_model("app", "Model")`, `get_model("app.Model")` or
        `get_model(app_label="app", model_name="Model")` names (`app_label`: an AppConfig's
        own, for `self.get_model("Model")` in it)."""
        words = [a for a in args.positional()[:2]]
        for keyword in ("app_label", "model_name"):
            given = args.keyword(keyword)
            if given is not None:
                words.append(given)
        label = [a.literal() for a in words]
        if not label or not all(isinstance(part, str) for part in label):
            return UNKNOWN
        if app_label is not None and len(label) == 1 and "." not in label[0]:
            label.insert(0, app_label)
        model = self.catalog.model_by_label(".".join(label))
        return ModelClass(model) if model else UNKNOWN

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
        if self.state.index.has_ancestor(class_qualname, names.APP_CONFIG):
            return AppConfigValue(class_qualname)
        mixed_into = self.models_mixed_into(class_qualname)
        if mixed_into:  # a mixin of models: `self` is a row of one of them
            # one model, or one and its subclasses (its proxies): a row of that model
            index = self.state.index
            model = next((m for m in mixed_into if all(index.has_ancestor(o, {m}) for o in mixed_into)), None)
            return Instance(model, Origin(origin.node, "`self` in a mixin of", model or "models"))
        return None

    def models_mixed_into(self, class_qualname: str) -> Tuple[str, ...]:
        """The models a project class that is not a model is a base of, when every class that
        derives from it (without being derived from itself) is a model; else ()."""
        index = self.state.index
        subclasses = index.subclasses(class_qualname)
        leaves = [s for s in subclasses if not index.subclasses(s)]
        if not leaves or not all(self.catalog.is_model_class(s) for s in leaves):
            return ()
        models = self.catalog.models()
        concrete = [s for s in subclasses if s in models and meta(models[s], "abstract") is not True]
        return tuple(sorted(concrete))

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
