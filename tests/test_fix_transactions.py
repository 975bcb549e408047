"""CEL201's fix proven with real parts (fixtures/e2e/transactions): Django on a SQLite file
database and a real Celery worker. Before `pkify fix` the worker runs tasks sent inside a
transaction before the commit and does not find their rows; after it, every send waits for the
commit (`delay_on_commit()` for Celery's Django task class, `transaction.on_commit()` for a task
with a base class of its own) and the tasks do their work."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fixture_expectations import FIXTURES

# Real Django and Celery in subprocesses: with the long runs.
pytestmark = pytest.mark.slow

SCENARIOS = Path(__file__).parent / "e2e" / "transaction_scenarios.py"


def run_scenarios(project: Path, mode: str) -> dict:
    process = subprocess.run(
        [sys.executable, str(SCENARIOS), str(project), mode], capture_output=True, text=True, timeout=300
    )
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout)


def pkify(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pkify", *args, "."], cwd=project, capture_output=True, text=True)


def test_sends_inside_transactions_wait_for_the_commit_after_the_fix(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "e2e" / "transactions", project)

    before = run_scenarios(project, "before")
    assert len(before) == 3
    assert before == {name: "DoesNotExist" for name in before}, before

    fix = pkify(project, "fix")
    assert fix.returncode == 1, fix.stderr
    assert "left unchanged" not in fix.stderr, fix.stderr
    views = (project / "billing" / "views.py").read_text()
    assert "send_invoice.delay_on_commit(invoice.pk)" in views
    assert "send_invoice.apply_async_on_commit(args=[invoice.pk], countdown=0)" in views
    assert "transaction.on_commit(functools.partial(audit.delay, invoice.pk))" in views

    check = pkify(project, "check")
    assert (check.returncode, check.stdout) == (0, ""), check.stdout + check.stderr
    again = pkify(project, "fix")
    assert again.returncode == 0 and (project / "billing" / "views.py").read_text() == views, again.stderr

    (project / "billing.sqlite3").unlink()
    after = run_scenarios(project, "after")
    assert after == {name: "ok" for name in before}, after
