"""CEL103: model instances passed to a task inside a container."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, List, Optional

from ..diagnostics import Diagnostic
from .base import DEPLOY, OPTIONS, PRELUDE, Context, Rule, RuleDoc

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.facts import Fact
    from ..analysis.values import Value

PICKLED = "; pickled, they reach the task as snapshots of the rows that are stale when the task runs"


def message(expression: str, simple: bool, why: str, label: Optional[str], evidence: Value) -> str:
    of = f"`{label}` instances" if label else "model instances"
    return f"`{expression}` holds {of}{why}; pass their primary keys and fetch them inside the task"


def check(facts: List[Fact], context: Context) -> Iterator[Diagnostic]:
    from . import arguments  # the analysis's values: loaded only when a file is analysed

    return arguments.diagnostics(facts, context, "CEL103", message, PICKLED)


RULE = Rule(
    "CEL103",
    "model-instances-in-container",
    "Model instances inside a container passed to a Celery task",
    RuleDoc(
        what="Checks for model instances passed to Celery tasks inside a list, tuple, set, "
        "dict or comprehension, as `list(queryset)`, or through `*args` / `**kwargs`.",
        why="A container is serialized item by item, so each instance in it fails under JSON "
        "(`kombu.exceptions.EncodeError`) and is a stale snapshot of its row under pickle, as "
        "for CEL101. The container only hides the instance from a quick review.",
        example=PRELUDE
        + """
@shared_task
def export(orders):
    for order in orders:
        print(order.email)


def export_latest():
    latest = Order.objects.order_by("-pk")[:10]
    export.delay(list(latest))
""",
        use_instead=PRELUDE
        + """
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
        "rewrite safely it leaves alone and says why. " + DEPLOY.format(old="orders", new="order_ids", what="instance"),
        options=OPTIONS.format(code="CEL103"),
    ),
    check,
    fixable=True,
)
