"""Django's web layer for the analysis: requests, ModelForms, generic views, the admin (actions
and hooks), and the parameters of signal receivers."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

import libcst as cst

from ...analysis.evaluator import Evaluator
from ...analysis.execution import walk_unit
from ...analysis.facts import Recorder
from ...analysis.plugin import Plugin
from ...analysis.state import Function
from ...analysis.units import hint_lines
from ...analysis.values import (
    UNKNOWN,
    Args,
    External,
    LibraryInstance,
    LocalDefinition,
    ObjectValue,
    Origin,
    Value,
    join_returns,
)
from ...project.index import Symbol, TypeForm, last
from ...project.memo import memoized
from ...project.project import EVERY_FILE
from ...project.summary import Call, Ref
from ..django_orm.plugin import DjangoORM
from ..django_orm.values import Instance, ModelClass, QuerySet
from . import names
from .catalog import SIGNALS, WebCatalog
from .values import Admin, Form, NonAtomicRequests, Request, SignalArgument, SignalValue, UploadedFile, View

VIEWS = names.SINGLE_OBJECT_VIEWS | names.MULTIPLE_OBJECT_VIEWS
SENDS = re.compile(r"\.\s*a?send(?:_robust)?\s*\(")


class DjangoWeb(Plugin):
    def __init__(self, state) -> None:
        super().__init__(state)
        self.memo = state.memo
        self.catalog = WebCatalog(state.index, state.plugin(DjangoORM).catalog)

    def assignment_value(self, symbol: Symbol) -> Optional[Value]:
        return SignalValue(symbol.qualname) if symbol.qualname in self.catalog.project_signals() else None

    def receiver(self, function_qualname: str) -> Optional[Tuple[str, Optional[str]]]:
        """(signal, sender model) of a signal receiver: connected where the index can name both
        (a decorator, `post_save.connect(handler, sender=Order)`), else where the engine can."""
        found = self.catalog.receiver(function_qualname)
        if found is None:
            found = self.evaluated_receivers().get(function_qualname)
        return found if found is not None and found[0] else None

    @memoized(default={})
    def evaluated_receivers(self) -> Dict[str, Tuple[str, Optional[str]]]:
        """Receivers connected in code the index cannot read alone: `post_save.connect(
        self.vpn_model.post_save, sender=self.vpn_model)` in an AppConfig whose attributes hold
        models (`self.vpn_model = load_model("config", "Vpn")`). The `connect()` calls are
        evaluated where they stand."""
        state, index = self.state, self.state.index
        signals = SIGNALS | self.catalog.project_signals()
        found: Dict[str, Tuple[str, Optional[str]]] = {}

        def call(evaluator: Evaluator, node: cst.Call) -> None:
            func = node.func
            if not (isinstance(func, cst.Attribute) and func.attr.value == "connect"):
                return
            signal = evaluator.value(func.value)
            qualname = getattr(signal, "qualname", None)
            if qualname not in signals:
                return
            given = node.args[0].value if node.args and node.args[0].keyword is None else None
            keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
            given = given if given is not None else keywords.get("receiver")
            receiver = evaluator.value(given) if given is not None else UNKNOWN
            symbol = getattr(receiver, "symbol", None)
            if isinstance(receiver, LocalDefinition) and receiver.kind == "function" and receiver.qualname:
                connected = receiver.qualname  # a handler a factory function made and returned
            elif isinstance(symbol, Symbol) and symbol.kind == "function":
                connected = symbol.qualname
            else:
                return
            sender = evaluator.value(keywords["sender"]) if "sender" in keywords else UNKNOWN
            model = sender.model if isinstance(sender, ModelClass) else None
            before = found.get(connected)
            if before is not None and before != (qualname, model):  # connected twice: to what, then?
                model = None if before[0] == qualname else model
                qualname = qualname if before[0] == qualname else ""
            found[connected] = (qualname, model)

        for path, lines in sorted(self.catalog.unresolved_connections().items()):
            module = index.by_path.get(path)
            source = state.source(path)
            if module is None or source is None:
                continue
            for unit in state.units_at(module, source, set(lines)):
                recorder = Recorder(state, unit, calls=False)
                recorder.on_call = call
                walk_unit(state, unit, recorder)
        return found

    @memoized(default=UNKNOWN)
    def signal_argument(self, signal: str, name: str) -> Value:
        """What every `signal.send(sender=..., name=value)` in the project passes as `name`: an
        instance when every one passes one (or None); one passing something else, something
        unknown or nothing keeps it unknown. Depends on every file."""
        state, index = self.state, self.state.index
        state.memo.note_read(EVERY_FILE)
        values: List[Value] = []

        def call(evaluator: Evaluator, node: cst.Call) -> None:
            func = node.func
            if not (isinstance(func, cst.Attribute) and func.attr.value in names.SEND_METHODS):
                return
            if evaluator.value(func.value) != SignalValue(signal):
                return
            given = next((a.value for a in node.args if a.keyword is not None and a.keyword.value == name), None)
            if given is None and name == "sender" and node.args and node.args[0].keyword is None:
                given = node.args[0].value  # `signal.send(sender, ...)`
            values.append(evaluator.value(given) if given is not None else UNKNOWN)

        short = last(signal)
        for module in index.modules():
            if not names.SEND_METHODS & module.call_names:
                continue
            if not state.note_mentions(module, short):
                continue
            for method in names.SEND_METHODS:  # where it sends (the functions read are noted as read)
                state.note_calls(module, method)
            text = state.text(module.path)
            if text is None:
                continue
            for unit in state.units_at(module, text, hint_lines(text, SENDS)):
                recorder = Recorder(state, unit, calls=False)
                recorder.on_call = call
                walk_unit(state, unit, recorder)
        if not values or any(v is UNKNOWN for v in values):
            return UNKNOWN
        return join_returns(values)

    def attribute(self, base: Value, name: str, origin: Origin) -> Optional[Value]:
        if name == "request" and isinstance(base, ObjectValue) and not self._own_request(base.qualname):
            return Request()  # `self.request` of a view, a form, a serializer ... set by their framework
        return None

    def _own_request(self, qualname: Optional[str]) -> bool:
        """Whether a class that is not a view sets or declares `request` itself (then it is
        what the class says, not Django's request)."""
        index = self.state.index
        if qualname is None or index.has_ancestor(qualname, names.VIEW_CLASSES):
            return False
        if index.class_member(qualname, "request") is not None:  # a class attribute, a property
            return True
        classes = (index.class_symbol(ancestor) for ancestor in index.ancestry(qualname))
        return any("request" in c.class_summary.attribute_writes for c in classes if c is not None)

    def request_databases(self, function: Optional[str], owner: Optional[str], decorators) -> Tuple[str, ...]:
        """The databases whose transaction a function runs in because it handles requests (a
        view) and `ATOMIC_REQUESTS` is on for them; () when it is not a view, or opts out with
        `@transaction.non_atomic_requests` (on the function, or on the class's `dispatch`)."""
        aliases = self.catalog.atomic_request_databases()
        if not aliases or not self.catalog.is_view(function, owner):
            return ()
        if any(_non_atomic(d) for d in decorators):
            return ()
        if owner is not None and self.catalog.non_atomic_view_class(owner):
            return ()
        return tuple(sorted(aliases))

    def library_call(self, qualname: str, args: Args, origin: Origin) -> Optional[Value]:
        if qualname in names.REEXPORTED_CLASSES:
            return LibraryInstance(names.REEXPORTED_CLASSES[qualname], origin)
        if qualname in names.NON_ATOMIC_REQUESTS:  # `@transaction.non_atomic_requests(using=...)`
            return NonAtomicRequests()
        if qualname in names.METHOD_DECORATOR:  # `@method_decorator(transaction.non_atomic_requests)`
            first = args.first()
            if first is not None and _non_atomic(first.value()):
                return NonAtomicRequests()
        return None

    def form_field(self, form: str, name: str, origin: Origin) -> Value:
        """`form.cleaned_data[name]`: a row of the model of the queryset a `ModelChoiceField`
        declared on the form class (or its bases) takes, rows for a `ModelMultipleChoiceField`;
        UNKNOWN for anything else (a field the form's `__init__` replaces included: the class
        attribute is what pkify reads)."""
        state = self.state
        found = state.index.class_attribute(form, name)
        if found is None:
            return UNKNOWN
        module, field = found
        if not isinstance(field, Call) or not isinstance(field.func, Ref):
            return UNKNOWN
        kind = state.index.expr_qualname(module, field.func)
        single = state.index.has_ancestor(kind, names.MODEL_CHOICE_FIELDS)
        many = state.index.has_ancestor(kind, names.MODEL_MULTIPLE_CHOICE_FIELDS)
        written = field.keyword("queryset") or (field.args[0] if field.args else None)
        if not (single or many) or written is None:
            return UNKNOWN
        rows = state.expression_value(module, written)
        if not isinstance(rows, QuerySet):
            return UNKNOWN
        how = Origin(origin.node, "the form field's", f"{last(form)}.{name}")
        return QuerySet(rows.model, how) if many else Instance(rows.model, how)

    def instance_value(self, class_qualname: str, origin: Origin) -> Optional[Value]:
        index = self.state.index
        if index.has_ancestor(class_qualname, names.MODEL_FORMS):
            return Form(class_qualname, self.catalog.meta_model(class_qualname))
        if index.has_ancestor(class_qualname, names.FORMS):
            return Form(class_qualname, None, "plain")
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
        if not form.args and form.qualname in names.UPLOADED_FILES:
            return UploadedFile(origin)
        return None

    def parameter_values(self, function: Function) -> Dict[str, Value]:
        """Signal receivers, admin actions and hooks, `form_valid` of model form views; and a
        parameter named `request`, which is the request."""
        catalog, index = self.catalog, self.state.index
        owner, name = function.owner, function.name
        roles: Dict[str, Value] = {}
        receiver = self.receiver(function.qualname)
        if receiver is not None and receiver[0] in catalog.project_signals():
            for param in function.params:
                # `sender` too: the project's own signals send what they like (an event, a row)
                if param == "sender" or param not in names.RECEIVER_OWN:
                    how = Origin(how=f"what the senders of `{last(receiver[0])}` pass as")
                    roles[param] = SignalArgument(receiver[0], param, how)
        elif receiver is not None:
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
        elif owner is not None and name in ("form_valid", "form_invalid") and index.has_ancestor(owner, names.FORM_VIEWS):
            form_class = index.class_attribute(owner, "form_class")
            form = index.expr_qualname(form_class[0], form_class[1]) if form_class is not None else None
            if form is not None and index.class_symbol(form) is not None:
                value = self.instance_value(form, Origin())
                if value is not None:
                    roles["form"] = value
        roles.setdefault("request", Request())
        return roles


def _non_atomic(decorator: Value) -> bool:
    return isinstance(decorator, NonAtomicRequests) or (
        isinstance(decorator, External) and decorator.qualname in names.NON_ATOMIC_REQUESTS
    )
