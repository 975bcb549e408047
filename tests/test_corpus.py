"""Smoke test over real code: pkify check over public Django + Celery applications.

Fails on any internal error; lists every finding in the session's summary, after pytest's
progress, so that the CI log shows them for review. Marked `corpus`: run with
`python -m pytest -m "corpus or slow"`.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

from corpus import CORPUS, package_root


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_check_runs_clean_over_real_code(name: str, report) -> None:
    root, package = package_root(name)
    process = subprocess.run(
        [sys.executable, "-m", "pkify", "check", "--format", "json", "--root", str(root), str(package)],
        capture_output=True,
        text=True,
    )
    assert "internal error" not in process.stderr, process.stderr
    assert "Traceback" not in process.stderr, process.stderr
    assert process.returncode in (0, 1), process.stderr
    findings = json.loads(process.stdout)
    report(f"pkify check over {name}: {len(findings)} finding(s)")
    for row in findings:
        report(f"  {row['path']}:{row['line']}:{row['column']}: {row['code']} {row['message']}")
    for line in process.stderr.splitlines():
        report(f"  (not checked) {line}")


FIX_CORPUS = ("pretix", "weblate")


def _tree(root: Path) -> Dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def _pkify(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pkify", *args], cwd=cwd, capture_output=True, text=True)


# The codes a planted bug makes (the release's own CEL201 findings are another test's).
PLANTED = ("--select", "CEL101,CEL102,CEL103")


@pytest.mark.corpus
@pytest.mark.parametrize("name", FIX_CORPUS)
def test_fix_over_real_code(name: str, tmp_path: Path, report) -> None:
    """`pkify fix` over a release changes nothing (it passes primary keys already); over the
    same release with the bug planted where pkify can see it, every file still parses, only
    files with findings and the definitions of their tasks change, what is left unchanged is
    said, and a second run changes nothing."""
    from mutation import plant

    root, _ = package_root(name)
    copy = tmp_path / name
    shutil.copytree(root, copy)
    (copy / "pyproject.toml").write_text("")  # a project root of its own

    release = _tree(copy)
    untouched = _pkify("fix", *PLANTED, ".", cwd=copy)
    assert untouched.returncode == 0, untouched.stderr
    assert _tree(copy) == release

    planted = plant(copy)
    assert planted > 10
    before = _tree(copy)
    check = _pkify("check", *PLANTED, "--format", "json", ".", cwd=copy)
    offending = {row["path"] for row in json.loads(check.stdout)}
    assert len(json.loads(check.stdout)) == planted

    fixed = _pkify("fix", *PLANTED, ".", cwd=copy)
    assert fixed.returncode == 1, fixed.stderr
    assert "Traceback" not in fixed.stderr and "internal error" not in fixed.stderr, fixed.stderr
    after = _tree(copy)
    changed = {path for path in after if after[path] != before[path]}
    definitions = {line.split(":", 2)[1].strip() for line in fixed.stderr.splitlines() if line.startswith("pkify: ")}
    for path in changed:
        ast.parse(after[path])
        assert path in {os.path.normpath(p) for p in offending} or path in definitions, path
    again = _pkify("fix", *PLANTED, ".", cwd=copy)
    assert again.returncode == 0, again.stderr
    assert _tree(copy) == after
    left = json.loads(_pkify("check", *PLANTED, "--format", "json", ".", cwd=copy).stdout)
    report(f"pkify fix over {name} with {planted} planted bug(s): {len(changed)} file(s) changed, "
           f"{len(left)} finding(s) left")
    for line in fixed.stderr.splitlines():
        report(f"  {line}")


@pytest.mark.corpus
@pytest.mark.parametrize("name", FIX_CORPUS)
def test_deferring_sends_over_real_code(name: str, tmp_path: Path, report) -> None:
    """`pkify fix --select CEL201` over a release: every send it reports inside a transaction
    waits for the commit afterwards, except those whose result is used (said, with the reason);
    the files still parse and a second run changes nothing."""
    root, _ = package_root(name)
    copy = tmp_path / name
    shutil.copytree(root, copy)
    (copy / "pyproject.toml").write_text("")  # a project root of its own
    release = _tree(copy)
    found = json.loads(_pkify("check", "--select", "CEL201", "--format", "json", ".", cwd=copy).stdout)
    fixed = _pkify("fix", "--select", "CEL201", ".", cwd=copy)
    assert "Traceback" not in fixed.stderr and "internal error" not in fixed.stderr, fixed.stderr
    assert fixed.returncode == (1 if found else 0), fixed.stderr
    after = _tree(copy)
    for path in after:
        if after[path] != release[path]:
            ast.parse(after[path])
    left = json.loads(_pkify("check", "--select", "CEL201", "--format", "json", ".", cwd=copy).stdout)
    kept = [line for line in fixed.stderr.splitlines() if "its result is used" in line]
    assert {(row["path"], row["line"]) for row in left} <= {(row["path"], row["line"]) for row in found}
    assert len(left) == len(kept), (left, fixed.stderr)
    again = _pkify("fix", "--select", "CEL201", ".", cwd=copy)
    assert again.returncode == 0 and _tree(copy) == after, again.stderr
    report(f"pkify fix --select CEL201 over {name}: {len(found)} send(s) in transactions, {len(left)} left")
