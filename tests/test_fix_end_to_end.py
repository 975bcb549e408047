"""`pkify fix` proven with real parts: the example project (fixtures/project) run with real
Django on SQLite and real Celery (in-memory broker, JSON serializer, an in-process worker).

Before the fix every scenario fails to send its task (kombu's EncodeError); after `pkify fix`
on a copy, every scenario goes through the worker and leaves its effect in the database,
`pkify check` reports nothing, and a second `pkify fix` changes nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

import inprocess
from fixture_expectations import FIXTURES

# Real Django and Celery in subprocesses: with the long runs.
pytestmark = pytest.mark.slow

SCENARIOS = Path(__file__).parent / "e2e" / "scenarios.py"


def run_scenarios(project: Path, mode: str) -> Dict[str, str]:
    process = subprocess.run(
        [sys.executable, str(SCENARIOS), str(project), mode], capture_output=True, text=True, timeout=600
    )
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout)


def snapshot(project: Path) -> Dict[str, str]:
    return {str(p.relative_to(project)): p.read_text() for p in sorted(project.rglob("*.py"))}


def test_example_project_fails_before_and_works_after_the_fix(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "project", project)

    before = run_scenarios(project, "before")
    assert len(before) >= 10
    assert before == {name: "EncodeError" for name in before}, before

    fix = inprocess.run(["fix", "."], cwd=project, text=True)  # pkify in this process: tests/inprocess.py
    assert fix.returncode == 1, fix.stderr
    assert "left unchanged" not in fix.stderr, fix.stderr

    check = inprocess.run(["check", "."], cwd=project, text=True)
    assert (check.returncode, check.stdout) == (0, ""), check.stdout + check.stderr

    fixed = snapshot(project)
    again = inprocess.run(["fix", "."], cwd=project, text=True)
    assert again.returncode == 0, again.stderr
    assert snapshot(project) == fixed

    (project / "shop.sqlite3").unlink()
    after = run_scenarios(project, "after")
    assert after == {name: "ok" for name in before}, after
