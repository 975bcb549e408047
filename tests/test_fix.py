"""`pkify fix` on before/after fixtures (fixtures/fix/<case>/): the rewrite, the files that
must not change, the reasons given, idempotence, and files that still parse."""

from __future__ import annotations

import ast
import shlex
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Dict

import libcst as cst
import pytest

import inprocess
from fixture_expectations import fix_cases

CASES = fix_cases()


def tree(root: Path) -> Dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def fix(project: Path, *args: str) -> subprocess.CompletedProcess:
    # In this process (tests/inprocess.py): 46 cases, four runs each.
    return inprocess.run(["fix", *args, "."], cwd=project, text=True)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_fix(case: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(case / "before", project)
    options = shlex.split((case / "options").read_text()) if (case / "options").exists() else []
    expected = tree(case / "after") if (case / "after").exists() else tree(case / "before")

    result = fix(project, *options)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == (1 if (case / "after").exists() else 0), result.stderr
    produced = tree(project)
    for name in sorted(set(expected) | set(produced)):
        assert produced.get(name, b"").decode() == expected.get(name, b"").decode(), f"{name}\n{result.stderr}"
    if (case / "messages").exists():
        for line in (case / "messages").read_text().splitlines():
            assert line in result.stderr, result.stderr

    for name, content in produced.items():
        if name.endswith(".py"):
            cst.parse_module(content.decode("utf-8-sig"))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(content)

    again = fix(project, *options)
    assert again.returncode == 0, again.stderr
    assert tree(project) == produced


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_diff_and_check_write_nothing(case: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(case / "before", project)
    options = shlex.split((case / "options").read_text()) if (case / "options").exists() else []
    changes = (case / "after").exists()
    diff = fix(project, "--diff", "-j", "1", *options)  # serial here; test_fix runs them as a user does
    assert diff.returncode == (1 if changes else 0)
    assert bool(diff.stdout) == changes
    check = fix(project, "--check", "-j", "1", *options)
    assert (check.returncode, check.stdout) == ((1 if changes else 0), "")
    assert tree(project) == tree(case / "before")
