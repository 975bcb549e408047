"""CEL104 and its fix proven with real parts (fixtures/e2e/serializable): Django on a SQLite file
database and a real Celery worker with the JSON serializer. Before `pkify fix` a set and a
timedelta sent to a task raise kombu's EncodeError; after it the set goes as a list and the task
does its work, and the timedelta, which the fix leaves alone, still fails (and is reported)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fixture_expectations import FIXTURES
from pkify.api import Session
from pkify.settings import resolve

# Real Django and Celery in subprocesses: with the long runs.
pytestmark = pytest.mark.slow

SCENARIOS = Path(__file__).parent / "e2e" / "serializable_scenarios.py"


def run_scenarios(project: Path, mode: str) -> dict:
    process = subprocess.run(
        [sys.executable, str(SCENARIOS), str(project), mode], capture_output=True, text=True, timeout=120
    )
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout)


def pkify(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pkify", *args, "."], cwd=project, capture_output=True, text=True)


def test_a_set_fails_before_and_goes_through_after_the_fix(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "e2e" / "serializable", project)

    before = run_scenarios(project, "before")
    assert before == {"set_argument": "EncodeError", "timedelta_argument": "EncodeError"}, before

    fix = pkify(project, "fix")
    assert fix.returncode == 1, fix.stderr
    assert "catalog/views.py:8: `tags` sent as `list(tags)`" in fix.stderr, fix.stderr
    assert "catalog/views.py:12: `timedelta(...)`: left unchanged" in fix.stderr, fix.stderr
    views = (project / "catalog" / "views.py").read_text()
    assert "retag.delay(item_id, list(tags))" in views

    # What is left is the timedelta (idempotence is checked by fixtures/fix/sets_sent_as_lists).
    session = Session.open(project, resolve(project), use_cache=False)
    left = session.check(project / "catalog" / "views.py").diagnostics
    assert [(d.code, d.line) for d in left] == [("CEL104", 12)], left

    (project / "catalog.sqlite3").unlink()
    after = run_scenarios(project, "after")
    assert after == {"set_argument": "ok", "timedelta_argument": "EncodeError"}, after
