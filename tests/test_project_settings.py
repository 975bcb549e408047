"""What pkify reads from the project's own settings, as text: the task serializer (for the
messages) from Django settings, a Celery config module, `app.conf`, or a task's `serializer=`;
pkify's own `serializer` option overrides them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pkify.api import Session
from pkify.settings import Settings

MODELS = """\
from celery import shared_task
from django.db import models


class Order(models.Model):
    number = models.CharField(max_length=20)


@shared_task{options}
def send_receipt(order):
    pass


def pay(pk):
    send_receipt.delay(Order.objects.get(pk=pk))
"""
PICKLED = "pickled, it reaches the task as a snapshot"


def message(root: Path, settings: Settings = Settings()) -> str:
    session = Session.open(root, settings, use_cache=False)
    (diagnostic,) = session.check(root / "shop" / "models.py").diagnostics
    return diagnostic.message


def project(tmp_path: Path, options: str = "", **files: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "manage.py").write_text("")
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "models.py").write_text(MODELS.format(options=options))
    for name, text in files.items():
        path = tmp_path / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    "files",
    [
        {"proj__settings.py": 'CELERY_TASK_SERIALIZER = "pickle"\n'},
        {"celeryconfig.py": 'task_serializer = "pickle"\n'},
        {"proj__celery.py": 'from celery import Celery\napp = Celery("proj")\napp.conf.update(task_serializer="pickle")\n'},
        {"proj__celery.py": 'from celery import Celery\napp = Celery("proj")\napp.conf.task_serializer = "pickle"\n'},
    ],
    ids=["django-settings", "celeryconfig", "conf-update", "conf-attribute"],
)
def test_a_project_on_pickle_gets_pickles_explanation(tmp_path: Path, files: dict) -> None:
    assert PICKLED in message(project(tmp_path, **files))


def test_json_by_default_and_when_settings_disagree(tmp_path: Path) -> None:
    assert PICKLED not in message(project(tmp_path / "a"))
    disagree = {"one__settings.py": 'CELERY_TASK_SERIALIZER = "pickle"\n', "two__settings.py": 'task_serializer = "json"\n'}
    assert PICKLED not in message(project(tmp_path / "b", **disagree))


def test_a_tasks_own_serializer_option(tmp_path: Path) -> None:
    assert PICKLED in message(project(tmp_path, options='(serializer="pickle")'))


def test_pkifys_option_overrides_the_project(tmp_path: Path) -> None:
    root = project(tmp_path, **{"proj__settings.py": 'CELERY_TASK_SERIALIZER = "pickle"\n'})
    assert PICKLED not in message(root, Settings(serializer="json"))
    assert PICKLED in message(project(tmp_path / "other"), Settings(serializer="pickle"))
