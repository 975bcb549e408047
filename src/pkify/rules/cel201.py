"""CEL201: a task sent while a database transaction is open."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, List

from ..diagnostics import Diagnostic
from .base import PRELUDE, Context, Rule, RuleDoc

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.facts import Fact


TX_PRELUDE = "import functools\n\n" + PRELUDE.replace("from django.db import models", "from django.db import models, transaction")

OPTIONS = """\
- `ATOMIC_REQUESTS` is read from the project's settings modules (`DATABASES`, as text; a value
  pkify cannot read, such as `env.bool(...)`, counts as off).
- `select` / `ignore`, `per-file-ignores` and `# noqa: CEL201` turn it off where you must (a task
  that must run even when the transaction rolls back).
"""


def check(facts: List[Fact], context: Context) -> Iterator[Diagnostic]:
    from . import transactions  # the analysis's values: loaded only when a file is analysed

    for call, where in transactions.sent_in_transaction(facts, context):
        unit = call.unit
        node = call.node
        end_line, end_column = unit.end(node)
        text = (
            f"`{unit.short(node)}` is sent {where}: the worker may run it before the commit; "
            "send it on commit (`delay_on_commit()` or `transaction.on_commit()`)"
        )
        yield Diagnostic(
            context.path,
            unit.line(node),
            unit.column(node),
            "CEL201",
            text,
            end_line,
            end_column,
            task=call.task.qualname if call.task is not None else None,
            function=call.context.function,
            argument=unit.short(node),
        )


RULE = Rule(
    "CEL201",
    "task-sent-in-transaction",
    "Celery task sent inside an open database transaction",
    RuleDoc(
        what="Checks for tasks sent (`delay`, `apply_async`, `send_task`) while a database "
        "transaction is open and not deferred to its commit: inside `with transaction.atomic()`, "
        "in a function decorated with `@transaction.atomic`, or in a view when the project's "
        "settings turn `ATOMIC_REQUESTS` on (views are the methods of Django's and DRF's view "
        "classes and the functions URLconfs route to; `@transaction.non_atomic_requests` opts "
        "out). A send inside `transaction.on_commit(...)` (a lambda, `functools.partial`, a local "
        "function passed by name), `delay_on_commit()` / `apply_async_on_commit()`, and a task "
        "whose class sends on commit by itself (its own `apply_async` calls `on_commit`) are fine.",
        why="The message reaches the broker at once, but the rows the transaction wrote are "
        "only visible to other connections once it commits. A worker that picks the task up "
        "first does not find the row (`DoesNotExist`), reads its old values, or acts on a "
        "change that is then rolled back. Passing primary keys instead of instances makes this "
        "more likely: the worker now reads the row itself. Django's documentation and Celery "
        "(`delay_on_commit`, 5.4) say to send tasks once the transaction has committed.",
        example=TX_PRELUDE
        + """
@shared_task
def send_receipt(order_id):
    order = Order.objects.get(pk=order_id)
    print(order.email)


def pay(pk):
    with transaction.atomic():
        order = Order.objects.create(email="a@example.com")
        send_receipt.delay(order.pk)
""",
        use_instead=TX_PRELUDE
        + """
@shared_task
def send_receipt(order_id):
    order = Order.objects.get(pk=order_id)
    print(order.email)


def pay(pk):
    with transaction.atomic():
        order = Order.objects.create(email="a@example.com")
        transaction.on_commit(functools.partial(send_receipt.delay, order.pk))
""",
        fix_safety="Safe when the task should only run if the transaction commits, which is "
        "what it is for. `pkify fix` rewrites `task.delay(...)` to `task.delay_on_commit(...)` "
        "when the task's class has it (Celery 5.4 or later with its Django integration, no "
        "custom task base) and the transaction is on the default database, else to "
        "`transaction.on_commit(functools.partial(task.delay, ...), using=...)`. A call whose "
        "result is used (`result = task.delay(...)`, `.id` read) is reported and left alone: "
        "deferred, it has no result yet. An `on_commit` callback registered inside a savepoint "
        "that rolls back is dropped, as it should be; tests that use Django's `TestCase` must "
        "capture on-commit callbacks (`captureOnCommitCallbacks`) to see the deferred tasks.",
        options=OPTIONS,
    ),
    check,
    fixable=True,
)
