"""Settings: `serializer` and `per-file-ignores`, in `[tool.pkify]`, on the command line and as
flake8 options; bad values are usage errors that name the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pkify.settings import ConfigError, Settings, apply_mapping, parse_per_file_ignores, read_pyproject
from small_project import OFFENDING
from test_cli import run
from test_flake8_plugin import flake8

CONTAINER = OFFENDING + "    send_receipt.delay([order])\n"


def _tests_file(project: Path, source: str = CONTAINER) -> None:
    (project / "tests").mkdir()
    (project / "tests" / "__init__.py").write_text("")
    (project / "tests" / "test_pay.py").write_text(source)


def _codes(result) -> list:
    return sorted((r["path"].replace("./", ""), r["line"], r["code"]) for r in json.loads(result.stdout))


# per-file-ignores


def test_per_file_ignores_from_pyproject(project: Path) -> None:
    _tests_file(project)
    (project / "pyproject.toml").write_text('[tool.pkify.per-file-ignores]\n"tests/*" = ["CEL101"]\n')
    result = run("check", "--format", "json", ".", cwd=project)
    assert _codes(result) == [
        ("shop/views.py", 6, "CEL101"),
        ("tests/test_pay.py", 7, "CEL103"),
    ]


def test_per_file_ignores_agree_with_flake8(project: Path) -> None:
    _tests_file(project)
    (project / "pyproject.toml").write_text(
        '[tool.pkify.per-file-ignores]\n"tests/*" = ["CEL101"]\n"views.py" = "CEL1"\n'
    )
    ours = run("check", ".", cwd=project).stdout.decode().splitlines()
    theirs = flake8(".", cwd=project).stdout.splitlines()
    assert sorted(theirs) == sorted(ours) and len(ours) == 1 and "tests/test_pay.py:7:24: CEL103" in ours[0]


def test_per_file_ignores_as_a_flake8_option(project: Path) -> None:
    _tests_file(project)
    (project / "setup.cfg").write_text(
        "[flake8]\npkify-per-file-ignores =\n    tests/*: CEL101\n    shop/views.py: CEL101\n"
    )
    assert flake8(".", cwd=project).stdout.splitlines() == [
        "./tests/test_pay.py:7:24: CEL103 `[order]` holds `shop.Order` instances (from "
        "`Order.objects.get(...)`, line 5); pass their primary keys and fetch them inside the task"
    ]


def test_per_file_ignores_on_the_command_line(project: Path) -> None:
    _tests_file(project)
    result = run("check", "--format", "json", "--per-file-ignores", "tests/*:CEL1 shop/*:CEL101", ".", cwd=project)
    assert _codes(result) == []


def test_bad_per_file_ignores_on_the_command_line(project: Path) -> None:
    result = run("check", "--per-file-ignores", "tests/*", ".", cwd=project)
    assert result.returncode == 2
    assert "argument --per-file-ignores: expected `pattern: CODES` after 'tests/*'" in result.stderr.decode()
    assert b"Traceback" not in result.stderr
    result = run("check", "--per-file-ignores", "tests/*:E501", ".", cwd=project)
    assert result.returncode == 2 and b"unknown code(s) in per-file-ignores: E501" in result.stderr


def test_select_longer_than_a_per_file_ignore_wins_as_in_flake8(tmp_path: Path) -> None:
    settings = Settings(select=("CEL101",), per_file_ignores=(("tests/*", ("CEL1",)),))
    file_settings = settings.for_file(tmp_path / "tests" / "test_x.py", tmp_path)
    assert file_settings.wants("CEL101") and not file_settings.wants("CEL103")


@pytest.mark.parametrize(
    "path, ignored",
    [
        ("tests/test_a.py", ("CEL101",)),
        ("tests/deep/test_b.py", ("CEL101",)),  # `*` crosses directories, as in flake8
        ("src/tests/test_c.py", ()),  # a pattern with a slash is relative to the root
        ("conftest.py", ("CEL1",)),
        ("src/app/conftest.py", ("CEL1",)),  # a pattern without a slash matches the name
        ("src/app/views.py", ()),
    ],
)
def test_per_file_patterns(tmp_path: Path, path: str, ignored) -> None:
    settings = Settings(per_file_ignores=(("tests/*", ("CEL101",)), ("conftest.py", ("CEL1",))))
    assert settings.for_file(tmp_path / path, tmp_path).ignore == ignored


def test_flake8_syntax() -> None:
    assert parse_per_file_ignores("tests/*:CEL101 admin.py,views.py: CEL102, CEL103\n  a.py : CEL1") == (
        ("tests/*", ("CEL101",)),
        ("admin.py", ("CEL102", "CEL103")),
        ("views.py", ("CEL102", "CEL103")),
        ("a.py", ("CEL1",)),
    )
    for bad in ("tests/*", "tests/*:", ":CEL101", "a.py:b.py:CEL101"):
        with pytest.raises(ConfigError, match="per-file-ignores"):
            parse_per_file_ignores(bad)


# serializer


def test_pickle_explains_the_stale_snapshot_with_the_same_code(project: Path) -> None:
    json_rows = json.loads(run("check", "--format", "json", ".", cwd=project).stdout)
    (project / "pyproject.toml").write_text('[tool.pkify]\nserializer = "pickle"\n')
    pickle_rows = json.loads(run("check", "--format", "json", ".", cwd=project).stdout)
    assert [(r["line"], r["column"], r["code"]) for r in pickle_rows] == [
        (r["line"], r["column"], r["code"]) for r in json_rows
    ]
    (row,) = pickle_rows
    assert "stale" in row["message"] and "stale" not in json_rows[0]["message"]
    assert row["message"].endswith("pass `order.pk` and fetch it inside the task")


def test_pickle_agrees_with_flake8(project: Path) -> None:
    (project / "setup.cfg").write_text("[flake8]\npkify-serializer = pickle\n")
    theirs = flake8(".", cwd=project).stdout
    ours = run("check", "--serializer", "pickle", ".", cwd=project).stdout.decode()
    assert theirs == ours and "stale" in ours


def test_command_line_overrides_pyproject(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.pkify]\nserializer = "pickle"\n')
    assert "stale" not in run("check", "--serializer", "json", ".", cwd=project).stdout.decode()


def test_bad_flake8_option_is_a_clear_error(project: Path) -> None:
    result = flake8("--pkify-serializer=xml", ".", cwd=project)
    assert result.returncode != 0
    assert "pkify: --pkify-serializer: `serializer` must be one of" in result.stdout + result.stderr
    result = flake8("--pkify-per-file-ignores=tests/*", ".", cwd=project)
    assert result.returncode != 0 and "--pkify-per-file-ignores" in result.stdout + result.stderr


# validation


@pytest.mark.parametrize(
    "content, message",
    [
        ('[tool.pkify]\nserializer = "xml"\n', "`serializer` must be one of json, msgpack, pickle, yaml, not 'xml'"),
        ("[tool.pkify]\nserializer = 1\n", "`serializer` must be one of"),
        ('[tool.pkify]\nper-file-ignores = ["tests/*"]\n', "`per-file-ignores` must be a table"),
        (
            '[tool.pkify.per-file-ignores]\n"tests/*" = 3\n',
            "`per-file-ignores` entry 'tests/*' must be a list of codes",
        ),
        ('[tool.pkify.per-file-ignores]\n"tests/*" = ["cel101"]\n', "must list codes like \"CEL101\""),
        ('[tool.pkify.per-file-ignores]\n"tests/*" = ["E501"]\n', "unknown code(s) in per-file-ignores: E501"),
        ('[tool.pkify]\nper_file_ignores = {}\n', "unknown key `per_file_ignores`"),
    ],
)
def test_bad_values_name_the_key(project: Path, content: str, message: str) -> None:
    (project / "pyproject.toml").write_text(content)
    result = run("check", ".", cwd=project)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr.decode()
    assert b"Traceback" not in result.stderr


def test_unknown_key_lists_every_known_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        apply_mapping(Settings(), {"colour": "blue"}, "pyproject.toml [tool.pkify]")
    for key in ("exclude", "extend-exclude", "ignore", "model-bases", "per-file-ignores", "select",
                "serializer", "task-decorators"):
        assert f"{key}" in str(error.value)


def test_read_pyproject_reads_every_key(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.pkify]\n"
        'task-decorators = ["proj.tenant_task"]\n'
        'model-bases = ["Base"]\n'
        'exclude = ["build"]\n'
        'extend-exclude = ["legacy/"]\n'
        'select = ["CEL1"]\n'
        'ignore = ["CEL103"]\n'
        'serializer = "Pickle"\n'
        "[tool.pkify.per-file-ignores]\n"
        '"tests/*" = ["CEL101", "CEL102"]\n'
    )
    assert read_pyproject(tmp_path) == Settings(
        task_decorators=("proj.tenant_task",),
        model_bases=("Base",),
        exclude=("build",),
        extend_exclude=("legacy/",),
        select=("CEL1",),
        ignore=("CEL103",),
        serializer="pickle",
        per_file_ignores=(("tests/*", ("CEL101", "CEL102")),),
    )
