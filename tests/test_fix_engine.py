"""`pkify fix` runs on the same entry point as `pkify check`: the same diagnostics decide what is
offending, read from the same cache and computed with the same workers."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Set, Tuple

import pytest

from fixture_expectations import FIXTURES, fix_cases
from pkify import api
from pkify.api import FixOptions, Session
from pkify.fix.plan import LOCAL_FIXERS, Planner, signature_codes
from pkify.frontends import cli
from pkify.settings import resolve

FIXABLE = signature_codes()  # decided per task, argument by argument
PROJECTS = [case / "before" for case in fix_cases()] + [FIXTURES / "project"]


@pytest.mark.parametrize("root", PROJECTS, ids=lambda p: p.parent.name if p.name == "before" else p.name)
def test_fix_finds_exactly_what_check_reports(root: Path) -> None:
    """Every argument `check` reports (with a task pkify knows) is one the fixer sees as reported,
    and nothing else."""
    session = Session.open(root, resolve(root), use_cache=False)
    files = session.project.python_files([root])
    diagnostics = [d for result in session.check_many([(f, str(f)) for f in files]) for d in result.diagnostics]
    checked: Set[Tuple[str, int, int]] = {
        (os.path.realpath(d.path), d.line, d.column) for d in diagnostics if d.code in FIXABLE and d.task is not None
    }
    planner = Planner(session, FixOptions())
    plan = planner.plan([root], jobs=1)
    # Each finding of a code fixed where it is reported (CEL201) gets its line in the output.
    local = {(os.path.realpath(d.path), d.line) for d in diagnostics if d.code in LOCAL_FIXERS}
    assert local <= {(os.path.realpath(c.path), c.line) for c in plan.local}
    checked_files = {os.path.realpath(f) for f in files}  # not those `extend-exclude` leaves out
    reported = {
        (os.path.realpath(site.path), site.unit.line(a.node), site.unit.column(a.node))
        for site in planner.sites
        for a in site.call.arguments
        if site.reports(a) and os.path.realpath(site.path) in checked_files
    }
    assert reported == checked


@pytest.fixture
def example(tmp_path: Path, monkeypatch) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(FIXTURES / "project", copy)
    monkeypatch.setenv("PKIFY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PKIFY_NO_CACHE", raising=False)
    monkeypatch.chdir(copy)
    return copy


def test_fix_reads_what_check_cached(example: Path, monkeypatch, capsys) -> None:
    assert cli.main(["check", "-j1", "."]) == 1
    capsys.readouterr()

    def analyse_again(self, path, source, display):
        raise AssertionError(f"{path} analysed again: the cache was not read")

    monkeypatch.setattr(Session, "_analyse", analyse_again)
    assert cli.main(["fix", "--diff", "-j1", "."]) == 1
    out = capsys.readouterr()
    assert "+++ b/notifications/tasks.py" in out.out, out.err


def test_fix_uses_the_workers_it_is_given(example: Path, monkeypatch, capsys) -> None:
    jobs = []
    real = api.in_parallel

    def recording(function, items, n, chunks_per_job=4):
        jobs.append(n)
        return real(function, items, 1, chunks_per_job)

    monkeypatch.setattr(api, "in_parallel", recording)
    assert cli.main(["fix", "--diff", "-j", "3", "--no-cache", "."]) == 1
    assert jobs and set(jobs) == {3}
