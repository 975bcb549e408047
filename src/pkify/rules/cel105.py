"""CEL105: a task returns a model instance or a QuerySet while its result is stored."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, List

from ..diagnostics import Diagnostic
from .base import Context, Rule, RuleDoc

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.facts import Fact

PRELUDE = """\
from celery import Celery
from django.db import models

app = Celery("shop", backend="redis://localhost:6379/1")


class Order(models.Model):
    email = models.EmailField()
    paid = models.BooleanField(default=False)

"""

OPTIONS = """\
- The result backend, `ignore_result` and the result serializer are read from the project
  (`CELERY_RESULT_BACKEND`, `CELERY_TASK_IGNORE_RESULT` and `CELERY_RESULT_SERIALIZER` in Django
  settings; `result_backend`, `task_ignore_result` and `result_serializer` in a Celery config
  module, `app.conf` or `app.conf.update(...)`; `Celery(backend=...)`; the task's
  `ignore_result=` and `backend=`, and its class's). A value pkify cannot read counts as "results
  are not stored": a backend read from the environment (unless given a URL as its default,
  `os.environ.get("CELERY_RESULT_BACKEND", "redis://...")`), an `ignore_result` that is not
  `True` or `False`, a result serializer of the project's own or that differs between settings
  modules. pkify's `serializer` option (the task serializer) does not change it.
- `select` / `ignore`, `per-file-ignores` and `# noqa: CEL105` turn it off where you must.
- `task-decorators` and `model-bases` name tasks and models pkify cannot recognise by itself.
"""


def check(facts: List[Fact], context: Context) -> Iterator[Diagnostic]:
    from .returns import returned_rows  # the analysis's values: loaded only when a file is analysed

    for found in returned_rows(facts, context):
        yield found.diagnostic


RULE = Rule(
    "CEL105",
    "task-returns-model-instance",
    "Celery task returns a model instance or a QuerySet while its result is stored",
    RuleDoc(
        what="Checks for tasks (functions decorated as tasks, the `run` method of task classes) "
        "that return a Django model instance, a QuerySet or a manager, or a container of "
        "instances, when the project stores task results: a result backend is configured, "
        "neither the task (`ignore_result=True`) nor the settings (`task_ignore_result`) ignore "
        "results, and the result serializer is JSON, msgpack or YAML. Returning `.pk`, a list of "
        "keys or of values, or `None` is fine.\n\n"
        "Left alone: what pkify cannot tell is a row; a task that returns a primary key on "
        "another path (`if in_task: return {\"id\": row.pk}`), which chooses what to return by "
        "how it is run; a function nested in a task; tasks whose decorator is not named like "
        "a task's (`@shared_task`, `@app.task`, `@periodic_task`: a name ending in `task`); a "
        "result handed to the next task of a chain (that is the next task's argument); and "
        "every project whose results pkify cannot show are stored (see Options).",
        why="The worker encodes what a task returns with the result serializer, JSON by default, "
        "and JSON cannot encode a model instance or a QuerySet: once the work is done, storing "
        "the result fails (`Object of type Order is not JSON serializable`), the task is "
        "recorded as failed and whoever waits for its result gets the encoding error instead. "
        "Tests that run tasks eagerly never store results, so they do not see it. Returning the "
        "primary key lets the caller fetch the row, as it is then.",
        example=PRELUDE
        + """
@app.task
def mark_paid(pk):
    order = Order.objects.get(pk=pk)
    order.paid = True
    order.save()
    return order
""",
        use_instead=PRELUDE
        + """
@app.task
def mark_paid(pk):
    order = Order.objects.get(pk=pk)
    order.paid = True
    order.save()
    return order.pk
""",
        fix_safety="Unsafe when something reads the result as a row. `pkify fix` returns "
        "`order.pk` for an instance (`order.pk if order is not None else None` for one from "
        "`.first()` or `.last()`), `list(qs.values_list(\"pk\", flat=True))` for a QuerySet, "
        "`[obj.pk for obj in rows]` for a list of instances, and the same list, tuple or dict "
        "with keys for one written out, and only when no code in the "
        "project reads the task's result (`.get()` on what `delay()` or `apply_async()` "
        "return, `AsyncResult(...)`, `.apply().get()`, a direct call whose value is used, a "
        "chain or `link=` callback that receives it); otherwise it reports the task and leaves "
        "it alone. Messages already queued are not affected (the task's arguments do not "
        "change), so no rollout in two steps is needed for them; code outside the project that "
        "reads the results (another service, a result stored before the deploy) now gets keys "
        "instead of the encoding error.",
        options=OPTIONS,
    ),
    check,
    fixable=True,
)
