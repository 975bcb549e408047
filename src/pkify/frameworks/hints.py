"""The pattern a file must match to be analysed at all: files without a match hold no call the
plugins record, and are never parsed with libcst. Built from the plugins' hints (Celery's one
list of task methods), without loading the plugins (a test checks that it is theirs)."""

from __future__ import annotations

import re

from .celery import names as celery

HINT = re.compile("|".join(sorted(celery.HINTS)))
# The same without tasks' definitions: what is worth analysing in a project that stores no task
# results (what its tasks return is then never reported).
SEND_HINT = re.compile("|".join(sorted(celery.HINTS - celery.TASK_DEFINITION_HINTS)))
# A function that calls one of these on one of its parameters is a dispatch helper.
SEND_METHODS = celery.TASK_METHODS
