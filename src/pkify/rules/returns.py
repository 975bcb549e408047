"""Rows returned by a task whose result is stored: the one definition, shared by CEL105 and by
`pkify fix` (which returns their primary keys instead)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, List

from ..analysis.facts import Fact
from ..analysis.values import Mapping, Scalar, Sequence, Value
from ..diagnostics import Diagnostic
from ..frameworks.celery.plugin import Celery
from ..frameworks.celery.values import TaskReturn
from ..frameworks.django_orm.plugin import DjangoORM
from .arguments import CONTAINER, INSTANCE, verdict
from .base import Context, evidence_text, instance_text
from .cel102 import WHAT

KINDS = {INSTANCE: "instance", CONTAINER: "instances"}


@dataclass
class ReturnedRows:
    fact: TaskReturn
    kind: str  # "instance", "queryset", "instances"
    evidence: Value
    diagnostic: Diagnostic


def returned_rows(facts: List[Fact], context: Context) -> Iterator[ReturnedRows]:
    returns = [fact for fact in facts if isinstance(fact, TaskReturn)]
    # A task that returns a primary key on another path (`if in_task: return {"id": row.id}`)
    # chooses what to return by how it is run: its rows are returned to a direct caller.
    keyed = {fact.task.qualname for fact in returns if _holds_key(fact.value)}
    for fact in returns:
        if fact.task.qualname in keyed:
            continue
        found = verdict(fact.value)
        if found is None:
            continue
        stored = context.plugin(Celery).stored_result(fact.task)
        if stored is None:
            continue
        code, evidence = found
        kind = KINDS.get(code, "queryset")
        yield ReturnedRows(fact, kind, evidence, _diagnostic(fact, kind, evidence, stored, context))


def _diagnostic(fact: TaskReturn, kind: str, evidence: Value, stored: str, context: Context) -> Diagnostic:
    unit = fact.unit
    node = fact.node.value
    line, column = unit.line(node), unit.column(node)
    end_line, end_column = unit.end(node)
    expression = unit.short(node)
    origin = unit.locate(evidence.origin)  # type: ignore[attr-defined]
    why = evidence_text(origin, expression, line, getattr(evidence, "maybe_none", False))
    model = getattr(evidence, "model", None)
    label = context.plugin(DjangoORM).catalog.label(model) if model else None
    if kind == "instance":
        what = instance_text(label)
        instead = f"return `{expression}.pk`" if unit.dotted(node) is not None else "return its primary key"
    elif kind == "instances":
        what = f"holds {f'`{label}` instances' if label else 'model instances'}"
        instead = "return their primary keys"
    else:
        what = WHAT.get(getattr(evidence, "what", ""), "a QuerySet") + (f" of `{label}`" if label else "")
        instead = "return a list of primary keys (or of values)"
    verb = "" if kind == "instances" else "is "
    text = (
        f"`{expression}` {verb}{what}{why}, returned by a task whose result is stored ({stored}): "
        f"the result serializer cannot encode it, and the task fails after its work is done; {instead}"
    )
    return Diagnostic(
        context.path,
        line,
        column,
        "CEL105",
        text,
        end_line,
        end_column,
        task=fact.task.qualname,
        function=fact.context.function,
        argument=expression,
    )


def _holds_key(value: Value, depth: int = 0) -> bool:
    """A primary key, or a tuple, list or dict that holds one."""
    if isinstance(value, Scalar):
        return value.pk
    if depth > 3:
        return False
    if isinstance(value, Sequence):
        return any(_holds_key(item.value, depth + 1) for item in value.items)
    if isinstance(value, Mapping):
        return any(_holds_key(entry.value, depth + 1) for entry in value.entries)
    return False
