"""What the analysis thinks an expression is, written out: for tests that name the layer that
broke (`x = f()  # value: Instance(shop.models.Order)` in a fixture), and for a person asking.

`describe(value)` is a value's kind and what it means (never its evidence); `values_at` walks a
module and describes the value of the statements on the given lines: an assignment's value, an
expression statement's, a `return`'s.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import TYPE_CHECKING, Dict, Set

import libcst as cst

from ..project.summary import ModuleSummary
from .evaluator import Evaluator
from .execution import walk_module
from .facts import Recorder
from .units import Unit, parse_module
from .values import Entry, Item, Value

if TYPE_CHECKING:  # pragma: no cover
    from .state import InferenceState


def describe(value: object) -> str:
    if isinstance(value, Item):
        return describe(value.value)
    if isinstance(value, Entry):
        return f"{value.key}={describe(value.value)}" if value.key is not None else f"*={describe(value.value)}"
    if isinstance(value, (tuple, list)):
        return ", ".join(describe(v) for v in value)
    if not isinstance(value, Value) or not is_dataclass(value):
        return str(getattr(value, "qualname", value))
    parts = []
    for field in fields(value):
        if not field.compare:
            continue
        item = getattr(value, field.name)
        if item is None or item is False or item == () or item == field.default:
            continue
        parts.append(field.name if item is True else describe(item))
    name = type(value).__name__
    return f"{name}({', '.join(parts)})" if parts else name


def values_at(state: "InferenceState", summary: ModuleSummary, source: str, lines: Set[int]) -> Dict[int, str]:
    """line -> the described value of the statement that starts there (every function walked)."""
    unit = Unit(summary, parse_module(source))
    found: Dict[int, str] = {}

    def statement(node: cst.CSTNode, evaluator: Evaluator) -> None:
        line = unit.line(node)
        if line not in lines or line in found:
            return
        expression = getattr(node, "value", None)
        if isinstance(node, (cst.Assign, cst.AnnAssign, cst.Expr, cst.Return)) and expression is not None:
            found[line] = describe(evaluator.value(expression))

    recorder = Recorder(state, unit)
    recorder.statement = statement
    walk_module(state, unit, None, recorder=recorder)
    return found
