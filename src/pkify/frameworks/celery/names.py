"""Qualified names of Celery's API."""

from __future__ import annotations

# The methods of a task that send its arguments through the broker: the one list the analysis,
# the recognition of task calls and the pattern of files worth reading are built from.
# Sent to any receiver that is not known to be something else than a task:
SEND_ANY_RECEIVER = frozenset({"delay", "apply_async", "delay_on_commit", "apply_async_on_commit"})
# Short or common names: only on receivers known to be tasks.
SEND_TASK_RECEIVER = frozenset({"s", "si", "signature", "subtask", "map", "starmap", "chunks", "retry"})
TASK_METHODS = SEND_ANY_RECEIVER | SEND_TASK_RECEIVER
# Their arguments come packed as `args` and `kwargs`.
PACKED = frozenset({"apply_async", "apply_async_on_commit", "signature", "subtask", "retry"})
SIGNATURES = frozenset({"s", "si", "signature", "subtask"})
# On a Celery app (or an unresolved receiver): the task is named by the first argument.
APP_METHODS = frozenset({"send_task", "signature"})
# Run in the calling process, arguments unserialized: not sent, but a fix must rewrite them.
LOCAL_METHODS = frozenset({"run", "apply"})
ON_COMMIT_METHODS = frozenset({"delay_on_commit", "apply_async_on_commit"})

CELERY_APP_CLASSES = frozenset({"celery.Celery", "celery.app.Celery", "celery.app.base.Celery"})
CELERY_CURRENT_APP = frozenset({"celery.current_app", "celery.app.current_app"})
TASK_DECORATORS = frozenset({"celery.shared_task", "celery.task", "celery.app.shared_task", "celery.decorators.task"})
# `app.Task` of a Celery app (an attribute of an instance, see SymbolIndex.instance_member) counts too.
TASK_CLASSES = frozenset(
    {"celery.Task", "celery.app.task.Task", "celery.task.Task"}
    | {f"{app}.Task" for app in ("celery.Celery", "celery.app.Celery", "celery.app.base.Celery")}
    | {"celery.current_app.Task", "celery.app.current_app.Task"}
)
SIGNATURE_FUNCTIONS = frozenset(
    {"celery.signature", "celery.canvas.signature", "celery.subtask", "celery.Signature", "celery.canvas.Signature"}
)
PARTIAL = frozenset({"functools.partial"})

# What a task's definition looks like: a decorator named like a task's (`@shared_task`,
# `@app.task(...)`), a task class's `run`. Its `return` statements are what the worker stores.
TASK_DEFINITION_HINTS = frozenset({r"@[\w.]*task\b", r"\bdef run\s*\("})
# What a file that sends a task, or defines one, looks like (see frameworks/hints.py).
HINTS = frozenset(
    {r"\.\s*(?:%s)\s*\(" % "|".join(sorted(TASK_METHODS | APP_METHODS)), r"\bsignature\s*\("}
    | TASK_DEFINITION_HINTS
)
