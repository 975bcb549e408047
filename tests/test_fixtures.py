"""Every fixture through the engine, the `pkify check` CLI and real flake8: all three must
report exactly what the fixture's inline comments expect."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

from fixture_expectations import FIXTURES, REPO, expected_error, expected_findings, fixture_files, fixture_id
from pkify.api import Session
from pkify.project.files import find_root
from pkify.settings import resolve

FILES = fixture_files()
_projects: Dict[Path, Session] = {}


def _project(path: Path) -> Session:
    root = find_root(path)
    if root not in _projects:
        _projects[root] = Session.open(root, resolve(root), use_cache=False)
    return _projects[root]


def _parses_here(path: Path) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(path.read_bytes())
        return True
    except (SyntaxError, ValueError):
        return False


def _describe(found, expected) -> str:
    missing = sorted(expected - found)
    unexpected = sorted(found - expected)
    return f"missing (line, column, code): {missing}\nunexpected: {unexpected}"


CLI = [sys.executable, "-m", "pkify", "check", "--format", "json", str(FIXTURES)]
FLAKE8 = [sys.executable, "-m", "flake8", "--select=CEL", "--isolated", str(FIXTURES)]


@pytest.fixture(scope="session")
def started(request, tmp_path_factory) -> Iterator[Dict[str, Tuple[subprocess.Popen, Path, Path]]]:
    """The CLI's run over every fixture (when its tests were selected), started before the
    engine's tests so that it runs on the other core meanwhile: name -> (process, its standard
    output, its standard error). cli_output waits for it; flake8's run comes after it (and reads
    the cache it wrote, as a second run over a project does)."""
    selected = {getattr(item, "originalname", "") for item in request.session.items}
    wanted = {"cli": CLI} if selected & {"test_cli", "test_flake8_agrees_with_cli"} else {}
    directory = tmp_path_factory.mktemp("fixture-runs")
    processes = {}
    for name, command in wanted.items():
        out, err = directory / f"{name}.out", directory / f"{name}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            processes[name] = (subprocess.Popen(command, cwd=REPO, stdout=stdout, stderr=stderr), out, err)
    yield processes
    for process, _, _ in processes.values():
        if process.poll() is None:  # a test failed before its output was read
            process.kill()
            process.wait()


def _finished(started, name: str) -> Tuple[int, str, str]:
    process, out, err = started[name]
    process.wait()
    return process.returncode, out.read_text(), err.read_text()


@pytest.mark.usefixtures("started")
@pytest.mark.parametrize("path", FILES, ids=fixture_id)
def test_engine(path: Path) -> None:
    result = _project(path).check(path)
    error = expected_error(path)
    if error:
        assert result.error is not None and error in result.error, result.error
        assert not result.diagnostics
        return
    assert result.error is None, result.error
    found = {(f.line, f.column, f.code) for f in result.diagnostics}
    expected = expected_findings(path)
    assert found == expected, _describe(found, expected)
    for finding in result.diagnostics:
        assert "\n" not in finding.message and finding.message.startswith("`"), finding.message


@pytest.fixture(scope="session")
def cli_output(started) -> Tuple[Dict[str, list], Dict[str, str]]:
    returncode, stdout, stderr = _finished(started, "cli")
    assert returncode in (0, 1), stderr
    by_path: Dict[str, list] = {}
    for row in json.loads(stdout):
        by_path.setdefault(os.path.realpath(row["path"]), []).append(row)
    errors = {}
    for line in stderr.splitlines():
        match = re.match(r"(.+?): error: (.*)", line)
        if match:
            errors[os.path.realpath(match.group(1))] = match.group(2)
    return by_path, errors


@pytest.mark.parametrize("path", FILES, ids=fixture_id)
def test_cli(path: Path, cli_output) -> None:
    by_path, errors = cli_output
    rows = by_path.get(os.path.realpath(path), [])
    error = expected_error(path)
    if error:
        assert error in errors.get(os.path.realpath(path), ""), errors
        return
    assert os.path.realpath(path) not in errors, errors[os.path.realpath(path)]
    for row in rows:
        assert set(row) == {"path", "line", "column", "code", "message", "end_line", "end_column"}
    found = {(r["line"], r["column"], r["code"]) for r in rows}
    expected = expected_findings(path)
    assert found == expected, _describe(found, expected)


FLAKE8_LINE = re.compile(r"(?P<path>.+?):(?P<line>\d+):(?P<column>\d+): (?P<code>[A-Z]+\d+) (?P<message>.*)")


@pytest.fixture(scope="session")
def flake8_output(cli_output) -> Dict[str, List[Tuple[int, int, str, str]]]:
    process = subprocess.run(FLAKE8, capture_output=True, text=True, cwd=REPO)
    assert process.returncode in (0, 1), process.stderr
    found: Dict[str, list] = {}
    for line in process.stdout.splitlines():
        match = FLAKE8_LINE.match(line)
        assert match, line
        row = (int(match["line"]), int(match["column"]), match["code"], match["message"])
        found.setdefault(os.path.realpath(match["path"]), []).append(row)
    return found


FLAKE8_FILES = [p for p in FILES if _parses_here(p) and not expected_error(p)]


@pytest.mark.parametrize("path", FLAKE8_FILES, ids=fixture_id)
def test_flake8_agrees_with_cli(path: Path, flake8_output, cli_output) -> None:
    by_path, _ = cli_output
    cli = sorted((r["line"], r["column"], r["code"], r["message"]) for r in by_path.get(os.path.realpath(path), []))
    flake8 = sorted(flake8_output.get(os.path.realpath(path), []))
    assert flake8 == cli
