"""What the project declares for Django's web layer: signal receivers, admins and their models,
admin actions, the models of generic views, ModelForms and serializers."""

from __future__ import annotations

from typing import Dict, FrozenSet, Optional, Set, Tuple

from ...project.index import SymbolIndex
from ...project.memo import memoized
from ...project.summary import Attr, Call, Const, Map, Ref, Seq, Str
from ..django_orm.catalog import ModelCatalog
from . import names

SIGNALS = names.INSTANCE_SIGNALS | names.M2M_CHANGED | names.USER_SIGNALS


class WebCatalog:
    def __init__(self, index: SymbolIndex, models: ModelCatalog) -> None:
        self.index = index
        self.memo = index.memo
        self.models = models

    # --- signal receivers ------------------------------------------------------------------------

    @memoized(default=frozenset())
    def project_signals(self) -> FrozenSet[str]:
        """The project's own signals: module-level `name = Signal()`, or `name = make(...)` where
        the project function `make` returns a `Signal(...)` it made."""
        index = self.index
        found = set()
        for module in index.modules():
            for name, value in module.assignments.items():
                if not isinstance(value, Call):
                    continue
                made = index.expr_qualname(module, value.func)
                factory = index.expr_symbol(module, value.func)
                if factory is not None and factory.kind == "function" and factory.function_summary.makes is not None:
                    assert factory.module is not None
                    made = index.expr_qualname(factory.module, factory.function_summary.makes)
                if index.has_ancestor(made, names.SIGNAL_CLASSES):
                    found.add(f"{module.name}.{name}")
        return frozenset(found)

    @memoized(default={})
    def receivers(self) -> Dict[str, Tuple[str, Optional[str]]]:
        """Receiver function -> (signal qualname, sender model or None)."""
        index = self.index
        signals = SIGNALS | self.project_signals()
        found: Dict[str, Tuple[str, Optional[str]]] = {}
        for module in index.modules():
            for function in module.functions.values():
                for decorator in function.decorators:
                    if (
                        not isinstance(decorator, Call)
                        or index.expr_qualname(module, decorator.func) not in names.RECEIVER_DECORATORS
                    ):
                        continue
                    signal_exprs = list(decorator.args[:1]) or [decorator.keyword("signal")]
                    if signal_exprs and isinstance(signal_exprs[0], Seq):
                        signal_exprs = list(signal_exprs[0].items)
                    for signal_expr in signal_exprs:
                        signal = index.expr_qualname(module, signal_expr)
                        if signal in signals:
                            sender = self.models.relation_target(module, decorator.keyword("sender"))
                            found[f"{module.name}.{function.qualname}"] = (signal, sender)
            for signal_expr, receiver_expr, sender_expr, _ in module.connections:
                signal = index.expr_qualname(module, signal_expr)
                if signal not in signals:
                    continue
                receiver = index.expr_symbol(module, receiver_expr)
                if receiver is not None and receiver.kind == "function":
                    found[receiver.qualname] = (signal, self.models.relation_target(module, sender_expr))
        return found

    @memoized(default={})
    def unresolved_connections(self) -> Dict[str, Tuple[int, ...]]:
        """Module path -> the lines of its `connect()` calls whose signal or receiver the index
        cannot name (`post_save.connect(self.vpn_model.post_save, sender=self.vpn_model)` in an
        AppConfig): the engine reads those (`DjangoWeb.evaluated_receivers`)."""
        index = self.index
        found: Dict[str, Tuple[int, ...]] = {}
        for module in index.modules():
            lines = []
            for signal_expr, receiver_expr, _, line in module.connections:
                signal = index.expr_qualname(module, signal_expr)
                receiver = index.expr_symbol(module, receiver_expr)
                if signal is None or receiver is None or receiver.kind != "function":
                    lines.append(line)
            if lines:
                found[module.path] = tuple(lines)
        return found

    def receiver(self, function_qualname: str) -> Optional[Tuple[str, Optional[str]]]:
        return self.receivers().get(function_qualname)

    # --- admins ----------------------------------------------------------------------------------

    @memoized(default={})
    def admins(self) -> Dict[str, Optional[str]]:
        """ModelAdmin class -> the model it is registered for."""
        index = self.index
        found: Dict[str, Optional[str]] = {}
        for module in index.modules():
            for qualname, cls in module.classes.items():
                for decorator in cls.decorators:
                    if (
                        isinstance(decorator, Call)
                        and index.expr_qualname(module, decorator.func) in names.ADMIN_REGISTER
                    ):
                        if decorator.args:
                            found[f"{module.name}.{qualname}"] = self.models.relation_target(module, decorator.args[0])
            for func, models_expr, admin_expr in module.registrations:
                if admin_expr is None or index.expr_qualname(module, func) not in names.ADMIN_SITE_REGISTER:
                    continue
                admin = index.expr_qualname(module, admin_expr)
                if admin is not None:
                    first = models_expr.items[0] if isinstance(models_expr, Seq) and models_expr.items else models_expr
                    found[admin] = self.models.relation_target(module, first)
        return found

    @memoized(default={})
    def admin_actions(self) -> Dict[str, Optional[str]]:
        """Module-level functions listed in a ModelAdmin's `actions` -> the admin's model."""
        index = self.index
        found: Dict[str, Optional[str]] = {}
        for module in index.modules():
            for qualname, cls in module.classes.items():
                listed = cls.attributes.get("actions")
                if not isinstance(listed, Seq):
                    continue
                full = f"{module.name}.{qualname}"
                if not index.has_ancestor(full, names.MODEL_ADMINS):
                    continue
                for item in listed.items:
                    function = index.expr_symbol(module, item)
                    if function is not None and function.kind == "function":
                        found[function.qualname] = self.admin_model(full)
        return found

    def admin_action(self, function_qualname: str) -> Optional[str]:
        """The model of a module-level admin action listed in `actions`, "" when unknown, None
        when the function is not one."""
        actions = self.admin_actions()
        if function_qualname not in actions:
            return None
        return actions[function_qualname] or ""

    def admin_model(self, qualname: str) -> Optional[str]:
        admins = self.admins()
        for ancestor in self.index.ancestry(qualname):
            if admins.get(ancestor):
                return admins[ancestor]
        return None

    # --- views, forms, serializers ---------------------------------------------------------------

    def meta_model(self, qualname: str) -> Optional[str]:
        """`Meta.model` of a ModelForm or ModelSerializer."""
        found = self.index.class_meta(qualname, "model")
        return self.models.relation_target(found[0], found[1]) if found is not None else None

    @memoized(default=None)
    def view_model(self, qualname: str) -> Optional[str]:
        """The model of a generic view, from its `model` or `queryset` attribute."""
        index = self.index
        found = index.class_attribute(qualname, "model")
        if found is not None:
            return self.models.relation_target(found[0], found[1])
        found = index.class_attribute(qualname, "queryset")
        if found is not None:
            module, expr = found
            while isinstance(expr, (Call, Attr)):  # `Order.objects.filter(...)`: unwound to `Order.objects`
                expr = expr.func if isinstance(expr, Call) else expr.value
            if isinstance(expr, Ref):
                parts = expr.name.split(".")
                for cut in range(len(parts), 0, -1):
                    target = self.models.relation_target(module, Ref(".".join(parts[:cut])))
                    if target:
                        return target
        return None

    # --- requests in a transaction ---------------------------------------------------------------

    @memoized(default=frozenset())
    def atomic_request_databases(self) -> FrozenSet[str]:
        """The database aliases whose `DATABASES` entry sets `"ATOMIC_REQUESTS": True` (read as
        text from the settings modules: those that set `DATABASES` when they agree, else the one
        DJANGO_SETTINGS_MODULE names). A value pkify cannot read (`env.bool(...)`) is not True."""
        index = self.index
        setting = "DATABASES"
        found = {m.name: m.assignments[setting] for m in index.modules() if setting in m.assignments}
        values = list(found.values())
        if len(set(values)) > 1:
            declared = {m.settings_module for m in index.modules() if m.settings_module}
            values = []
            for dotted in sorted(declared):
                module = index.find_module(dotted)
                symbol = index.lookup(module, setting) if module is not None else None
                if symbol is not None and symbol.kind == "assignment":
                    values.append(symbol.node)  # type: ignore[arg-type]
        if len(set(values)) != 1 or not isinstance(values[0], Map):
            return frozenset()
        aliases = set()
        for key, entry in values[0].items:
            atomic = entry.get("ATOMIC_REQUESTS") if isinstance(entry, Map) else None
            if isinstance(key, Str) and isinstance(atomic, Const) and atomic.value is True:
                aliases.add(key.value)
        return frozenset(aliases)

    @memoized(default=frozenset())
    def routed_views(self) -> FrozenSet[str]:
        """The functions the project's URLconfs route to (`path("pay/", views.pay)`)."""
        index = self.index
        found: Set[str] = set()
        for module in index.modules():
            for route in module.routes:
                symbol = index.expr_symbol(module, route)
                if symbol is not None and symbol.kind == "function":
                    found.add(symbol.qualname)
        return frozenset(found)

    def is_view(self, function: Optional[str], owner: Optional[str]) -> bool:
        """Whether a function runs while a request is handled: a method of a view class, or a
        function a URLconf routes to."""
        if owner is not None:
            return self.index.has_ancestor(owner, names.VIEW_CLASSES)
        return function in self.routed_views()

    def non_atomic_view_class(self, owner: str) -> bool:
        """A view class that opts out of `ATOMIC_REQUESTS`: `@method_decorator(
        transaction.non_atomic_requests, name="dispatch")` on it or an ancestor, or its
        `dispatch` decorated with it."""
        index = self.index
        for ancestor in index.ancestry(owner):
            symbol = index.class_symbol(ancestor)
            if symbol is None or symbol.module is None:
                continue
            cls = symbol.class_summary
            dispatch = cls.methods.get("dispatch")
            decorators = [*cls.decorators, *(dispatch.decorators if dispatch is not None else ())]
            for decorator in decorators:
                called = decorator.func if isinstance(decorator, Call) else decorator
                name = index.expr_qualname(symbol.module, called)
                if name in names.NON_ATOMIC_REQUESTS:
                    return True
                if name in names.METHOD_DECORATOR and isinstance(decorator, Call) and decorator.args:
                    if index.expr_qualname(symbol.module, decorator.args[0]) in names.NON_ATOMIC_REQUESTS:
                        return True
        return False
