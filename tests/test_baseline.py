"""The baseline (`--baseline`, `--write-baseline`, `--prune-baseline`, `[tool.pkify] baseline`,
flake8's `--pkify-baseline`), on a copy of the example project: the real CLI in-process, real
flake8 in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

from fixture_expectations import REPO
from pkify.frontends.cli import main

EXAMPLE = REPO / "fixtures" / "project"
FINDINGS = 20  # what `pkify check fixtures/project` reports

NEW_BUG = """

def refund(request, pk):
    order = get_object_or_404(Order, pk=pk)
    receipt.delay(order)
    return HttpResponse("ok")
"""


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of fixtures/project, the working directory."""
    root = tmp_path / "example"
    shutil.copytree(EXAMPLE, root)
    monkeypatch.chdir(root)
    return root


def check(capsys: pytest.CaptureFixture, *args: str) -> Tuple[int, List[str], List[str]]:
    """`pkify check ARGS .`: the exit status, the lines on stdout and on stderr."""
    status = main(["check", "-j", "1", *args, "."])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err.splitlines()


def positions(lines: List[str]) -> List[str]:
    return [line.split(" ", 2)[0] + " " + line.split(" ", 2)[1] for line in lines]  # path:line:col: CODE


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def write_baseline(capsys: pytest.CaptureFixture, name: str = "pkify-baseline.json") -> Path:
    status, out, err = check(capsys, "--write-baseline", name)
    assert (status, out, err) == (0, [], [f"pkify: baseline: wrote {FINDINGS} finding(s) to {name}"])
    return Path(name)


def test_the_written_baseline_is_sorted_stable_and_reviewable(example: Path, capsys) -> None:
    path = write_baseline(capsys)
    text = path.read_text()
    data = json.loads(text)
    assert data["version"] == 1
    entries = data["findings"]
    assert sum(e["count"] for e in entries) == FINDINGS
    assert entries[0] == {
        "path": "shop/admin.py", "code": "CEL101", "function": "shop.admin.OrderAdmin.save_model",
        "task": "notifications.tasks.send_receipt", "argument": "obj", "count": 1,
    }
    keys = [tuple(e[k] or "" for k in ("path", "code", "function", "task", "argument")) for e in entries]
    assert keys == sorted(keys)
    # one finding per line, no line number anywhere: a change reads as one line in a diff
    assert [line.strip() for line in text.splitlines()[3:-2]] == [json.dumps(e) + "," for e in entries[:-1]] + [
        json.dumps(entries[-1])
    ]
    assert not any("line" in e for e in entries)
    write_baseline(capsys)
    assert path.read_text() == text  # stable across runs
    assert check(capsys, "--baseline", str(path)) == (0, [], [])


def test_a_new_bug_in_another_function_is_the_only_finding(example: Path, capsys) -> None:
    baseline = write_baseline(capsys)
    views = example / "shop" / "views.py"
    views.write_text(views.read_text() + NEW_BUG)
    lines = len(views.read_text().splitlines())
    status, out, err = check(capsys, "--baseline", str(baseline))
    assert (status, positions(out), err) == (1, [f"./shop/views.py:{lines - 1}:19: CEL101"], [])


def test_lines_inserted_above_the_findings_bring_nothing_new(example: Path, capsys) -> None:
    baseline = write_baseline(capsys)
    before = positions(check(capsys)[1])
    views, models = example / "shop" / "views.py", example / "shop" / "models.py"
    views.write_text('"""Views."""\nimport os\n\n\nDEBUG = os.environ.get("DEBUG")\n' + views.read_text())
    edit(views, "def archive(request):\n", "def archive(request):\n    # Added lines\n\n\n")
    models.write_text("# A comment\n\n" + models.read_text())
    after = positions(check(capsys)[1])
    assert len(after) == len(before) == FINDINGS and after != before  # every finding in views.py moved
    assert check(capsys, "--baseline", str(baseline)) == (0, [], [])


def test_a_fixed_entry_is_reported_and_pruned(example: Path, capsys) -> None:
    baseline = write_baseline(capsys)
    written = baseline.read_text()
    edit(example / "shop" / "views.py", "    receipt.delay(order)  # CEL101:19\n", "    receipt.delay(order.pk)\n")
    fixed = (
        "pkify: baseline: 1 finding(s) fixed since the baseline (run with --prune-baseline to remove "
        "them from pkify-baseline.json)"
    )
    assert check(capsys, "--baseline", str(baseline)) == (0, [], [fixed])
    assert baseline.read_text() == written  # reporting it changes nothing

    status, out, err = check(capsys, "--baseline", str(baseline), "--prune-baseline")
    assert (status, out, err) == (0, [], ["pkify: baseline: removed 1 fixed finding(s) from pkify-baseline.json"])
    removed = set(written.splitlines()) - set(baseline.read_text().splitlines())
    assert [json.loads(line.rstrip(","))["function"] for line in removed] == ["shop.views.pay"]
    assert len(baseline.read_text().splitlines()) == len(written.splitlines()) - 1
    assert check(capsys, "--baseline", str(baseline)) == (0, [], [])

    # The bug comes back: it is new again (the pruned baseline never grows by itself).
    edit(example / "shop" / "views.py", "    receipt.delay(order.pk)\n", "    receipt.delay(order)\n")
    status, out, _ = check(capsys, "--baseline", str(baseline), "--prune-baseline")
    assert (status, positions(out)) == (1, ["./shop/views.py:17:19: CEL101"])


def test_duplicates_are_counted_and_the_last_ones_reported(example: Path, capsys) -> None:
    views = example / "shop" / "views.py"
    edit(views, "    receipt.delay(order)  # CEL101:19\n", "    receipt.delay(order)\n    receipt.delay(order)\n")
    status, _, err = check(capsys, "--write-baseline", "pkify-baseline.json")
    assert status == 0 and err == [f"pkify: baseline: wrote {FINDINGS + 1} finding(s) to pkify-baseline.json"]
    baseline = Path("pkify-baseline.json")
    entries = json.loads(baseline.read_text())["findings"]
    counts = {e["function"]: e["count"] for e in entries if e["task"] == "notifications.tasks.send_receipt"}
    assert counts["shop.views.pay"] == 2

    # A third identical call, first in the function: the one reported is the last in the file.
    edit(views, "    order.paid = True\n", "    receipt.delay(order)\n    order.paid = True\n")
    status, out, err = check(capsys, "--baseline", str(baseline))
    assert (status, positions(out), err) == (1, ["./shop/views.py:19:19: CEL101"], [])

    # Two of the three removed: one entry of the count of two is fixed.
    edit(views, "    receipt.delay(order)\n    receipt.delay(order)\n", "")
    status, out, err = check(capsys, "--baseline", str(baseline))
    assert (status, out) == (0, [])
    assert err[0].startswith("pkify: baseline: 1 finding(s) fixed since the baseline")


def test_a_run_on_some_files_judges_only_their_entries(example: Path, capsys) -> None:
    """As pre-commit runs it: only the changed files are named."""
    baseline = write_baseline(capsys)
    edit(example / "shop" / "views.py", "    receipt.delay(order)  # CEL101:19\n", "    receipt.delay(order.pk)\n")
    assert main(["check", "-j", "1", "--baseline", str(baseline), "shop/admin.py"]) == 0
    assert capsys.readouterr() == ("", "")  # views.py was not checked: nothing said of it
    assert main(["check", "-j", "1", "--baseline", str(baseline), "--select", "CEL102", "shop/views.py"]) == 0
    assert capsys.readouterr() == ("", "")  # nor of the codes not reported
    # Writing a baseline for some files keeps the entries of the others.
    assert main(["check", "-j", "1", "--write-baseline", str(baseline), "shop/views.py"]) == 0
    assert capsys.readouterr().err == f"pkify: baseline: wrote {FINDINGS - 1} finding(s) to pkify-baseline.json\n"


def test_the_entries_of_a_deleted_file_are_fixed(example: Path, capsys) -> None:
    baseline = write_baseline(capsys)
    (example / "shop" / "signals.py").unlink()
    status, out, err = check(capsys, "--baseline", str(baseline))
    assert (status, out) == (0, [])
    assert err[0].startswith("pkify: baseline: 2 finding(s) fixed since the baseline")


def test_a_file_that_cannot_be_read_keeps_its_entries(example: Path, capsys) -> None:
    baseline = write_baseline(capsys)
    views = example / "shop" / "views.py"
    views.write_text(views.read_text() + "\ndef broken(:\n")
    status, out, err = check(capsys, "--baseline", str(baseline))
    assert (status, out) == (1, [])
    assert len(err) == 1 and err[0].startswith("./shop/views.py: error: syntax error")


BAD = {
    "not JSON": ("{\n", "pkify-baseline.json: not a pkify baseline: invalid JSON at line 2, column 1"),
    "a list": ("[]", 'pkify-baseline.json: not a pkify baseline: expected an object with "version" and "findings"'),
    "findings not a list": ('{"version": 1, "findings": {}}',
                            'pkify-baseline.json: not a pkify baseline: "findings" must be a list'),
    "no code": ('{"version": 1, "findings": [{"path": "a.py"}]}',
                "pkify-baseline.json: not a pkify baseline: finding 1: 'code' must be a string"),
    "a count of 0": ('{"version": 1, "findings": [{"path": "a.py", "code": "CEL101", "count": 0}]}',
                     "pkify-baseline.json: not a pkify baseline: finding 1: 'count' must be a positive integer"),
    "another version": ('{"version": 2, "findings": []}',
                        "pkify-baseline.json: baseline version 2 is not supported (this pkify reads version 1)"),
}


@pytest.mark.parametrize("content, message", BAD.values(), ids=BAD.keys())
def test_a_bad_baseline_file_is_one_line_and_exit_2(example: Path, capsys, content: str, message: str) -> None:
    Path("pkify-baseline.json").write_text(content)
    assert check(capsys, "--baseline", "pkify-baseline.json") == (2, [], [f"pkify: error: {message}"])
    assert check(capsys, "--write-baseline", "pkify-baseline.json") == (2, [], [f"pkify: error: {message}"])
    assert Path("pkify-baseline.json").read_text() == content  # never overwritten


def test_a_missing_baseline_file_and_bad_options(example: Path, capsys) -> None:
    assert check(capsys, "--baseline", "nope.json") == (
        2, [], ["pkify: error: nope.json: baseline file not found (write one with --write-baseline nope.json)"]
    )
    assert check(capsys, "--prune-baseline") == (
        2, [], ["pkify: error: --prune-baseline needs a baseline: --baseline FILE, or `baseline` in [tool.pkify]"]
    )
    with pytest.raises(SystemExit) as exit:
        main(["check", "--write-baseline", "a.json", "--prune-baseline", "."])
    assert exit.value.code == 2
    with pytest.raises(SystemExit) as exit:
        main(["check", "--write-baseline", "a.json", "--baseline", "b.json", "."])
    assert exit.value.code == 2
    capsys.readouterr()


def test_the_configured_baseline_is_relative_to_pyproject_and_the_flag_overrides_it(
    example: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    (example / "ci").mkdir()
    assert main(["check", "-j", "1", "--write-baseline", "ci/pkify-baseline.json", "."]) == 0
    (example / "pyproject.toml").write_text('[tool.pkify]\nbaseline = "ci/pkify-baseline.json"\n')
    views = example / "shop" / "views.py"
    views.write_text(views.read_text() + NEW_BUG)
    monkeypatch.chdir(example / "shop")  # relative to the pyproject.toml, not to the working directory
    capsys.readouterr()
    status = main(["check", "-j", "1", "."])
    out = capsys.readouterr().out.splitlines()
    assert (status, positions(out)) == (1, [f"./views.py:{len(views.read_text().splitlines()) - 1}:19: CEL101"])
    # The flag overrides the file: an empty baseline reports everything.
    (example / "empty.json").write_text('{"version": 1, "findings": []}\n')
    assert main(["check", "-j", "1", "--baseline", "../empty.json", ".."]) == 1
    assert len(capsys.readouterr().out.splitlines()) == FINDINGS + 1
    # --prune-baseline works on the configured file.
    edit(views, NEW_BUG, "")
    edit(views, "    receipt.delay(order)  # CEL101:19\n", "    receipt.delay(order.pk)\n")
    assert main(["check", "-j", "1", "--prune-baseline", ".."]) == 0
    removed = f"pkify: baseline: removed 1 fixed finding(s) from {example}/ci/pkify-baseline.json\n"
    assert capsys.readouterr().err == removed


def test_a_bad_configured_baseline_is_a_configuration_error(example: Path, capsys) -> None:
    (example / "pyproject.toml").write_text("[tool.pkify]\nbaseline = 1\n")
    status, out, err = check(capsys)
    assert (status, out) == (2, [])
    assert len(err) == 1 and err[0].endswith("[tool.pkify]: `baseline` must be a file path (a string), not 1")
    (example / "pyproject.toml").write_text('[tool.pkify]\nbaseline = "missing.json"\n')
    status, out, err = check(capsys)
    assert (status, out) == (2, [])
    assert len(err) == 1 and "missing.json: baseline file not found" in err[0]


def flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--select=CEL", "-j", "1", *args], cwd=cwd, capture_output=True, text=True
    )


def test_flake8_agrees_with_the_cli(example: Path, capsys) -> None:
    baseline = write_baseline(capsys)
    views = example / "shop" / "views.py"
    # a new bug; a fixed one; a duplicate silenced by `# noqa` (counted by neither)
    views.write_text(views.read_text() + NEW_BUG)
    edit(views, "    tasks.reconcile.delay(order)  # CEL101:27\n", "    tasks.reconcile.delay(order.pk)\n")
    edit(views, "    archive_orders.delay(unpaid)  # CEL102:26\n",
         "    archive_orders.delay(unpaid)  # noqa: CEL102\n    archive_orders.delay(unpaid)\n")
    status, out, err = check(capsys, "--baseline", str(baseline))
    assert status == 1 and len(out) == 1
    assert err == [
        "pkify: baseline: 1 finding(s) fixed since the baseline (run with --prune-baseline to remove them from "
        "pkify-baseline.json)"
    ]

    result = flake8("--pkify-baseline", str(baseline), ".", cwd=example)
    assert (result.returncode, positions(result.stdout.splitlines())) == (1, positions(out))
    assert result.stderr.splitlines() == [
        "pkify: baseline: 1 finding(s) fixed since the baseline (run `pkify check --prune-baseline` to remove "
        "them from pkify-baseline.json)"
    ]
    # From a configuration file, relative to its directory wherever flake8 runs.
    (example / "setup.cfg").write_text("[flake8]\npkify-baseline = pkify-baseline.json\n")
    result = flake8(".", cwd=example / "shop")
    assert [line.split(":")[:2] for line in result.stdout.splitlines()] == [
        ["./views.py", out[0].split(":")[1]]
    ], result.stderr


def test_flake8_stops_on_a_bad_baseline(example: Path) -> None:
    Path("pkify-baseline.json").write_text("{")
    result = flake8("--pkify-baseline", "pkify-baseline.json", ".", cwd=example)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [  # flake8 writes its critical errors on stdout
        "There was a critical error during execution of Flake8:",
        "pkify: pkify-baseline.json: not a pkify baseline: invalid JSON at line 1, column 2",
    ]
    assert result.stderr == ""
