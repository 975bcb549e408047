"""What a rule is: a code, a name, its documentation, and a check that turns facts into
diagnostics. Rules read facts (see `pkify.analysis.facts`); they never walk syntax.

A code's meaning never changes; a new kind of finding gets a new number. Each rule's `doc` is
what `pkify rule CODE` prints and what `docs/rules.md` is generated from; its Example and Use
instead are modules that the tests run through the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, List, Optional, Type, TypeVar

from ..diagnostics import Diagnostic, line_ref
from ..settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.facts import Fact
    from ..analysis.values import Origin

P = TypeVar("P")


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
    """What a rule's check may know besides the facts of the file: the settings that apply to
    the file, and what the framework plugins know of the project (`context.plugin(Celery)`:
    a task's serializer, whether results are stored; `context.plugin(DjangoWeb)`: the views
    that run in a transaction). A rule that needs new project knowledge asks a plugin for it;
    the context does not grow a field per rule."""

    path: str  # as the diagnostics show it
    settings: Settings
    plugins: Callable[[type], Any]  # the inference state's plugin of a kind

    def plugin(self, kind: Type[P]) -> P:
        found = self.plugins(kind)
        assert isinstance(found, kind)
        return found


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
    where = f", {line_ref(origin.line)}" if origin.line and origin.line != line else ""
    return f" ({origin.how} `{origin.text}`{where}{none})"
