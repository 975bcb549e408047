"""CEL102: a QuerySet or a manager passed to a task."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, List, Optional

from ..diagnostics import Diagnostic
from .base import DEPLOY, OPTIONS, PRELUDE, Context, Rule, RuleDoc

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.facts import Fact
    from ..analysis.values import Value

PICKLED = "; pickling evaluates it when the task is sent, and the task gets the rows as they were then"

WHAT = {
    "queryset": "a QuerySet",
    "manager": "a manager",
    "related manager": "a related manager",
    "values queryset": "a `values()` QuerySet",
}


def message(expression: str, simple: bool, why: str, label: Optional[str], evidence: Value) -> str:
    what = WHAT.get(getattr(evidence, "what", ""), "a QuerySet")
    of = f" of `{label}`" if label else ""
    return f"`{expression}` is {what}{of}{why}; pass a list of primary keys and fetch the rows inside the task"


def check(facts: List[Fact], context: Context) -> Iterator[Diagnostic]:
    from . import arguments  # the analysis's values: loaded only when a file is analysed

    return arguments.diagnostics(facts, context, "CEL102", message, PICKLED)


RULE = Rule(
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
        example=PRELUDE
        + """
@shared_task
def remind(orders):
    for order in orders:
        print(order.email)


def remind_unpaid():
    unpaid = Order.objects.filter(paid=False)
    remind.delay(unpaid)
""",
        use_instead=PRELUDE
        + """
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
        "(`Order.objects.filter(pk__in=order_ids)`). " + DEPLOY.format(old="orders", new="order_ids", what="QuerySet"),
        options=OPTIONS.format(code="CEL102"),
    ),
    check,
    fixable=True,
)
