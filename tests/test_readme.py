"""The README stays true: the lines its first screen shows are what `pkify check` prints, its test
commands are what CI runs, and its pre-commit and GitHub Actions snippets name hooks, steps and
permissions that exist (tests/test_pre_commit.py installs the pre-commit snippet for real)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

import inprocess
from fixture_expectations import FIXTURES, REPO
from test_reporters import validate_sarif

# What the snippets ask the reader to fill in (the prose above them says with what).
ADDRESS = "<address of pkify's git repository>"
COMMIT = "<commit>"


def readme_block(section: str, language: str) -> str:
    """The first ```language block of the README's `## section`."""
    readme = (REPO / "README.md").read_text()
    text = readme.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return text.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def _commands(block: str) -> List[str]:
    return [line[2:].split("  #", 1)[0].strip() for line in block.splitlines() if line.startswith("$ ")]


def test_the_example_output_in_the_readme_is_real() -> None:
    readme = (REPO / "README.md").read_text()
    block = readme.split("```console\n$ python -m pip install . && pkify check fixtures/project\n", 1)[1]
    shown = [line for line in block.split("```", 1)[0].splitlines() if re.match(r"fixtures/\S+:\d+:\d+: CEL", line)]
    assert shown
    output = subprocess.run(
        [sys.executable, "-m", "pkify", "check", "fixtures/project"], cwd=REPO, capture_output=True, text=True
    ).stdout.splitlines()
    for line in shown:
        assert line in output, line


def test_the_test_commands_are_what_ci_runs() -> None:
    readme = (REPO / "README.md").read_text()
    first_screen = readme.split("\n## ", 1)[0]
    fast, slow = [c for b in first_screen.split("```console\n")[2:] for c in _commands(b.split("```")[0])]
    assert fast == "python -m pip install -e '.[test]' && python -m pytest -n auto"
    assert slow == 'python -m pytest -m "corpus or slow"'
    assert _commands(readme_block("Development", "console")) == [fast, slow]
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert fast in ci and slow in ci


def test_the_pre_commit_snippet_names_existing_hooks() -> None:
    yaml = pytest.importorskip("yaml")  # pre-commit's dependency
    (repo,) = yaml.safe_load(readme_block("pre-commit", "yaml"))["repos"]
    assert (repo["repo"], repo["rev"]) == (ADDRESS, COMMIT)
    hooks = {hook["id"] for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert [hook["id"] for hook in repo["hooks"]] == ["pkify"] and "pkify" in hooks
    assert "pkify-fix" in hooks and "id: pkify-fix" in readme_block("pre-commit", "yaml")


def test_the_github_actions_job_is_complete_and_its_check_step_works(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load(readme_block("GitHub Actions", "yaml"))
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "security-events": "write"}
    steps = job["steps"]
    assert [step.get("uses", "").split("@")[0] for step in steps] == [
        "actions/checkout", "actions/setup-python", "", "", "github/codeql-action/upload-sarif"
    ]
    assert steps[2]["run"] == f'python -m pip install "git+{ADDRESS}@{COMMIT}"'
    upload = steps[4]
    assert upload["if"] == "${{ !cancelled() }}"

    # The check step, as the job runs it, on a copy of the example project: findings, exit 1, and
    # the SARIF file the upload step reads.
    *command, redirect, output = shlex.split(steps[3]["run"])
    assert command[:2] == ["pkify", "check"] and "sarif" in command and redirect == ">"
    assert upload["with"]["sarif_file"] == output
    shutil.copytree(FIXTURES / "project", tmp_path / "project")
    result = inprocess.run(command[1:], cwd=tmp_path / "project")
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout)
    validate_sarif(log)
    assert log["runs"][0]["results"]
