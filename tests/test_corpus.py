"""Smoke test over real code: pkify check over public Django + Celery applications.

Fails on any internal error; prints every finding so the CI log lists them for review.
Skip locally with `-m "not corpus"`.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from corpus import CORPUS, package_root


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_check_runs_clean_over_real_code(name: str, capsys) -> None:
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
    with capsys.disabled():
        print(f"\npkify check over {name}: {len(findings)} finding(s)")
        for row in findings:
            print(f"  {row['path']}:{row['line']}:{row['column']}: {row['code']} {row['message']}")
        for line in process.stderr.splitlines():
            print(f"  (not checked) {line}")
