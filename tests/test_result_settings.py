"""CEL105 reads whether results are stored from the project's settings, as text: one project per
way of saying it (the fixtures in fixtures/rules/CEL105/ hold the common ones), and what pkify
cannot read keeps it silent."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest

from pkify.api import Session
from pkify.settings import Settings

TASKS = """\
from celery import shared_task
from django.db import models


class Order(models.Model):
    email = models.EmailField()


@shared_task{options}
def mark_paid(pk):
    return Order.objects.get(pk=pk)
"""

CASES: Dict[str, tuple] = {
    # Reported: results stored, and JSON cannot encode a row
    "conf attribute": ({"shop/celery.py": 'from celery import Celery\n\napp = Celery("shop")\napp.conf.result_backend = "redis://"\n'}, "", 1),
    "environment with a URL default": ({"site/settings.py": 'import os\n\nCELERY_RESULT_BACKEND = os.environ.get("B", "redis://localhost")\n'}, "", 1),
    "celeryconfig module": ({"celeryconfig.py": 'result_backend = "rpc://"\nresult_serializer = "json"\n'}, "", 1),
    "the task's own backend": ({}, '(backend="redis://localhost/1")', 1),
    "msgpack results": ({"site/settings.py": 'CELERY_RESULT_BACKEND = "redis://"\nCELERY_RESULT_SERIALIZER = "msgpack"\n'}, "", 1),
    "ignored in settings, stored by the task": ({"site/settings.py": 'CELERY_RESULT_BACKEND = "redis://"\nCELERY_IGNORE_RESULT = True\n'}, "(ignore_result=False)", 1),
    # Silent: not stored, or pkify cannot tell
    "no settings": ({}, "", 0),
    "disabled": ({"site/settings.py": 'CELERY_RESULT_BACKEND = "disabled"\n'}, "", 0),
    "conf.update ignores results": ({"shop/celery.py": 'from celery import Celery\n\napp = Celery("shop", backend="redis://")\napp.conf.update(task_ignore_result=True)\n'}, "", 0),
    "ignore_result unreadable": ({"site/settings.py": 'import os\n\nCELERY_RESULT_BACKEND = "redis://"\nCELERY_TASK_IGNORE_RESULT = os.environ.get("I") == "1"\n'}, "", 0),
    "the task's ignore_result unreadable": ({"site/settings.py": 'CELERY_RESULT_BACKEND = "redis://"\nQUIET = True\n'}, "(ignore_result=QUIET)", 0),
    "a serializer of the project's own": ({"site/settings.py": 'CELERY_RESULT_BACKEND = "redis://"\nCELERY_RESULT_SERIALIZER = "shop_json"\n'}, "", 0),
    "serializers that disagree": ({"site/settings.py": 'CELERY_RESULT_BACKEND = "redis://"\nCELERY_RESULT_SERIALIZER = "json"\n', "site/test_settings.py": 'CELERY_RESULT_SERIALIZER = "pickle"\n'}, "", 0),
}


@pytest.mark.parametrize("case", CASES)
def test_results_stored(tmp_path: Path, case: str) -> None:
    files, options, expected = CASES[case]
    (tmp_path / "manage.py").write_text("")
    for name, text in {"shop/__init__.py": "", "shop/tasks.py": TASKS.format(options=options), **files}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").touch()
        path.write_text(text)
    session = Session.open(tmp_path, Settings(), use_cache=False)
    result = session.check(tmp_path / "shop" / "tasks.py")
    assert result.error is None, result.error
    assert [d.code for d in result.diagnostics] == ["CEL105"] * expected, [d.message for d in result.diagnostics]
