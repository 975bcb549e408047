"""`pkify fix --compat` proven across a rolling deploy, with real parts: the compat project
(fixtures/fix/compat_rolling_deploy) on Django with SQLite, and Celery with the pickle serializer
and a broker that keeps its messages in files.

The code before the fix sends its messages (pickled instances, positionally and by keyword) and
no worker takes them; `pkify fix --compat` rewrites the project; a worker with the rewritten
code then gets those old messages and new ones, and every task must do its work, reading its
rows as they are now. A later plain `pkify fix` removes the compat code, leaving what a plain
fix of the original makes; the negative control shows that without `--compat` the old messages
fail. And the example project's compat release runs the plain fix's end-to-end scenarios.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from fixture_expectations import FIX_FIXTURES, FIXTURES
from test_fix_end_to_end import run_scenarios, snapshot

# Real Django and Celery workers in subprocesses, across a deploy: with the long runs.
pytestmark = pytest.mark.slow

COMPAT = FIX_FIXTURES / "compat_rolling_deploy"
SCENARIOS = Path(__file__).parent / "e2e" / "compat_scenarios.py"


def scenario(project: Path, broker: Path, *args: str) -> Dict:
    process = subprocess.run(
        [sys.executable, str(SCENARIOS), str(project), str(broker), *args], capture_output=True, text=True, timeout=300
    )
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout)


def pkify(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pkify", *args, "."], cwd=project, capture_output=True, text=True)


def expected_log(*notes: str) -> List[List[str]]:
    """What the tasks write for one sending of everything, per note. The order was renamed from
    `A` to `A2` after the old messages were sent: a task that reads the row again says `A2`."""
    lines = []
    for note in notes:
        lines += [
            ["send_receipt", f"A2 {note}"],
            ["send_receipt", f"A2 {note} by keyword"],
            ["notify_customer", f"buyer@example.com {note}"],
            ["update_totals", "A2"],
            ["archive_orders", note],
            ["export_orders", "A2,B"],
            ["export_orders", "A2,B"],
            ["record_event", f"buyer@example.com new {note}"],
        ]
    return sorted(lines)


def test_messages_sent_before_a_compat_fix_are_processed_after_it(tmp_path: Path) -> None:
    project, broker = tmp_path / "project", tmp_path / "broker"
    shutil.copytree(COMPAT / "before", project)
    assert scenario(project, broker, "send", "old") == {"queued": 8}

    compat = pkify(project, "fix", "--compat")
    assert compat.returncode == 1, compat.stderr
    assert "left unchanged" not in compat.stderr, compat.stderr
    assert snapshot(project) == snapshot(COMPAT / "after")
    check = pkify(project, "check")
    assert (check.returncode, check.stdout) == (0, ""), check.stdout + check.stderr

    worked = scenario(project, broker, "work", "new", "16")
    assert worked["failures"] == []
    assert worked["log"] == expected_log("old", "new")
    assert worked["archived"] == 2

    # The second release: a plain fix takes the compat code out again.
    plain = tmp_path / "plain"
    shutil.copytree(COMPAT / "before", plain)
    assert pkify(plain, "fix").returncode == 1
    finish = pkify(project, "fix")
    assert finish.returncode == 1, finish.stderr
    assert "the `--compat` code for messages sent before the fix removed" in finish.stderr, finish.stderr
    assert snapshot(project) == snapshot(plain)
    again = pkify(project, "fix")
    assert (again.returncode, again.stderr) == (0, ""), again.stderr
    check = pkify(project, "check")
    assert (check.returncode, check.stdout) == (0, ""), check.stdout + check.stderr

    clean = scenario(project, broker, "work", "clean", "24")
    assert clean["failures"] == []
    assert clean["log"] == expected_log("old", "new", "clean")


def test_without_compat_the_messages_sent_before_the_fix_fail(tmp_path: Path) -> None:
    project, broker = tmp_path / "project", tmp_path / "broker"
    shutil.copytree(COMPAT / "before", project)
    scenario(project, broker, "send", "old")
    assert pkify(project, "fix").returncode == 1

    worked = scenario(project, broker, "work", "new", "16")
    failed = {line.split(":", 1)[0] for line in worked["failures"]}
    assert {"shop.tasks.send_receipt", "shop.tasks.notify_customer", "shop.tasks.update_totals"} <= failed
    assert "send_receipt() got an unexpected keyword argument 'order'" in " ".join(worked["failures"])
    assert ["send_receipt", "A2 old"] not in worked["log"]


def test_the_example_project_works_in_its_compat_release(tmp_path: Path) -> None:
    """The first release of the example project (JSON: no old message holds an instance) runs
    every scenario of the plain fix's end-to-end test through the worker."""
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "project", project)
    compat = pkify(project, "fix", "--compat")
    assert compat.returncode == 1, compat.stderr
    assert "left unchanged" not in compat.stderr, compat.stderr
    after = run_scenarios(project, "after")
    assert after and after == {name: "ok" for name in after}, after
