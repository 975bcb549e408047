"""`libraries`: installed packages whose source pkify reads with the project's (a plugin of a
host application, openwisp-monitoring on openwisp-controller). Run as a user meets it: the host
package is installed where pkify runs (here: on PYTHONPATH), pkify and flake8 in subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from small_project import write

HOST = {
    "hostapp/__init__.py": "",
    "hostapp/models.py": """\
from django.db import models


class Device(models.Model):
    name = models.CharField(max_length=20)
""",
    "hostapp/signals.py": """\
from django.dispatch import Signal

config_changed = Signal()
""",
    "hostapp/tasks.py": """\
from celery import shared_task

from .models import Device


@shared_task
def update_config(device_id):
    Device.objects.get(pk=device_id).save()


@shared_task
def audit(device):
    print(device.name)


@shared_task
def ping(device):
    print(device.name)


def touch(device):
    # a bug in the library: never reported, the project does not own it
    ping.delay(device)
""",
    "hostapp/api.py": """\
from .models import Device
from .signals import config_changed


def apply(pk):
    device = Device.objects.get(pk=pk)
    config_changed.send(sender=Device, instance=device)
""",
    "hostapp/tests/__init__.py": "",
    "hostapp/tests/utils.py": """\
from swapper import load_model

Device = load_model("hostapp", "Device")


class CreateDeviceMixin:
    def _create_device(self, **kwargs):
        device = Device(**kwargs)
        device.save()
        return device
""",
}

PLUGIN = {
    "manage.py": "",
    "plugin/__init__.py": "",
    "plugin/tasks.py": """\
from celery import shared_task


@shared_task
def notify(device):
    pass
""",
    "plugin/receivers.py": """\
from hostapp.signals import config_changed

from .tasks import notify


def on_config_changed(sender, instance, **kwargs):
    notify.delay(instance)


config_changed.connect(on_config_changed)
""",
    "plugin/tests.py": """\
from hostapp.tasks import audit, update_config
from hostapp.tests.utils import CreateDeviceMixin

from .tasks import notify


class DeviceTests(CreateDeviceMixin):
    def test_notify(self):
        device = self._create_device(name="x")
        notify.delay(device)
        update_config.delay(device)
        audit.delay(device)
""",
}


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    write(tmp_path / "site", HOST)
    write(tmp_path / "project", PLUGIN)
    return tmp_path / "project"


def configure(project: Path, libraries: str) -> None:
    (project / "pyproject.toml").write_text(f"[tool.pkify]\nlibraries = {libraries}\n")


def run(project: Path, *command: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(project.parent / "site"), "PKIFY_NO_CACHE": "1"}
    return subprocess.run([sys.executable, "-m", *command], cwd=project, env=env, capture_output=True, text=True)


def findings(project: Path) -> set:
    result = run(project, "pkify", "check", "--format", "json", ".")
    assert result.returncode in (0, 1), result.stderr
    return {(Path(f["path"]).as_posix(), f["line"], f["code"]) for f in json.loads(result.stdout)}


EXPECTED = {
    ("plugin/receivers.py", 7, "CEL101"),  # what the library's senders pass as `instance`
    ("plugin/tests.py", 10, "CEL101"),  # what the library's test mixin returns
    ("plugin/tests.py", 11, "CEL101"),
    ("plugin/tests.py", 12, "CEL101"),
}


def test_a_library_read_with_the_project_tells_what_its_code_returns_and_sends(plugin: Path) -> None:
    assert findings(plugin) == set()  # without `libraries`: names from another package only
    configure(plugin, '["hostapp"]')
    assert findings(plugin) == EXPECTED  # and nothing in the library's own files


def test_flake8_reports_the_same(plugin: Path) -> None:
    configure(plugin, '["hostapp"]')
    result = run(plugin, "flake8", "--select=CEL", "--format=%(path)s:%(row)d:%(code)s", ".")
    reported = {(Path(p).as_posix(), int(line), code) for p, line, code in (x.split(":") for x in result.stdout.split())}
    assert reported == EXPECTED, result.stderr


def test_fix_rewrites_the_project_and_never_the_library(plugin: Path) -> None:
    configure(plugin, '["hostapp"]')
    library = plugin.parent / "site" / "hostapp" / "tasks.py"
    before = library.read_text()
    result = run(plugin, "pkify", "fix", ".")
    assert library.read_text() == before
    tests = (plugin / "plugin" / "tests.py").read_text()
    # `update_config` already takes a key: only the call site changes
    assert "update_config.delay(device.pk)" in tests
    # `audit` would need its signature changed, in a file pkify does not own
    assert "audit.delay(device)" in tests
    assert "it is defined in an installed package" in result.stderr
    # the project's own task changes with every one of its callers
    assert "def notify(device_id):" in (plugin / "plugin" / "tasks.py").read_text()
    assert "notify.delay(device.pk)" in tests
    assert "notify.delay(instance.pk)" in (plugin / "plugin" / "receivers.py").read_text()


def test_a_library_that_is_not_installed_is_a_configuration_error(plugin: Path) -> None:
    """Loud in both front ends: the findings would differ from a run where it is installed."""
    configure(plugin, '["hostapp", "not_installed_here"]')
    message = (
        "`libraries`: no Python package 'not_installed_here' in the environment pkify runs in "
        f"({sys.executable}); install it there (pre-commit: `additional_dependencies`)"
    )
    ours = run(plugin, "pkify", "check", ".")
    assert (ours.returncode, ours.stdout, ours.stderr) == (2, "", f"pkify: error: {message}\n")
    flake8 = run(plugin, "flake8", "--select=CEL", ".")
    assert flake8.returncode == 1 and "Traceback" not in flake8.stderr
    assert flake8.stdout.splitlines() == ["There was a critical error during execution of Flake8:", f"pkify: {message}"]


def test_a_namespace_package_is_refused(plugin: Path) -> None:
    """Its modules' names could not be told from its directories: refused, not misread."""
    write(plugin.parent / "site", {"spread/models.py": "from django.db import models\n"})
    configure(plugin, '["spread"]')
    result = run(plugin, "pkify", "check", ".")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "pkify: error: `libraries`: 'spread' is a namespace package (no __init__.py), which pkify cannot read"
    ]


def test_fix_leaves_a_task_the_library_sends_too(tmp_path: Path) -> None:
    """A host that sends the project's task (by its name): its signature cannot change, since
    the host's call would be left behind in a file pkify does not own."""
    host = {
        **HOST,
        "hostapp/remote.py": """\
from celery import current_app

from .models import Device


def remote(pk):
    device = Device.objects.get(pk=pk)
    current_app.send_task("plugin.tasks.notify", args=[device])
""",
    }
    write(tmp_path / "site", host)
    project = tmp_path / "project"
    write(project, PLUGIN)
    configure(project, '["hostapp"]')
    result = run(project, "pkify", "fix", ".")
    assert "Traceback" not in result.stderr
    assert "def notify(device):" in (project / "plugin" / "tasks.py").read_text()
    assert "notify.delay(device)" in (project / "plugin" / "tests.py").read_text()
    assert "notify: left unchanged: it is also sent from an installed package at " in result.stderr, result.stderr
    assert "hostapp/remote.py:8 (`libraries`)" in result.stderr.replace(os.sep, "/")
    assert (tmp_path / "site" / "hostapp" / "remote.py").read_text() == host["hostapp/remote.py"]
    # the other tasks are fixed as without it
    assert "update_config.delay(device.pk)" in (project / "plugin" / "tests.py").read_text()
