"""Task arguments the serializer cannot carry as they are: the one definition of an offending
argument, shared by CEL101-CEL103 (each reports its own code) and by `pkify fix`."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Iterator, List, Optional, Tuple

from ..analysis.facts import Fact
from ..analysis.values import Mapping, Sequence, Value
from ..diagnostics import Diagnostic
from ..frameworks.celery.plugin import Celery
from ..frameworks.celery.values import Argument, TaskCall
from ..frameworks.django_orm.plugin import DjangoORM
from ..frameworks.django_orm.values import Instance, Instances, QuerySet
from .base import Context, evidence_text

INSTANCE, QUERYSET, CONTAINER = "CEL101", "CEL102", "CEL103"


def verdict(value: Value, depth: int = 0) -> Optional[Tuple[str, Value]]:
    """The code an argument's value deserves, and the value that is the evidence; None if it is
    fine or unknown. A container holding rows is CEL103, one holding only QuerySets CEL102."""
    if isinstance(value, Instance):
        return INSTANCE, value
    if isinstance(value, QuerySet):
        return QUERYSET, value
    if isinstance(value, Instances):
        return CONTAINER, value
    if isinstance(value, (Sequence, Mapping)) and depth < 5:
        if isinstance(value, Sequence):
            items = [item.value for item in value.items]
        else:
            items = [entry.value for entry in value.entries] + [value.values]
        found = [v for v in (verdict(item, depth + 1) for item in items) if v is not None]
        inner = next((v for v in found if v[0] in (INSTANCE, CONTAINER)), None)
        if inner is not None:
            evidence = inner[1]
            assert isinstance(evidence, (Instance, Instances))
            return CONTAINER, Instances(evidence.model, evidence.origin)
        if found:
            return QUERYSET, found[0][1]
    return None


def offending(value: Value) -> bool:
    return verdict(value) is not None


def task_calls(facts: List[Fact]) -> Iterator[TaskCall]:
    return (fact for fact in facts if isinstance(fact, TaskCall))


Message = Callable[[str, bool, str, Optional[str], Value], str]


def diagnostics(facts: List[Fact], context: Context, code: str, message: Message, pickled: str) -> Iterator[Diagnostic]:
    """A diagnostic for each argument sent to a task whose verdict is `code`. `message(expression,
    simple, why, label, evidence)` writes the text; `pickled` is what goes wrong under pickle."""
    for call in task_calls(facts):
        if not call.sends:
            continue
        for argument in call.arguments:
            found = verdict(argument.value)
            if found is None or found[0] != code:
                continue
            yield _diagnostic(call, argument, found[1], context, message, pickled, code)


def _diagnostic(
    call: TaskCall, argument: Argument, evidence: Value, context: Context, message: Message, pickled: str, code: str
) -> Diagnostic:
    unit = call.unit
    node = argument.node
    line, column = unit.line(node), unit.column(node)
    end_line, end_column = unit.end(node)
    expression = unit.short(node)
    origin = unit.locate(evidence.origin)  # type: ignore[attr-defined]
    maybe_none = getattr(evidence, "maybe_none", False)
    pickle = context.plugin(Celery).serializer(call.task, context.settings) == "pickle"
    why = evidence_text(origin, expression, line, maybe_none) + (pickled if pickle else "")
    model = getattr(evidence, "model", None)
    label = context.plugin(DjangoORM).catalog.label(model) if model else None
    evidence = replace(evidence, origin=origin)  # type: ignore[type-var]
    text = message(expression, unit.dotted(node) is not None, why, label, evidence)
    return Diagnostic(
        context.path,
        line,
        column,
        code,
        text,
        end_line,
        end_column,
        task=call.task.qualname if call.task is not None else None,
        function=call.context.function,
        argument=expression,
    )
