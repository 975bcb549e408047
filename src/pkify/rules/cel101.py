"""CEL101: a model instance passed to a task."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, List, Optional

from ..diagnostics import Diagnostic
from .base import DEPLOY, OPTIONS, PRELUDE, Context, Rule, RuleDoc, instance_text

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.facts import Fact
    from ..analysis.values import Value

PICKLED = "; pickled, it reaches the task as a snapshot of the row that is stale when the task runs"


def message(expression: str, simple: bool, why: str, label: Optional[str], evidence: Value) -> str:
    fix = f"pass `{expression}.pk`" if simple else "pass its primary key"
    return f"`{expression}` is {instance_text(label)}{why}; {fix} and fetch it inside the task"


def check(facts: List[Fact], context: Context) -> Iterator[Diagnostic]:
    from . import arguments  # the analysis's values: loaded only when a file is analysed

    return arguments.diagnostics(facts, context, "CEL101", message, PICKLED)


RULE = Rule(
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
        example=PRELUDE
        + """
@shared_task
def send_receipt(order):
    print(order.email)


def pay(pk):
    order = Order.objects.get(pk=pk)
    send_receipt.delay(order)
""",
        use_instead=PRELUDE
        + """
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
        "of the task. " + DEPLOY.format(old="order", new="order_id", what="instance"),
        options=OPTIONS.format(code="CEL101"),
    ),
    check,
    fixable=True,
)
