"""CEL105's fix proven with real parts: tasks that return rows, run by a real Celery worker
(in-process, JSON, a result backend that stores results) with real Django (SQLite file
database). Before `pkify fix` the work is done but storing the result fails (EncodeError);
after it the tasks return keys, and the results are stored and read."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict

import pytest

# Real Django and Celery in subprocesses: with the long runs.
pytestmark = pytest.mark.slow

SCENARIOS = Path(__file__).parent / "e2e" / "returns_scenarios.py"

PROJECT = {
    "manage.py": "",
    "rsite/__init__.py": "",
    "rsite/settings.py": """\
        SECRET_KEY = "e2e"
        INSTALLED_APPS = ["orders"]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "orders.sqlite3"}}
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
        USE_TZ = True
        CELERY_BROKER_URL = "memory://"
        CELERY_RESULT_BACKEND = "cache+memory://"
        CELERY_TASK_SERIALIZER = "json"
        CELERY_RESULT_SERIALIZER = "json"
        """,
    "rsite/celery.py": """\
        from celery import Celery

        app = Celery("rsite")
        app.config_from_object("django.conf:settings", namespace="CELERY")
        app.autodiscover_tasks(["orders"])
        """,
    "orders/__init__.py": "",
    "orders/models.py": """\
        from django.db import models


        class Order(models.Model):
            email = models.EmailField()
            paid = models.BooleanField(default=False)
            archived = models.BooleanField(default=False)
        """,
    "orders/tasks.py": """\
        from rsite.celery import app

        from .models import Order


        @app.task
        def mark_paid(pk):
            order = Order.objects.get(pk=pk)
            order.paid = True
            order.save()
            return order


        @app.task
        def unpaid_orders():
            return Order.objects.filter(paid=False)


        @app.task
        def archive_paid():
            archived = []
            for order in Order.objects.filter(paid=True, archived=False):
                order.archived = True
                order.save()
                archived.append(order)
            return archived
        """,
}


def write_project(root: Path) -> None:
    for name, text in PROJECT.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def run_scenarios(project: Path) -> Dict[str, Dict[str, object]]:
    database = project / "orders.sqlite3"
    if database.exists():
        database.unlink()
    process = subprocess.run(
        [sys.executable, str(SCENARIOS), str(project)], capture_output=True, text=True, timeout=120
    )
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout)


def pkify(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pkify", *args, "."], cwd=project, capture_output=True, text=True)


def test_returned_rows_fail_to_be_stored_before_and_are_keys_after_the_fix(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write_project(project)

    check = pkify(project, "check", "--select", "CEL105")
    assert check.returncode == 1 and check.stdout.count("CEL105") == 3, check.stdout + check.stderr

    before = run_scenarios(project)
    assert set(before) == {"instance", "queryset", "list_of_instances"}
    assert before == {name: {"result": "EncodeError", "done": True} for name in before}, before

    fix = pkify(project, "fix")
    assert fix.returncode == 1, fix.stderr
    assert "left unchanged" not in fix.stderr, fix.stderr
    assert (pkify(project, "check", "--select", "CEL105").stdout) == ""
    fixed = (project / "orders" / "tasks.py").read_text()
    assert "return order.pk" in fixed
    assert pkify(project, "fix").returncode == 0
    assert (project / "orders" / "tasks.py").read_text() == fixed

    after = run_scenarios(project)
    assert after == {name: {"result": "ok", "done": True} for name in before}, after
