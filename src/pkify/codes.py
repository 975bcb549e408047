"""The codes pkify reports, and the one place their messages and documentation are written.

A code's meaning never changes; a new kind of finding gets a new number. Each code's `doc` is
what `pkify rule CODE` prints and what `docs/rules.md` is generated from
(`python -m pkify.rules_doc > docs/rules.md`); its Example and Use instead are modules that
the tests run through the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, Optional

if TYPE_CHECKING:  # pragma: no cover - the engine's values, for annotations only
    from .values import Origin, Value


@dataclass(frozen=True)
class RuleDoc:
    """A rule's documentation, in the sections of ruff's rule pages (Markdown)."""

    what: str  # What it does
    why: str  # Why is this bad?
    example: str  # a self-contained module that produces exactly this code, once
    use_instead: str  # the same module, fixed: produces nothing
    fix_safety: str
    options: str


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    summary: str
    doc: RuleDoc


_PRELUDE = """\
from celery import shared_task
from django.db import models


class Order(models.Model):
    email = models.EmailField()
    paid = models.BooleanField(default=False)

"""

_DEPLOY = (
    "Messages already queued with the old signature (an `{old}=` keyword, or a pickled "
    "{what}) fail or misbehave when the new code runs them. Roll out in two steps: for one "
    "release let the task accept both (`{new}=None, {old}=None`), then drop the old parameter."
)

_OPTIONS = """\
- `serializer`: Celery's task serializer, `json` (the default), `msgpack`, `yaml` or `pickle`.
  Under `pickle` nothing fails when the task is sent, and the message says what goes wrong
  instead: the task gets a stale snapshot. The code stays {code}.
- `select` / `ignore`, `per-file-ignores` and `# noqa: {code}` turn it off where you must.
- `task-decorators` and `model-bases` name tasks and models pkify cannot recognise by itself.
"""

CODES: Dict[str, Code] = {
    c.code: c
    for c in (
        Code(
            "CEL101",
            "model-instance-task-argument",
            "Model instance passed to a Celery task",
            RuleDoc(
                what="Checks for Django model instances passed as arguments to Celery tasks "
                "(`delay`, `apply_async`, signatures, canvases, `send_task`, ...).",
                why="Celery serializes task arguments, with JSON by default, and JSON cannot encode a "
                "model instance: the call raises `kombu.exceptions.EncodeError: Object of type Order "
                "is not JSON serializable` when the task is sent, often on a code path the tests do "
                "not take.\n\n"
                "Under the pickle serializer it does not fail, which is worse: the worker gets a "
                "snapshot of the row as it was when the task was queued. When the row changes before "
                "the task runs (a busy queue, a countdown, a retry), the task works on stale data and "
                "may save it back over newer changes. Celery's guide says to pass the primary key and "
                "fetch the row inside the task.",
                example=_PRELUDE + """
@shared_task
def send_receipt(order):
    print(order.email)


def pay(pk):
    order = Order.objects.get(pk=pk)
    send_receipt.delay(order)
""",
                use_instead=_PRELUDE + """
@shared_task
def send_receipt(order_id):
    order = Order.objects.get(pk=order_id)
    print(order.email)


def pay(pk):
    order = Order.objects.get(pk=pk)
    send_receipt.delay(order.pk)
""",
                fix_safety="Unsafe across a deploy. `pkify fix` passes `order.pk` at the call and "
                "renames the task's parameter (`order` -> `order_id`), fetching the row at the top "
                "of the task. " + _DEPLOY.format(old="order", new="order_id", what="instance"),
                options=_OPTIONS.format(code="CEL101"),
            ),
        ),
        Code(
            "CEL102",
            "queryset-task-argument",
            "QuerySet or manager passed to a Celery task",
            RuleDoc(
                what="Checks for QuerySets and managers passed as arguments to Celery tasks: "
                "`filter()`/`all()`/`values()` querysets, slices, `Order.objects`, related "
                "managers such as `customer.orders`.",
                why="JSON cannot encode a QuerySet: the call raises `kombu.exceptions.EncodeError` "
                "when the task is sent.\n\n"
                "Under the pickle serializer, pickling a QuerySet evaluates it: every row is loaded "
                "in the process that sends the task and copied into the message, and the worker gets "
                "the rows as they were when the task was queued, not the rows the query matches "
                "when the task runs.",
                example=_PRELUDE + """
@shared_task
def remind(orders):
    for order in orders:
        print(order.email)


def remind_unpaid():
    unpaid = Order.objects.filter(paid=False)
    remind.delay(unpaid)
""",
                use_instead=_PRELUDE + """
@shared_task
def remind(order_ids):
    orders = Order.objects.filter(pk__in=order_ids)
    for order in orders:
        print(order.email)


def remind_unpaid():
    unpaid = Order.objects.filter(paid=False)
    remind.delay(list(unpaid.values_list("pk", flat=True)))
""",
                fix_safety="Unsafe across a deploy. `pkify fix` passes "
                '`list(orders.values_list("pk", flat=True))` at the call and renames the task\'s '
                "parameter (`orders` -> `order_ids`), fetching the rows at the top of the task "
                "(`Order.objects.filter(pk__in=order_ids)`). "
                + _DEPLOY.format(old="orders", new="order_ids", what="QuerySet"),
                options=_OPTIONS.format(code="CEL102"),
            ),
        ),
        Code(
            "CEL103",
            "model-instances-in-container",
            "Model instances inside a container passed to a Celery task",
            RuleDoc(
                what="Checks for model instances passed to Celery tasks inside a list, tuple, set, "
                "dict or comprehension, as `list(queryset)`, or through `*args` / `**kwargs`.",
                why="A container is serialized item by item, so each instance in it fails under JSON "
                "(`kombu.exceptions.EncodeError`) and is a stale snapshot of its row under pickle, as "
                "for CEL101. The container only hides the instance from a quick review.",
                example=_PRELUDE + """
@shared_task
def export(orders):
    for order in orders:
        print(order.email)


def export_latest():
    latest = Order.objects.order_by("-pk")[:10]
    export.delay(list(latest))
""",
                use_instead=_PRELUDE + """
@shared_task
def export(order_ids):
    for order in Order.objects.filter(pk__in=order_ids):
        print(order.email)


def export_latest():
    latest = Order.objects.order_by("-pk")[:10]
    export.delay([order.pk for order in latest])
""",
                fix_safety="Unsafe across a deploy. Where `pkify fix` rewrites the container, it "
                "passes the primary keys instead and renames the task's parameter (`orders` -> "
                "`order_ids`), fetching the rows at the top of the task; a container it cannot "
                "rewrite safely it leaves alone and says why. "
                + _DEPLOY.format(old="orders", new="order_ids", what="instance"),
                options=_OPTIONS.format(code="CEL103"),
            ),
        ),
    )
}

_WHAT = {
    "queryset": "a QuerySet",
    "manager": "a manager",
    "related manager": "a related manager",
    "values queryset": "a `values()` QuerySet",
}


def instance_text(label: Optional[str]) -> str:
    if label is None:
        return "a model instance"
    article = "an" if label[0].lower() in "aeiou" else "a"
    return f"{article} `{label}` instance"


def evidence_text(origin: Origin, expression: str, line: int) -> str:
    if origin.text == expression and origin.line == line:
        return ""
    where = f", line {origin.line}" if origin.line and origin.line != line else ""
    return f" ({origin.how} `{origin.text}`{where})"


# Under `pickle` nothing fails when the task is sent: the message says what goes wrong instead.
_PICKLE = {
    "CEL101": "; pickled, it reaches the task as a snapshot of the row that is stale when the task runs",
    "CEL102": "; pickling evaluates it when the task is sent, and the task gets the rows as they were then",
    "CEL103": "; pickled, they reach the task as snapshots of the rows that are stale when the task runs",
}


def message(
    code: str,
    expression: str,
    line: int,
    evidence: Value,
    label: Optional[str],
    simple: bool,
    serializer: str = "json",
) -> str:
    """The text after the code. `simple`: the expression is a name or attribute chain, so
    `expression.pk` reads well. `serializer`: Celery's task serializer; under `pickle` the
    message explains the stale snapshot (the code is the same)."""
    origin = evidence.origin  # type: ignore[attr-defined]
    why = evidence_text(origin, expression, line)
    if serializer == "pickle":
        why += _PICKLE[code]
    if code == "CEL101":
        fix = f"pass `{expression}.pk`" if simple else "pass its primary key"
        return f"`{expression}` is {instance_text(label)}{why}; {fix} and fetch it inside the task"
    if code == "CEL102":
        what = _WHAT.get(evidence.what, "a QuerySet")  # type: ignore[attr-defined]
        of = f" of `{label}`" if label else ""
        return (
            f"`{expression}` is {what}{of}{why}; pass a list of primary keys and fetch the rows "
            "inside the task"
        )
    of = f"`{label}` instances" if label else "model instances"
    return f"`{expression}` holds {of}{why}; pass their primary keys and fetch them inside the task"
