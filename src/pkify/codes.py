"""The codes pkify reports, and the one place their messages are written.

A code's meaning never changes; a new kind of finding gets a new number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from .values import Instance, Instances, Mapping, Origin, QuerySet, Sequence, Value


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    summary: str


CODES: Dict[str, Code] = {
    c.code: c
    for c in (
        Code("CEL101", "model-instance-task-argument", "Model instance passed to a Celery task"),
        Code("CEL102", "queryset-task-argument", "QuerySet or manager passed to a Celery task"),
        Code("CEL103", "model-instances-in-container", "Model instances inside a container passed to a Celery task"),
    )
}

_WHAT = {
    "queryset": "a QuerySet",
    "manager": "a manager",
    "related manager": "a related manager",
    "values queryset": "a `values()` QuerySet",
}


def classify(value: Value, depth: int = 0) -> Optional[Tuple[str, Value]]:
    """The code an argument value deserves, and the value that is the evidence; None if it is
    fine or unknown."""
    if isinstance(value, Instance):
        return "CEL101", value
    if isinstance(value, QuerySet):
        return "CEL102", value
    if isinstance(value, Instances):
        return "CEL103", value
    if isinstance(value, (Sequence, Mapping)) and depth < 5:
        items = [v for _, v in value.items] if isinstance(value, Sequence) else [v for _, _, v, _ in value.entries]
        if isinstance(value, Mapping):
            items.append(value.values)
        found = [classify(v, depth + 1) for v in items]
        found = [f for f in found if f is not None]
        inner = next((f for f in found if f[0] in ("CEL101", "CEL103")), None)
        if inner is not None:
            evidence = inner[1]
            return "CEL103", Instances(evidence.model, evidence.origin)
        if found:
            return "CEL102", found[0][1]
    return None


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


def message(code: str, expression: str, line: int, evidence: Value, label: Optional[str], simple: bool) -> str:
    """The text after the code. `simple`: the expression is a name or attribute chain, so
    `expression.pk` reads well."""
    origin = evidence.origin  # type: ignore[attr-defined]
    why = evidence_text(origin, expression, line)
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
