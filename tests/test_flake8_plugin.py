"""The flake8 plugin as users run it: real flake8 in a subprocess; and what the plugin leaves
changed in flake8's own process."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from pkify.project.parallel import FEW_COLLECTIONS, few_collections
from small_project import OFFENDING

WRAPPED = """\
from celery import shared_task


def tenant_task(*args, **kwargs):
    return shared_task(*args, **kwargs)
"""

TENANT_TASKS = """\
from proj.decorators import tenant_task
from shop.models import Order


@tenant_task
def export(order):
    pass


def run(pk):
    export.s(Order.objects.get(pk=pk))
"""


def flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--select=CEL,E9", *args], cwd=cwd, capture_output=True, text=True
    )


def test_reports_with_flake8_positions(project: Path) -> None:
    result = flake8("shop", cwd=project)
    assert result.stdout.splitlines() == [
        "shop/views.py:6:24: CEL101 `order` is a `shop.Order` instance (from `Order.objects.get(...)`, "
        "line 5); pass `order.pk` and fetch it inside the task"
    ]
    assert result.returncode == 1


def test_unparsable_file_is_left_to_flake8(project: Path) -> None:
    (project / "shop" / "bad.py").write_text("def broken(:\n")
    result = flake8("shop", cwd=project)
    lines = result.stdout.splitlines()
    assert any(line.startswith("shop/bad.py:1:") and " E999 " in line for line in lines), lines
    assert not any(line.startswith("shop/bad.py") and "CEL" in line for line in lines)
    assert any("shop/views.py:6:24: CEL101" in line for line in lines)
    assert "Traceback" not in result.stderr


def _tenant_project(project: Path) -> None:
    (project / "proj").mkdir()
    (project / "proj" / "__init__.py").write_text("")
    (project / "proj" / "decorators.py").write_text(WRAPPED)
    (project / "proj" / "tasks.py").write_text(TENANT_TASKS)


def test_task_decorators_from_a_flake8_config_file(project: Path) -> None:
    _tenant_project(project)
    assert flake8("proj", cwd=project).stdout == ""  # `.s` on an unknown receiver: not a task call
    (project / "setup.cfg").write_text("[flake8]\npkify-task-decorators = proj.decorators.tenant_task\n")
    assert "proj/tasks.py:11:14: CEL101" in flake8("proj", cwd=project).stdout


def test_task_decorators_from_pyproject(project: Path) -> None:
    _tenant_project(project)
    (project / "pyproject.toml").write_text('[tool.pkify]\ntask-decorators = ["tenant_task"]\n')
    assert "proj/tasks.py:11:14: CEL101" in flake8("proj", cwd=project).stdout


def test_pkify_excludes_apply_to_flake8(project: Path) -> None:
    (project / "shop" / "migrations").mkdir()
    (project / "shop" / "migrations" / "0002_x.py").write_text(OFFENDING)
    assert "migrations" not in flake8(".", cwd=project).stdout


def test_selection_decides_whether_the_plugin_works(project: Path) -> None:
    def run(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "flake8", *args, "shop"], cwd=project, capture_output=True, text=True
        ).stdout

    assert "CEL101" in run()  # flake8's default selection includes the plugin's codes
    assert "CEL101" in run("--select=E9,CEL")
    assert "CEL101" in run("--select=E9", "--extend-select=CEL1")
    assert "CEL101" not in run("--select=E9,F63")
    assert "CEL101" not in run("--extend-ignore=CEL")


QUERYSETS = """\
from shop.models import Order, send_receipt


def pay(pk):
    order = Order.objects.get(pk=pk)
    send_receipt.delay(order)
    send_receipt.delay(Order.objects.filter(pk=pk))
    send_receipt.delay([order])
"""


def test_selection_is_flake8s_for_every_code(project: Path) -> None:
    """Each code is selected or ignored on its own, as flake8 decides for any plugin: selecting
    or ignoring one of pkify's codes says nothing of the others."""
    (project / "shop" / "views.py").write_text(QUERYSETS)

    def codes(*args: str) -> list:
        lines = subprocess.run(
            [sys.executable, "-m", "flake8", "--isolated", *args, "shop"], cwd=project, capture_output=True, text=True
        ).stdout.splitlines()
        return sorted(line.split()[1] for line in lines)

    assert codes() == ["CEL101", "CEL102", "CEL103"]
    assert codes("--select=CEL102") == ["CEL102"]
    assert codes("--select=CEL103") == ["CEL103"]
    assert codes("--extend-ignore=CEL101") == ["CEL102", "CEL103"]
    assert codes("--ignore=CEL102,CEL103") == ["CEL101"]
    assert codes("--select=CEL", "--extend-ignore=CEL10") == []


def test_a_configuration_error_stops_flake8(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.pkify]\nselects = ["CEL101"]\n')
    result = flake8("shop", cwd=project)
    assert result.returncode != 0
    assert "unknown key `selects`" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_the_plugin_leaves_flake8s_collector_as_it_found_it() -> None:
    """The plugin's work in flake8's main process runs with pkify's collector setting
    (`few_collections`); flake8 gets its own back after, also when that work fails."""
    kept = gc.get_threshold()
    flake8s = (700, 10, 10)  # Python's default (an in-process `pkify check` earlier may have changed it)
    gc.set_threshold(*flake8s)
    try:
        with few_collections():
            assert gc.get_threshold() == FEW_COLLECTIONS
        assert gc.get_threshold() == flake8s
        with pytest.raises(RuntimeError), few_collections():
            raise RuntimeError("a configuration error")
        assert gc.get_threshold() == flake8s
    finally:
        gc.set_threshold(*kept)
