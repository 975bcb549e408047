"""Where a task call stands with respect to database transactions: the one definition of "sent
inside an open transaction", shared by CEL201 and by `pkify fix` (which defers such sends)."""

from __future__ import annotations

from typing import Iterator, List, Optional, Tuple

from ..analysis.facts import CallContext, Fact
from ..analysis.values import External, Value
from ..frameworks.celery.plugin import Celery
from ..frameworks.celery.values import TaskCall
from ..frameworks.django_orm.values import Transaction
from ..frameworks.django_web.plugin import DjangoWeb
from ..diagnostics import line_ref
from .base import Context

# The sends that go to the broker at once (signatures are sent later, by what applies them).
SENDS = frozenset({"delay", "apply_async", "send_task"})
ATOMIC = frozenset({"django.db.transaction.atomic"})
ON_COMMIT = frozenset({"django.db.transaction.on_commit"})


def is_atomic(value: Value) -> bool:
    return isinstance(value, Transaction) or (isinstance(value, External) and value.qualname in ATOMIC)


def deferred(context: CallContext) -> bool:
    """Handed to `transaction.on_commit(...)` (in a lambda, a partial, a local function)."""
    return any(isinstance(v, External) and v.qualname in ON_COMMIT for v in context.passed_to)


def waits_for_commit(call: TaskCall, context: Context) -> bool:
    """Sent from an `on_commit` callback, or by a task class that sends on commit by itself."""
    return deferred(call.context) or context.plugin(Celery).sends_on_commit(call.task)


def transaction_around(call: TaskCall, context: Context) -> Optional[Tuple[str, Optional[str], bool]]:
    """The open transaction a send stands in: (where, as the message says it; its database
    alias, None for the default one; whether the alias is known), or None."""
    where = call.context
    for item in where.withs:  # the outermost block: its commit is when the rows are visible
        if is_atomic(item.value):
            using, known = _database(item.value)
            return f"inside `transaction.atomic()` at {line_ref(call.unit.line(item.node))}", using, known
    for decorator in where.decorators:
        if is_atomic(decorator):
            using, known = _database(decorator)
            return f"inside `{_last(where.function)}`, decorated with `@transaction.atomic`", using, known
    aliases = context.plugin(DjangoWeb).request_databases(where.function, where.owner, where.decorators)
    if aliases:
        named = ", ".join(repr(alias) for alias in aliases)
        using = None if "default" in aliases else aliases[0]
        return f"in a view, which runs in a transaction (`ATOMIC_REQUESTS` is on for {named})", using, True
    return None


def sent_in_transaction(facts: List[Fact], context: Context) -> Iterator[Tuple[TaskCall, str]]:
    for fact in facts:
        if not isinstance(fact, TaskCall) or fact.method not in SENDS or waits_for_commit(fact, context):
            continue
        found = transaction_around(fact, context)
        if found is not None:
            yield fact, found[0]


def _database(value: Value) -> Tuple[Optional[str], bool]:
    if isinstance(value, Transaction):
        return value.using, value.literal
    return None, True


def _last(qualname: Optional[str]) -> str:
    return (qualname or "").rpartition(".")[2]
