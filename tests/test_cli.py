"""`pkify check` as a user meets it: exit codes, formats, bad input, configuration."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import inprocess
from pkify.frontends.cli import main
from small_project import MODELS, OFFENDING





def run(*args: str, cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess:
    """`pkify *args`, run in this process (tests/inprocess.py); test_python_m_pkify_is_the_same
    shows that a subprocess says the same."""
    return inprocess.run(args, cwd=cwd, stdin=stdin)


@pytest.mark.parametrize(
    "args, stdin",
    [
        (("check", "shop"), b""),
        (("check", "--format", "json", "--stdin-filename", "shop/views.py", "-"), OFFENDING.encode()),
        (("check", "nowhere.py"), b""),
        (("check", "--format", "xml", "."), b""),
        (("fix", "--diff", "."), b""),
    ],
)
def test_python_m_pkify_is_the_same(project: Path, args, stdin: bytes) -> None:
    (project / "shop" / "bad.py").write_bytes(b"def broken(:\n")
    process = subprocess.run([sys.executable, "-m", "pkify", *args], cwd=project, input=stdin, capture_output=True)
    here = run(*args, cwd=project, stdin=stdin)
    assert (here.returncode, here.stdout, here.stderr) == (process.returncode, process.stdout, process.stderr)
    assert process.returncode != 0 and process.stdout + process.stderr


def test_findings_exit_1_text_format(project: Path) -> None:
    result = run("check", "shop", cwd=project)
    assert result.returncode == 1
    assert result.stdout.decode().splitlines() == [
        "shop/views.py:6:24: CEL101 `order` is a `shop.Order` instance (from `Order.objects.get(...)`, "
        "line 5); pass `order.pk` and fetch it inside the task"
    ]
    assert result.stderr == b""


def test_only_the_named_file_is_reported_but_the_project_is_indexed(project: Path) -> None:
    # The task and the model live in models.py; only views.py is named (as pre-commit does).
    result = run("check", "--format", "json", "shop/views.py", cwd=project)
    rows = json.loads(result.stdout)
    assert [(r["path"], r["line"], r["column"], r["code"]) for r in rows] == [("shop/views.py", 6, 24, "CEL101")]


def test_clean_exit_0(project: Path) -> None:
    (project / "shop" / "views.py").write_text(OFFENDING.replace("delay(order)", "delay(order.pk)"))
    result = run("check", ".", cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")


def test_json_is_an_empty_array_when_clean(project: Path) -> None:
    (project / "shop" / "views.py").write_text("")
    result = run("check", "--format", "json", ".", cwd=project)
    assert result.returncode == 0 and json.loads(result.stdout) == []


def test_missing_path_is_a_usage_error(project: Path) -> None:
    result = run("check", "nowhere.py", cwd=project)
    assert result.returncode == 2
    assert b"no such file or directory: nowhere.py" in result.stderr
    assert b"Traceback" not in result.stderr


def test_usage_errors_exit_2(project: Path) -> None:
    assert run("check", cwd=project).returncode == 2
    assert run("check", "--format", "xml", ".", cwd=project).returncode == 2
    result = run("check", "--select", "E501", ".", cwd=project)
    assert result.returncode == 2 and b"unknown code(s) in select/ignore: E501" in result.stderr


@pytest.mark.parametrize(
    "content, message",
    [
        (b"def broken(:\n", b"syntax error at line 1"),
        (b"x = '\xff\xfe'\n", b"cannot decode file as utf-8"),
        (b"# -*- coding: latin-9000 -*-\nx = 1\n", b"cannot decode file"),
        (b"x = 1\x00\n", b"null byte"),
    ],
)
def test_bad_files_get_one_line_and_the_others_are_still_checked(project: Path, content, message) -> None:
    (project / "shop" / "bad.py").write_bytes(content)
    result = run("check", "shop", cwd=project)
    assert result.returncode == 1
    errors = result.stderr.decode().splitlines()
    assert len(errors) == 1 and errors[0].startswith("shop/bad.py: error: "), errors
    assert message in result.stderr
    assert b"Traceback" not in result.stderr
    assert b"shop/views.py:6:24: CEL101" in result.stdout


def test_encodings_bom_crlf_and_cookie_are_read(project: Path) -> None:
    source = OFFENDING.replace("pass", "pass")
    (project / "shop" / "views.py").write_bytes(b"\xef\xbb\xbf" + source.replace("\n", "\r\n").encode())
    (project / "shop" / "legacy.py").write_bytes(
        b"# -*- coding: latin-1 -*-\n" + OFFENDING.replace("def pay", "# caf\xe9\ndef pay").encode("latin-1")
    )
    result = run("check", "--format", "json", "shop", cwd=project)
    rows = {(r["path"], r["line"]) for r in json.loads(result.stdout)}
    assert rows == {("shop/views.py", 6), ("shop/legacy.py", 8)}, result.stderr


def test_noqa(project: Path) -> None:
    views = project / "shop" / "views.py"
    views.write_text(OFFENDING.replace("delay(order)", "delay(order)  # noqa: CEL101"))
    assert run("check", ".", cwd=project).returncode == 0
    views.write_text(OFFENDING.replace("delay(order)", "delay(order)  # noqa: E501"))
    assert run("check", ".", cwd=project).returncode == 1


def test_select_and_ignore(project: Path) -> None:
    assert run("check", "--ignore", "CEL101", ".", cwd=project).returncode == 0
    assert run("check", "--select", "CEL102", ".", cwd=project).returncode == 0
    assert run("check", "--select", "CEL1", ".", cwd=project).returncode == 1
    assert run("check", "--select", "CEL", "--ignore", "CEL10", ".", cwd=project).returncode == 0


def test_stdin(project: Path) -> None:
    result = run("check", "--stdin-filename", "shop/views.py", "-", cwd=project, stdin=OFFENDING.encode())
    assert result.returncode == 1
    assert result.stdout.startswith(b"shop/views.py:6:24: CEL101")


def test_migrations_and_virtualenvs_are_skipped(project: Path) -> None:
    for directory in ("shop/migrations", "env"):
        (project / directory).mkdir()
        (project / directory / "x.py").write_text(OFFENDING)
    (project / "env" / "pyvenv.cfg").write_text("")
    (project / "shop" / "views.py").write_text("")
    assert run("check", ".", cwd=project).returncode == 0


def test_pyproject_settings(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.pkify]\nignore = ["CEL101"]\n')
    assert run("check", ".", cwd=project).returncode == 0
    (project / "pyproject.toml").write_text('[tool.pkify]\nextend-exclude = ["views.py"]\n')
    assert run("check", ".", cwd=project).returncode == 0


@pytest.mark.parametrize(
    "content, message",
    [
        ('[tool.pkify]\ncolour = "blue"\n', "unknown key `colour`"),
        ("[tool.pkify]\nignore = 3\n", "`ignore` must be a list of strings"),
        ("[tool.pkify\n", "not valid TOML"),
    ],
)
def test_bad_configuration_is_a_usage_error(project: Path, content: str, message: str) -> None:
    (project / "pyproject.toml").write_text(content)
    result = run("check", ".", cwd=project)
    assert result.returncode == 2
    assert message in result.stderr.decode() and "pyproject.toml" in result.stderr.decode()
    assert b"Traceback" not in result.stderr


def test_main_returns_the_exit_code(project: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(project)
    assert main(["check", "shop/models.py"]) == 0
    assert main(["check", "shop"]) == 1
    assert "CEL101" in capsys.readouterr().out


def test_without_a_root_marker_the_project_starts_where_imports_do(tmp_path: Path) -> None:
    # No pyproject.toml, setup.py, manage.py or .git anywhere: the root is the directory that
    # holds the outermost package, so that views.py still finds the task in another module.
    shop = tmp_path / "site" / "shop"
    (shop / "sub").mkdir(parents=True)
    (shop / "__init__.py").write_text("")
    (shop / "sub" / "__init__.py").write_text("")
    (shop / "models.py").write_text(MODELS)
    (shop / "sub" / "views.py").write_text(OFFENDING)
    result = run("check", "site/shop/sub/views.py", cwd=tmp_path)
    assert result.returncode == 1 and b"CEL101" in result.stdout, result.stdout + result.stderr
