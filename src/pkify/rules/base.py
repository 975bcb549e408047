"""What a rule is: a code, a name, its documentation, and a check that turns facts into
diagnostics. Rules read facts (see `pkify.analysis.facts`); they never walk syntax.

A code's meaning never changes; a new kind of finding gets a new number. Each rule's `doc` is
what `pkify rule CODE` prints and what `docs/rules.md` is generated from; its Example and Use
instead are modules that the tests run through the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, FrozenSet, Iterable, List, Optional, Tuple

from ..diagnostics import Diagnostic

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.facts import CallContext, Fact
    from ..analysis.values import Origin
    from ..frameworks.celery.values import Task


@dataclass(frozen=True)
class RuleDoc:
    """A rule's documentation, in the sections of ruff's rule pages (Markdown)."""

    what: str  # What it does
    why: str  # Why is this bad?
    example: str  # a self-contained module that produces exactly this code, once
    use_instead: str  # the same module, fixed: produces nothing
    fix_safety: str
    options: str


@dataclass(frozen=True)
class Context:
    """What a rule's check may know besides the facts of the file."""

    path: str  # as the diagnostics show it
    # Celery's task serializer for a task (None: not a known task): under `pickle` the messages
    # explain another failure than under the others.
    serializer: Callable[[Optional[Task]], str] = lambda task: "json"
    label: Callable[[str], str] = lambda model: model  # a model's label ("shop.Order")
    # The database aliases whose transaction a function runs in because it is a view and the
    # settings turn `ATOMIC_REQUESTS` on for them (empty: none).
    request_databases: Callable[["CallContext"], Tuple[str, ...]] = lambda where: ()
    # Where the project configures the result backend that stores what a task returns, with a
    # serializer that cannot encode a row (results not ignored, the result serializer not
    # pickle); None when it does not store them or pkify cannot tell.
    stored_result: Callable[[Optional[Task]], Optional[str]] = lambda task: None
    # The types the project registers with kombu's JSON encoder (`register_type`); None when it
    # registers something pkify cannot read.
    registered_types: Callable[[], Optional[FrozenSet[str]]] = lambda: frozenset()
    # The task's class sends from `transaction.on_commit(...)` by itself (its own `apply_async`).
    sends_on_commit: Callable[[Optional[Task]], bool] = lambda task: False


Check = Callable[[List["Fact"], Context], Iterable[Diagnostic]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    doc: RuleDoc
    check: Check = field(compare=False)
    # Whether `pkify fix` rewrites what this rule reports.
    fixable: bool = False


PRELUDE = """\
from celery import shared_task
from django.db import models


class Order(models.Model):
    email = models.EmailField()
    paid = models.BooleanField(default=False)

"""

DEPLOY = (
    "Messages already queued with the old signature (an `{old}=` keyword, or a pickled "
    "{what}) fail or misbehave when the new code runs them. Roll out in two steps: for one "
    "release let the task accept both (`{new}=None, *, {old}=None`: `pkify fix --compat` writes "
    "it), then drop the old parameter (a later plain `pkify fix`)."
)

OPTIONS = """\
- `serializer`: Celery's task serializer, `json` (the default), `msgpack`, `yaml` or `pickle`.
  Under `pickle` nothing fails when the task is sent, and the message says what goes wrong
  instead: the task gets a stale snapshot. The code stays {code}.
- `select` / `ignore`, `per-file-ignores` and `# noqa: {code}` turn it off where you must.
- `task-decorators` and `model-bases` name tasks and models pkify cannot recognise by itself.
"""


def instance_text(label: Optional[str]) -> str:
    if label is None:
        return "a model instance"
    article = "an" if label[0].lower() in "aeiou" else "a"
    return f"{article} `{label}` instance"


def evidence_text(origin: "Origin", expression: str, line: int, maybe_none: bool = False) -> str:
    """` (from `Order.objects.get(...)`, line 12)`: where a value comes from, unless that is the
    expression itself; `maybe_none`: the value is None on some paths (it is sent as it is on the
    others)."""
    none = "; it may be None" if maybe_none else ""
    if origin.text == expression and origin.line == line:
        return " (it may be None)" if maybe_none else ""
    where = f", line {origin.line}" if origin.line and origin.line != line else ""
    return f" ({origin.how} `{origin.text}`{where}{none})"
