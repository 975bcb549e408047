"""CEL104: a value the task serializer cannot carry (a set, a timedelta, a model class, a
request, an uploaded file, a form), where CEL101-103 do not report the argument already."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, FrozenSet, Iterator, List, Optional

from ..diagnostics import Diagnostic, line_ref
from .base import PRELUDE, Context, Rule, RuleDoc, evidence_text

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.facts import Fact
    from ..analysis.values import Origin, Value

# What each kind of value is registered as with kombu (`register_type(T, ...)` covers the
# instances of T), by the names of its type and of the types it is an instance of.
SET_TYPES = frozenset({"set", "builtins.set", "frozenset", "builtins.frozenset"})
ABSTRACT = ("collections.abc.", "typing.", "collections.")


@dataclass(frozen=True)
class Unencodable:
    """What an argument holds that the serializer cannot carry."""

    kind: str  # "set", "frozenset", "timedelta", "model class", "request", "uploaded file", "form"
    what: str  # "a set", "the model class `shop.Customer`"
    evidence: "Value"
    origin: Optional["Origin"]  # where it comes from (None: nothing to say)
    types: FrozenSet[str]  # the type's names, as `register_type` would name them


def unencodable(value: "Value", registered: Optional[FrozenSet[str]], depth: int = 0) -> Optional[Unencodable]:
    """What in `value` (itself, or an item of a list, tuple or dict it is) the JSON and msgpack
    serializers cannot carry; None when all of it can, or pkify cannot tell (unknown values, a
    project that registers types pkify cannot read)."""
    from ..analysis.values import Collection, LibraryInstance, Mapping, Sequence, SetValue
    from ..frameworks.django_orm.values import ModelClass
    from ..frameworks.django_web.values import Form, Request, UploadedFile, UploadedFiles

    if registered is None:
        return None
    found: Optional[Unencodable] = None
    if isinstance(value, (Sequence, SetValue)) and value.kind in ("set", "frozenset"):
        kind = value.kind
        origin = value.origin if value.origin.node is not None or value.origin.text else None
        found = Unencodable(kind, f"a {kind}", value, origin, SET_TYPES)
    elif isinstance(value, LibraryInstance) and value.qualname == "datetime.timedelta":
        found = Unencodable("timedelta", "a `datetime.timedelta`", value, value.origin, frozenset({value.qualname}))
    elif isinstance(value, ModelClass):
        found = Unencodable(
            "model class", "a model class", value, None, frozenset({"django.db.models.base.ModelBase", "type"})
        )
    elif isinstance(value, Request):
        types = {"django.http.HttpRequest", "django.http.request.HttpRequest"}
        found = Unencodable("request", "an HTTP request", value, None, frozenset(types | {value.qualname or ""}))
    elif isinstance(value, (UploadedFile, UploadedFiles)):
        many = isinstance(value, UploadedFiles)
        types = {"django.core.files.uploadedfile.UploadedFile", "django.core.files.base.File"}
        what = "the request's uploaded files" if many else "an uploaded file"
        found = Unencodable("uploaded file", what, value, value.origin, frozenset(types))
    elif isinstance(value, Form):
        what = "a DRF serializer" if value.kind == "serializer" else "a form"
        if value.qualname is not None:
            what += f" (`{value.qualname}`)"
        types = {"django.forms.Form", "django.forms.BaseForm", "django.forms.ModelForm"}
        found = Unencodable("form", what, value, None, frozenset(types | {value.qualname or ""}))
    if found is not None:
        covered = any(t in found.types or t.startswith(ABSTRACT) for t in registered)
        return None if covered else found
    if depth >= 5:
        return None
    if isinstance(value, Sequence):
        items = [item.value for item in value.items]
    elif isinstance(value, Mapping):
        items = [entry.value for entry in value.entries] + [value.values, value.keys]
    elif isinstance(value, Collection):
        items = [value.element]
    else:
        return None
    return next((f for f in (unencodable(item, registered, depth + 1) for item in items) if f is not None), None)


def advice(kind: str, expression: str, simple: bool, serializer: str) -> str:
    """What to send instead."""
    name = "JSON" if serializer == "json" else serializer
    if kind in ("set", "frozenset"):
        send = f"`sorted({expression})` or `list({expression})`" if simple else "a list"
        return f"{name} has no sets: send {send}"
    if kind == "timedelta":
        send = f"`{expression}.total_seconds()`" if simple else "its `total_seconds()`"
        return f"{name} cannot encode it: send {send} and rebuild the timedelta in the task"
    if kind == "model class":
        send = f"`{expression}._meta.label`" if simple else "its label (`Model._meta.label`)"
        return f"{name} cannot encode a class: send {send} and look the model up with `apps.get_model()` in the task"
    if kind == "request":
        return f"{name} cannot encode it: send the values the task needs (`request.user.pk`, `request.GET.dict()`)"
    if kind == "uploaded file":
        return f"{name} cannot encode it: save the file (`default_storage.save()`) and send its name"
    return f"{name} cannot encode it: send `form.cleaned_data` values (or the saved row's primary key)"


def check(facts: List[Fact], context: Context) -> Iterator[Diagnostic]:
    from ..analysis.values import Origin
    from ..frameworks.celery.plugin import Celery
    from ..frameworks.django_orm.plugin import DjangoORM
    from . import arguments  # the analysis's values: loaded only when a file is analysed

    celery = context.plugin(Celery)
    registered = celery.registered_types()
    for call in arguments.task_calls(facts):
        if not call.sends:
            continue
        serializer = celery.serializer(call.task, context.settings)
        if serializer not in ("json", "msgpack"):
            continue
        for argument in call.arguments:
            if arguments.offending(argument.value):
                continue  # CEL101-103 report it
            found = unencodable(argument.value, registered)
            if found is None:
                continue
            unit = call.unit
            node = argument.node
            line = unit.line(node)
            expression = unit.short(node)
            simple = unit.dotted(node) is not None
            what = found.what
            if found.kind == "model class":
                label = context.plugin(DjangoORM).catalog.label(found.evidence.model)  # type: ignore[attr-defined]
                what = f"the model class `{label}`"
            if found.evidence is argument.value:
                origin = unit.locate(found.origin) if found.origin is not None else Origin(text=expression, line=line)
                why = evidence_text(origin, expression, line, getattr(found.evidence, "maybe_none", False))
                text = f"`{expression}` is {what}{why}; {advice(found.kind, expression, simple, serializer)}"
            else:
                inner = ""
                if found.origin is not None and found.origin.node is not None:
                    located = unit.locate(found.origin)
                    where = f", {line_ref(located.line)}" if located.line and located.line != line else ""
                    inner = f" (`{located.text}`{where})"
                text = f"`{expression}` holds {what}{inner}; {advice(found.kind, expression, False, serializer)}"
            end_line, end_column = unit.end(node)
            yield Diagnostic(
                context.path,
                line,
                unit.column(node),
                "CEL104",
                text,
                end_line,
                end_column,
                task=call.task.qualname if call.task is not None else None,
                function=call.context.function,
                argument=expression,
            )


RULE = Rule(
    "CEL104",
    "unencodable-task-argument",
    "Value the task serializer cannot carry passed to a Celery task",
    RuleDoc(
        what="Checks for task arguments that Celery's JSON (and msgpack) serializer cannot "
        "encode: sets and frozensets (displays, `set(...)`, set comprehensions and the names "
        "bound to them), `datetime.timedelta` objects, model classes, the HTTP request of a view "
        "(`request`, `self.request`), uploaded files (`request.FILES[...]`), forms; as an "
        "argument or inside a list, tuple or dict. What kombu's JSON encodes (`datetime`, "
        "`date`, `time`, `Decimal`, `UUID`, `bytes`; tuples become lists) is fine, and so are "
        "the types the project registers with `kombu.utils.json.register_type()` at module "
        "level. Model instances and QuerySets are CEL101-103, never also CEL104.",
        why="The call raises `kombu.exceptions.EncodeError: Object of type set is not JSON "
        "serializable` when the task is sent. Tests that run tasks eagerly "
        "(`task_always_eager`) never serialize the arguments, so the error shows up in "
        "production, often on a path that only some requests take.",
        example=PRELUDE
        + """
@shared_task
def tag_orders(tags):
    for order in Order.objects.filter(email__in=tags):
        print(order.pk)


def tag_paid():
    tags = {order.email for order in Order.objects.filter(paid=True)}
    tag_orders.delay(tags)
""",
        use_instead=PRELUDE
        + """
@shared_task
def tag_orders(tags):
    for order in Order.objects.filter(email__in=tags):
        print(order.pk)


def tag_paid():
    tags = {order.email for order in Order.objects.filter(paid=True)}
    tag_orders.delay(sorted(tags))
""",
        fix_safety="Safe where it is made. `pkify fix` sends a set as `list(...)` (`sorted(...)` "
        "when its items are string or number literals) when the task is defined in the project "
        "and only iterates over the parameter, tests membership in it or passes it to `set()`, "
        "`frozenset()`, `list()`, `tuple()`, `sorted()` or `len()`: a list behaves the same "
        "there. Anything else (the task calls a set method on it, passes it on, a task outside "
        "the project) and the other kinds (a timedelta, a model class, a request, a file, a "
        "form: the task's signature would change, and with it every caller) are reported and "
        "left unchanged, with the reason.",
        options="""\
- `serializer`: Celery's task serializer. CEL104 reports under `json` (the default) and
  `msgpack`; under `pickle` and `yaml` it is silent (they carry these values).
- A project that calls `kombu.utils.json.register_type(T, ...)` at module level is not told
  about values of `T`; one that calls it where pkify cannot read the type (inside a function,
  a type that is not a plain name) gets no CEL104 at all.
- `select` / `ignore`, `per-file-ignores` and `# noqa: CEL104` turn it off where you must.
""",
    ),
    check,
    fixable=True,
)
