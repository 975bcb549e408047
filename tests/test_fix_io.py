"""`pkify fix` (and `pkify check`) on bad input and I/O: read-only files and directories, a
reader that goes away, syntax errors, standard input, files that are not Python.

What concerns the process (pipes, a reader that goes away, buffering, a named pipe) runs
`python -m pkify` in a subprocess, as a user meets it; the rest runs pkify's command line in this
process (tests/inprocess.py). The tests run as root here and maybe in CI:
root may write a file without any write bit, so "read-only" must come from the permission bits,
and the tests below mean the same as root and as any other user."""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

import inprocess
from pkify.fix import apply
from small_project import OFFENDING, make, write

MODEL = """\
from django.db import models


class Order(models.Model):
    number = models.CharField(max_length=20)
"""

TASK = """\
from celery import shared_task


@shared_task
def {name}(order):
    print(order.number)
"""

CALLER = """\
from shop.models import Order
from {package}.tasks import {name}


def {function}(pk):
    order = Order.objects.get(pk=pk)
    {name}.delay(order)
"""

# Two tasks that share no file: `shop.tasks.send_receipt`, called from shop/views.py, and
# `billing.tasks.bill`, called from billing/views.py.
TWO_TASKS = {
    "manage.py": "",
    "shop/__init__.py": "",
    "shop/models.py": MODEL,
    "shop/tasks.py": TASK.format(name="send_receipt"),
    "shop/views.py": CALLER.format(package="shop", name="send_receipt", function="pay"),
    "billing/__init__.py": "",
    "billing/tasks.py": TASK.format(name="bill"),
    "billing/views.py": CALLER.format(package="billing", name="bill", function="charge"),
}


def snapshot(root: Path) -> Dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def environment(buffered: bool = True) -> Dict[str, str]:
    """As a user runs pkify: standard output buffered (PYTHONUNBUFFERED, set in some CI and
    containers, hides what a buffered write does when the reader has gone)."""
    env = dict(os.environ, PKIFY_NO_CACHE="1")
    if buffered:
        env.pop("PYTHONUNBUFFERED", None)
    else:
        env["PYTHONUNBUFFERED"] = "1"
    return env


def run(*args: str, cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess:
    """`pkify *args` run in this process (tests/inprocess.py), without the cache."""
    return inprocess.run(args, cwd=cwd, stdin=stdin, env={"PKIFY_NO_CACHE": "1"})


def errors(result: subprocess.CompletedProcess) -> list:
    """The error lines on standard error (the others say what is changed, one per task)."""
    return [line for line in result.stderr.decode().splitlines() if ": error: " in line]


def assert_no_traceback(result: subprocess.CompletedProcess) -> None:
    for noise in (b"Traceback", b"Exception ignored", b"BrokenPipeError", b"internal error"):
        assert noise not in result.stderr, result.stderr.decode()


def temporary_files(root: Path) -> list:
    return [p for p in root.rglob("*") if p.name.endswith(".pkify")]


@pytest.fixture
def two_tasks(tmp_path: Path) -> Path:
    return write(tmp_path, TWO_TASKS)


@pytest.fixture
def restore_modes(tmp_path: Path):
    """Make paths read-only; they get their write bits back afterwards (pytest must be able to
    delete them, and a failing test must not leave an undeletable directory behind)."""
    changed = []

    def read_only(path: Path) -> None:
        changed.append((path, path.stat().st_mode))
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))

    yield read_only
    for path, mode in reversed(changed):
        path.chmod(mode)


# --- 1. a read-only file -------------------------------------------------------------------------


def test_a_read_only_file_is_reported_and_only_its_tasks_are_left_alone(two_tasks: Path, restore_modes) -> None:
    """What a user expects of a codemod: everything that can be changed safely is changed, and
    what cannot is named. A task's signature and all its call sites change together or not at
    all (a `bill(order_id)` still sent `order` would fail at run time), so the read-only
    billing/views.py holds back the rewrite of `bill` (billing/tasks.py stays as it is too),
    while `send_receipt`, which shares no file with it, is rewritten. One error line names the
    file; the exit status is 1; no temporary file is left behind; the file keeps its mode.

    Read-only means "no write bit": as root, the write would succeed, and pkify must still not
    replace a file its owner made read-only."""
    before = snapshot(two_tasks)
    restore_modes(two_tasks / "billing" / "views.py")
    result = run("fix", ".", cwd=two_tasks)
    assert_no_traceback(result)
    assert result.returncode == 1
    assert errors(result) == [
        "billing/views.py: error: cannot rewrite a read-only file; "
        "1 other file(s) the same tasks change are left unchanged too"
    ]
    after = snapshot(two_tasks)
    for name in ("billing/views.py", "billing/tasks.py"):
        assert after[name] == before[name], name
    assert stat.S_IMODE((two_tasks / "billing" / "views.py").stat().st_mode) == 0o444
    for name in ("shop/views.py", "shop/tasks.py"):
        assert after[name] != before[name], name
    assert b"send_receipt.delay(order.pk)" in after["shop/views.py"]
    assert temporary_files(two_tasks) == []
    assert b"pkify: 2 file(s) rewritten" in result.stderr


def test_a_read_only_file_that_every_change_needs_stops_them_all(project: Path, restore_modes) -> None:
    """The small project has one task; its caller, shop/views.py, is read-only: nothing is
    written, and the line says so."""
    before = snapshot(project)
    restore_modes(project / "shop" / "views.py")
    result = run("fix", ".", cwd=project)
    assert_no_traceback(result)
    assert result.returncode == 1
    assert errors(result) == [
        "shop/views.py: error: cannot rewrite a read-only file; "
        "1 other file(s) the same tasks change are left unchanged too"
    ]
    assert snapshot(project) == before
    assert b"rewritten" not in result.stderr


# --- 2. a read-only directory --------------------------------------------------------------------


def test_a_file_in_a_read_only_directory(project: Path, restore_modes) -> None:
    """The rewrite of a file is made beside it, then renamed over it: a read-only directory
    (no write bit: root could still create the file) cannot take it. One line names the
    directory and its files; nothing is written, no temporary file either."""
    before = snapshot(project)
    restore_modes(project / "shop")
    result = run("fix", ".", cwd=project)
    assert_no_traceback(result)
    assert result.returncode == 1
    assert errors(result) == ["shop: error: cannot rewrite models.py, views.py in a read-only directory"]
    assert snapshot(project) == before
    assert temporary_files(project) == []


def test_a_read_only_directory_holds_back_only_its_own_tasks(two_tasks: Path, restore_modes) -> None:
    before = snapshot(two_tasks)
    restore_modes(two_tasks / "billing")
    result = run("fix", ".", cwd=two_tasks)
    assert_no_traceback(result)
    assert result.returncode == 1
    assert errors(result) == ["billing: error: cannot rewrite tasks.py, views.py in a read-only directory"]
    after = snapshot(two_tasks)
    assert [name for name in after if after[name] != before[name]] == ["shop/tasks.py", "shop/views.py"]
    assert temporary_files(two_tasks) == []


def test_write_atomically_refuses_read_only_files_before_writing_anything(two_tasks: Path, restore_modes) -> None:
    """The API (`pkify.api.write_atomically`) refuses too, by the permission bits."""
    before = snapshot(two_tasks)
    restore_modes(two_tasks / "billing" / "views.py")
    files = {two_tasks / "shop" / "views.py": "x = 1\n", two_tasks / "billing" / "views.py": "x = 2\n"}
    with pytest.raises(apply.WriteError) as raised:
        apply.write_atomically(files)
    assert raised.value.filename == str(two_tasks / "billing" / "views.py") and raised.value.replaced == []
    assert snapshot(two_tasks) == before
    assert temporary_files(two_tasks) == []


def test_a_rename_that_fails_half_way_leaves_no_temporary_file(two_tasks: Path, monkeypatch) -> None:
    real_replace = os.replace
    calls = []

    def replace(source, target):
        calls.append(target)
        if len(calls) == 2:
            raise OSError(5, "Input/output error", str(target))
        real_replace(source, target)

    monkeypatch.setattr(apply.os, "replace", replace)
    files = {two_tasks / "shop" / "views.py": "x = 1\n", two_tasks / "billing" / "views.py": "x = 2\n"}
    with pytest.raises(apply.WriteError) as raised:
        apply.write_atomically(files)
    assert raised.value.replaced == [two_tasks / "shop" / "views.py"]
    assert (two_tasks / "shop" / "views.py").read_text() == "x = 1\n"
    assert temporary_files(two_tasks) == []


# --- 3. a reader that goes away ------------------------------------------------------------------


@pytest.fixture
def many_findings(tmp_path: Path) -> Path:
    """More output than a pipe holds (64 KiB on Linux): about 200 KB of findings, 500 KB of
    diff; so that the pipe breaks while pkify is still writing."""
    make(tmp_path)
    name = "order_" + "x" * 300
    calls = f"    send_receipt.delay({name})\n" * 800
    (tmp_path / "shop" / "views.py").write_text(
        f"from shop.models import Order, send_receipt\n\n\ndef pay(pk):\n    {name} = Order.objects.get(pk=pk)\n"
        + calls
    )
    return tmp_path


@pytest.mark.parametrize("command", ["check", "fix --diff"])
def test_piped_to_head(many_findings: Path, command: str) -> None:
    """`pkify check . | head -1`: the first line, then the reader is gone; pkify stops quietly
    (exit status 1: there are findings), with nothing on standard error but what it would say
    anyway."""
    errors_file, status_file = many_findings / "stderr.txt", many_findings / "status.txt"
    pkify = f"{shlex.quote(sys.executable)} -m pkify {command} ."
    pipeline = f"({pkify} 2>{shlex.quote(str(errors_file))}; echo $? >{shlex.quote(str(status_file))}) | head -1"
    result = subprocess.run(pipeline, shell=True, cwd=many_findings, capture_output=True, env=environment())
    first = result.stdout.decode()
    assert first.startswith("./shop/views.py:6:" if command == "check" else "--- a/shop/"), first[:200]
    assert first.count("\n") == 1
    stderr = errors_file.read_bytes()
    for noise in (b"Traceback", b"Exception ignored", b"BrokenPipeError", b"Broken pipe"):
        assert noise not in stderr, stderr.decode()[-2000:]
    if command == "check":
        assert stderr == b""
    else:  # what it changes, task by task; it never got to the count after the diff
        assert b"send_receipt" in stderr and b"would be rewritten" not in stderr
    assert status_file.read_text().strip() == "1"


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize(
    "command", [("check", "."), ("check", "--format", "json", "."), ("fix", "--diff", "."), ("rule",)]
)
def test_output_to_a_reader_already_gone(project: Path, command, buffered: bool) -> None:
    """A small output to a pipe whose reader has gone before pkify writes (`| true`): with
    standard output buffered, it is only written at the end, where Python would print
    "Exception ignored ... BrokenPipeError" and exit 120."""
    read, write = os.pipe()
    os.close(read)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pkify", *command], cwd=project, stdout=write, stderr=subprocess.PIPE,
            env=environment(buffered),
        )
    finally:
        os.close(write)
    assert_no_traceback(result)
    assert b"Broken pipe" not in result.stderr
    assert result.returncode == 1


# --- 4. a syntax error ---------------------------------------------------------------------------


BROKEN = b"from shop.models import send_receipt\n\n\ndef broken(:\n    send_receipt.delay(1)\n"


def test_a_syntax_error_gets_the_same_line_from_fix_as_from_check(project: Path) -> None:
    """The broken file names the task: the rewrite reads it again (a call site could hide in
    it), and fails again; one line all the same, the one `pkify check` gives. The other files
    are still fixed."""
    (project / "shop" / "broken.py").write_bytes(BROKEN)
    checked = run("check", "shop/broken.py", cwd=project)
    assert checked.returncode == 1
    [line] = checked.stderr.decode().splitlines()
    assert line.startswith("shop/broken.py: error: syntax error at line 4")
    fixed = run("fix", ".", cwd=project)
    assert_no_traceback(fixed)
    assert fixed.returncode == 1
    assert errors(fixed) == [line]
    assert "send_receipt.delay(order.pk)" in (project / "shop" / "views.py").read_text()
    assert (project / "shop" / "broken.py").read_bytes() == BROKEN


@pytest.mark.xfail(
    strict=True,
    reason="analysis (newer_syntax.py / units.syntax_error): when CPython's error is more than a line "
    "from libcst's, check and fix both give libcst's list of expected tokens",
)
def test_an_unclosed_bracket_gets_pythons_message(project: Path) -> None:
    (project / "shop" / "broken.py").write_text(
        "from shop.models import send_receipt\n\nx = (\n\ndef f(order):\n    send_receipt.delay(order)\n"
    )
    checked, fixed = run("check", "shop/broken.py", cwd=project), run("fix", ".", cwd=project)
    assert errors(fixed) == checked.stderr.decode().splitlines()
    assert "'(' was never closed" in checked.stderr.decode()


# --- 5. standard input ---------------------------------------------------------------------------


@pytest.mark.parametrize("paths", [["-"], ["shop", "-"]])
def test_fix_cannot_read_standard_input(project: Path, paths) -> None:
    before = snapshot(project)
    result = run("fix", *paths, cwd=project, stdin=OFFENDING.encode())
    assert result.returncode == 2
    assert result.stderr.decode().splitlines() == [
        "pkify: error: fix cannot read standard input; give file or directory paths"
    ]
    assert snapshot(project) == before


def test_check_reads_standard_input(project: Path) -> None:
    result = run("check", "-", cwd=project, stdin=OFFENDING.encode())
    assert result.returncode == 1 and result.stdout.startswith(b"stdin:6:24: CEL101")


# --- 6. a file that is not Python ----------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "fix", "fix --diff"])
@pytest.mark.parametrize("name", ["README.md", "notes.txt", "Makefile"])
def test_a_file_that_is_not_python(project: Path, command: str, name: str) -> None:
    """Named explicitly, as a directory's `.py` files are not: refused as a usage error rather
    than read as Python (a syntax error at line 1) or skipped without a word."""
    (project / name).write_text("# Notes\n\nsend_receipt.delay(order)\n")
    before = snapshot(project)
    result = run(*command.split(), name, cwd=project)
    assert result.returncode == 2
    assert result.stderr.decode().splitlines() == [f"pkify: error: not a Python file: {name}"]
    assert result.stdout == b""
    assert snapshot(project) == before


@pytest.mark.parametrize(
    "name, text",
    [
        ("bin/pay", "#!/usr/bin/env python3\n"),
        ("bin/pay-pypy", "#!/opt/pypy/bin/pypy3 -u\n"),
        ("site.wsgi", ""),
        ("stubs.pyi", ""),
    ],
)
def test_python_without_a_py_suffix_is_still_checked(project: Path, name: str, text: str) -> None:
    """Scripts, `.wsgi`, stubs: what pre-commit's `types: [python]` passes must not be refused."""
    (project / name).parent.mkdir(exist_ok=True)
    (project / name).write_text(text + OFFENDING)
    result = run("check", name, cwd=project)
    assert result.returncode == 1, result.stderr
    assert f"{name}:{6 + bool(text)}:24: CEL101".encode() in result.stdout
    assert run("fix", "--diff", name, cwd=project).returncode in (0, 1)


def test_a_named_pipe_is_named_as_given(project: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    os.mkfifo(project / "shop" / "pipe.py")
    result = subprocess.run(
        [sys.executable, "-m", "pkify", "check", "shop/pipe.py", "shop/views.py"], cwd=project,
        capture_output=True, env=environment(), timeout=60,
    )
    assert result.stderr.decode().splitlines() == ["shop/pipe.py: error: not a regular file"]
    assert result.returncode == 1


# --- 7. --diff and --check on a read-only file ---------------------------------------------------


@pytest.mark.parametrize("mode", ["--diff", "--check"])
def test_diff_and_check_work_on_read_only_files(project: Path, restore_modes, mode: str) -> None:
    """They write nothing, so a read-only file is no reason to refuse."""
    before = snapshot(project)
    restore_modes(project / "shop" / "views.py")
    restore_modes(project / "shop")
    result = run("fix", mode, ".", cwd=project)
    assert_no_traceback(result)
    assert result.returncode == 1
    assert errors(result) == []
    if mode == "--diff":
        assert b"+++ b/shop/views.py" in result.stdout
        assert b"+    send_receipt.delay(order.pk)" in result.stdout
    assert b"pkify: 2 file(s) would be rewritten" in result.stderr
    assert snapshot(project) == before


# --- 8. --diff on a file with a form feed --------------------------------------------------------


def test_diff_of_a_file_with_a_form_feed_applies(project: Path, tmp_path_factory) -> None:
    """A form feed (`^L` between sections) does not end a line: the diff counts lines as
    Python and `patch` do, and applying it gives what `pkify fix` writes."""
    views = project / "shop" / "views.py"
    views.write_text(OFFENDING.replace("\n\n\ndef pay", "\n\x0c\n\ndef pay"))
    copy = tmp_path_factory.mktemp("copy")
    shutil.copytree(project, copy, dirs_exist_ok=True)
    diff = run("fix", "--diff", ".", cwd=project)
    assert diff.returncode == 1
    patched = subprocess.run(["patch", "-p1", "--quiet"], cwd=copy, input=diff.stdout, capture_output=True)
    assert patched.returncode == 0, patched.stdout + patched.stderr
    assert run("fix", ".", cwd=project).returncode == 1  # files rewritten
    assert b"\x0c" in views.read_bytes()
    assert snapshot(copy) == snapshot(project)
