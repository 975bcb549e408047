"""`pkify check --format text|json|sarif|github`, `--show-source`, `--statistics`, `--exit-zero`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from fixture_expectations import FIXTURES, REPO
from pkify.frontends import cli, reporters
from pkify.api import RULES as CODES, Session
from pkify.diagnostics import Diagnostic as Finding, FileResult
from small_project import OFFENDING
from test_cli import run

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())

MESSAGE = (
    "`order` is a `shop.Order` instance (from `Order.objects.get(...)`, line 5); pass `order.pk` and "
    "fetch it inside the task"
)


def validate_sarif(log: dict) -> None:
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(log)


# SARIF


def test_sarif_is_valid_and_carries_results_and_rules(project: Path) -> None:
    (project / "shop" / "bad.py").write_text("def broken(:\n")
    result = run("check", "--format", "sarif", "shop", cwd=project)
    assert result.returncode == 1
    log = json.loads(result.stdout)
    validate_sarif(log)
    assert log["version"] == "2.1.0"
    (sarif_run,) = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "pkify"
    assert [rule["id"] for rule in driver["rules"]] == list(CODES)
    for rule, code in zip(driver["rules"], CODES.values()):
        assert rule["name"] == code.name
        assert rule["shortDescription"]["text"] == code.summary
        assert rule["fullDescription"]["text"] and rule["help"]["text"]
        assert "## Why is this bad?" in rule["help"]["markdown"]
    assert sarif_run["results"] == [
        {
            "ruleId": "CEL101",
            "ruleIndex": 0,
            "level": "error",
            "message": {"text": MESSAGE},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "shop/views.py", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 6, "startColumn": 24, "endLine": 6, "endColumn": 29},
                    }
                }
            ],
        }
    ]
    (invocation,) = sarif_run["invocations"]
    assert invocation["executionSuccessful"] is True
    (notification,) = invocation["toolExecutionNotifications"]
    assert "syntax error" in notification["message"]["text"]
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "shop/bad.py"
    assert b"shop/bad.py: error: " in result.stderr  # still on stderr, as in every format


def test_sarif_when_clean_is_valid_with_no_results(project: Path) -> None:
    (project / "shop" / "views.py").write_text("")
    result = run("check", "--format", "sarif", ".", cwd=project)
    assert result.returncode == 0
    log = json.loads(result.stdout)
    validate_sarif(log)
    assert log["runs"][0]["results"] == []


def test_sarif_of_every_fixture_is_valid() -> None:
    # Many files, several roots, files pkify refuses, paths with `..` given on the command line.
    result = subprocess.run(
        [sys.executable, "-m", "pkify", "check", "--format", "sarif", str(FIXTURES)],
        capture_output=True,
        cwd=REPO / "src",
    )
    log = json.loads(result.stdout)
    validate_sarif(log)
    results = log["runs"][0]["results"]
    assert len(results) > 100
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert all(uri.startswith("file:///") for uri in uris)  # outside the working directory: absolute


def test_artifact_uris_are_relative_below_the_working_directory(tmp_path: Path) -> None:
    assert reporters.artifact_uri("a b/c.py", tmp_path) == {"uri": "a%20b/c.py", "uriBaseId": "%SRCROOT%"}
    assert reporters.artifact_uri("./x/../c.py", tmp_path) == {"uri": "c.py", "uriBaseId": "%SRCROOT%"}
    outside = reporters.artifact_uri("../elsewhere.py", tmp_path)
    assert outside == {"uri": (tmp_path.parent / "elsewhere.py").as_uri()}


# GitHub Actions


def test_github_workflow_commands(project: Path) -> None:
    (project / "shop" / "bad.py").write_text("def broken(:\n")
    result = run("check", "--format", "github", "shop", cwd=project)
    assert result.returncode == 1
    assert result.stdout.decode().splitlines() == [
        f"::error file=shop/views.py,line=6,col=24,title=CEL101::{MESSAGE}",
        "::error file=shop/bad.py,title=pkify::syntax error at line 1, column 12: invalid syntax",
    ]


def test_github_escaping() -> None:
    # GitHub's runner (actions/toolkit `escapeData` / `escapeProperty`).
    assert reporters.escape_data("100% a\r\nb: c, d") == "100%25 a%0D%0Ab: c, d"
    assert reporters.escape_property("100% a\r\nb: c, d") == "100%25 a%0D%0Ab%3A c%2C d"
    finding = Finding("dir,with:odd%/x.py", 3, 7, "CEL102", "50% of\nthe rows: all")
    report = reporters.github_report([FileResult("dir,with:odd%/x.py", [finding])], Path.cwd())
    assert report == "::error file=dir%2Cwith%3Aodd%25/x.py,line=3,col=7,title=CEL102::50%25 of%0Athe rows: all\n"


# text


def test_show_source_matches_flake8(project: Path) -> None:
    views = project / "shop" / "views.py"
    tabbed = OFFENDING.replace("    ", "\t")
    tabbed = tabbed.replace("\tsend_receipt.delay(order)", "\tx = 1; send_receipt.delay(order)")
    views.write_text(tabbed)
    ours = run("check", "--show-source", "shop", cwd=project)
    assert ours.stdout == _flake8_show_source(project)
    lines = ours.stdout.decode().splitlines()
    assert lines[1:] == ["\tx = 1; send_receipt.delay(order)", "\t" + " " * len("x = 1; send_receipt.delay(") + "^"]


def test_show_source_after_a_form_feed_matches_flake8(project: Path) -> None:
    """A form feed does not start a line: the line shown is the one reported."""
    views = project / "shop" / "views.py"
    views.write_text(OFFENDING.replace("\n\n\ndef pay", "\n\x0c\n\ndef pay"))
    ours = run("check", "--show-source", "shop", cwd=project)
    assert ours.stdout == _flake8_show_source(project)
    assert ours.stdout.decode().splitlines()[1] == "    send_receipt.delay(order)"


def _flake8_show_source(project: Path) -> bytes:
    command = [sys.executable, "-m", "flake8", "--select=CEL", "--show-source", "shop"]
    return subprocess.run(command, cwd=project, capture_output=True).stdout


def test_show_source_reads_standard_input(project: Path) -> None:
    arguments = ("check", "--show-source", "--stdin-filename", "shop/new.py", "-")
    result = run(*arguments, cwd=project, stdin=OFFENDING.encode())
    assert result.stdout.decode().splitlines()[1:] == ["    send_receipt.delay(order)", "                       ^"]


def test_show_source_is_for_the_text_format_only(project: Path) -> None:
    result = run("check", "--show-source", "--format", "json", ".", cwd=project)
    assert result.returncode == 2 and b"--show-source works with --format text only" in result.stderr


def test_statistics_after_the_findings(project: Path) -> None:
    (project / "shop" / "more.py").write_text(
        OFFENDING + "    send_receipt.delay(order)\n    send_receipt.delay(Order.objects.all())\n"
    )
    result = run("check", "--statistics", "shop", cwd=project)
    lines = result.stdout.decode().splitlines()
    assert lines[-2:] == [
        f"3     CEL101 {CODES['CEL101'].summary}",
        f"1     CEL102 {CODES['CEL102'].summary}",
    ]
    assert len(lines) == 6 and result.returncode == 1


def test_statistics_keep_json_parsable(project: Path) -> None:
    result = run("check", "--statistics", "--format", "json", ".", cwd=project)
    assert len(json.loads(result.stdout)) == 1
    assert result.stderr.decode() == f"1     CEL101 {CODES['CEL101'].summary}\n"


def test_no_statistics_when_clean(project: Path) -> None:
    (project / "shop" / "views.py").write_text("")
    assert run("check", "--statistics", ".", cwd=project).stdout == b""


# exit status


def test_exit_zero(project: Path) -> None:
    result = run("check", "--exit-zero", ".", cwd=project)
    assert result.returncode == 0 and b"CEL101" in result.stdout
    (project / "shop" / "bad.py").write_text("def broken(:\n")
    assert run("check", "--exit-zero", ".", cwd=project).returncode == 0
    assert run("check", "--exit-zero", "--select", "E501", ".", cwd=project).returncode == 2
    assert run("check", "--exit-zero", "nowhere.py", cwd=project).returncode == 2


def test_exit_zero_still_reports_internal_errors(project: Path, monkeypatch, capsys) -> None:
    def broken(self, path, source, display):
        return FileResult(display or str(path), [], "internal error: KeyError: 'x'", internal=True), ()

    monkeypatch.chdir(project)
    monkeypatch.setattr(Session, "_analyse", broken)
    assert cli.main(["check", "--exit-zero", "--no-cache", "-j1", "shop/views.py"]) == 3
    assert "internal error" in capsys.readouterr().err


@pytest.mark.parametrize("output_format", reporters.FORMATS)
def test_every_format_exits_as_text_does(project: Path, output_format: str) -> None:
    assert run("check", "--format", output_format, ".", cwd=project).returncode == 1
    assert run("check", "--format", output_format, "shop/models.py", cwd=project).returncode == 0
