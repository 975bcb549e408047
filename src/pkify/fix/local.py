"""A change `pkify fix` makes where a finding is reported, leaving every task's signature
alone (a send deferred to the commit, a set sent as a list, a row returned as its key); the
fixers of such codes are listed in `plan.LOCAL_FIXERS`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Dict, List, Optional

from ..diagnostics import Diagnostic
from .options import display

if TYPE_CHECKING:  # pragma: no cover
    from .edits import Edits
    from .plan import Planner


@dataclass
class LocalChange:
    """A change at one place that leaves the task's signature alone (a send deferred to the
    commit, a set sent as a list, a row returned as its key), or why it was not made."""

    path: str
    line: int
    what: str  # "`send_receipt.delay(...)` sent on commit (`delay_on_commit`)"
    reason: Optional[str] = None  # why it was left alone

    def describe(self) -> str:
        where = f"{display(self.path)}:{self.line}"
        return f"{where}: {self.what}" if self.reason is None else f"{where}: {self.what}: left unchanged: {self.reason}"


# A fixer of one code whose fix stays where it is reported: it gets the planner, that code's
# diagnostics in the named files (`# noqa` and the selection applied) and the edits so far.
LocalFixer = Callable[["Planner", List[Diagnostic], Dict[str, "Edits"]], List[LocalChange]]
