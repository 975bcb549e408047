"""What the project declares for Django's web layer: signal receivers, admins and their models,
admin actions, the models of generic views, ModelForms and serializers."""

from __future__ import annotations

from typing import Dict, FrozenSet, Optional, Tuple

from ...project.index import SymbolIndex
from ...project.memo import memoized
from ...project.summary import Attr, Call, Ref, Seq
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
        """The project's own signals: module-level `name = Signal()`."""
        found = set()
        for module in self.index.modules():
            for name, value in module.assignments.items():
                if isinstance(value, Call) and self.index.has_ancestor(
                    self.index.expr_qualname(module, value.func), names.SIGNAL_CLASSES
                ):
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
