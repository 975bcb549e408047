"""The hooks in `.pre-commit-hooks.yaml`, installed by real pre-commit into a small Django app's
git repository, as a user's `.pre-commit-config.yaml` would install them.

pre-commit installs hooks from a commit of a repository. The checkout under test may have
uncommitted changes (a developer's working tree), so its files as they are on disk are committed
to a throwaway repository first, and the app's configuration points there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Tuple

import pytest

from fixture_expectations import REPO
from test_readme import ADDRESS, COMMIT, readme_block

# pre-commit builds a virtualenv and pip-installs pkify with its dependencies (from PyPI, into a
# temporary PRE_COMMIT_HOME): `python -m pytest -m "corpus or slow"` runs these.
pytestmark = pytest.mark.slow

MODELS = """\
from django.db import models


class Order(models.Model):
    number = models.CharField(max_length=20)
"""

TASKS = """\
from celery import shared_task

from shop.models import Order


@shared_task
def send_receipt(order_id):
    order = Order.objects.get(pk=order_id)
    print(order.number)
"""

VIEWS = """\
from django.shortcuts import get_object_or_404

from shop.models import Order
from shop.tasks import send_receipt


def pay(request, pk):
    order = get_object_or_404(Order, pk=pk)
    send_receipt.delay({argument})
"""

# Committed before the hooks are used and never changed: pre-commit never passes it to the hook.
LEGACY = VIEWS.replace("def pay", "def legacy_pay").format(argument="order")


def _env(home: Path) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        GIT_AUTHOR_NAME="pkify tests",
        GIT_AUTHOR_EMAIL="tests@pkify.invalid",
        GIT_COMMITTER_NAME="pkify tests",
        GIT_COMMITTER_EMAIL="tests@pkify.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        PRE_COMMIT_HOME=str(home),
    )
    env["HOME"] = str(home)  # no user git configuration (hooks paths, signing) leaks in
    return env


def git(*args: str, cwd: Path, env: Dict[str, str]) -> str:
    return subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> Dict[str, str]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    return _env(tmp_path_factory.mktemp("pre-commit-home"))


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory, env) -> Tuple[Path, str]:
    """The checkout's files as they are on disk (tracked and untracked, minus ignored ones),
    committed in a repository of their own: (its path, the commit)."""
    inside = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=REPO, capture_output=True, text=True)
    if inside.stdout.strip() != "true":
        pytest.skip("not a git checkout: pre-commit installs hooks from a git repository")
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO, env=env)
    copy = tmp_path_factory.mktemp("pkify-checkout")
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():  # deleted in the working tree: not copied
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    git("init", "-q", cwd=copy, env=env)
    git("add", "-A", cwd=copy, env=env)
    git("commit", "-q", "--no-verify", "-m", "pkify as checked out", cwd=copy, env=env)
    return copy, git("rev-parse", "HEAD", cwd=copy, env=env).strip()


@pytest.fixture
def app(tmp_path: Path, hook_repo, env) -> Path:
    repo, rev = hook_repo
    (tmp_path / "manage.py").write_text("")
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "models.py").write_text(MODELS)
    (tmp_path / "shop" / "tasks.py").write_text(TASKS)
    (tmp_path / "shop" / "views.py").write_text('"""Views: not written yet."""\n')
    (tmp_path / "shop" / "legacy.py").write_text(LEGACY)
    (tmp_path / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {repo}\n  rev: {rev}\n  hooks:\n  - id: pkify\n  - id: pkify-fix\n    stages: [manual]\n"
    )
    git("init", "-q", cwd=tmp_path, env=env)
    git("add", "-A", cwd=tmp_path, env=env)
    git("commit", "-q", "--no-verify", "-m", "the app", cwd=tmp_path, env=env)
    return tmp_path


def pre_commit(*args: str, cwd: Path, env: Dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--color=never", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_check_hook_fails_on_an_offending_change_and_passes_on_a_clean_one(app: Path, env) -> None:
    views = app / "shop" / "views.py"

    # Only views.py is staged, so pre-commit passes only views.py: the task still resolves to
    # shop/tasks.py and the model to shop/models.py, through the project index.
    views.write_text(VIEWS.format(argument="order"))
    git("add", "shop/views.py", cwd=app, env=env)
    failed = pre_commit("pkify", cwd=app, env=env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "- hook id: pkify" in failed.stdout and "Failed" in failed.stdout
    assert "shop/views.py:9:24: CEL101 `order` is a `shop.Order` instance" in failed.stdout
    assert "legacy.py" not in failed.stdout  # not changed, not passed, not reported

    views.write_text(VIEWS.format(argument="order.pk"))
    git("add", "shop/views.py", cwd=app, env=env)
    passed = pre_commit("pkify", cwd=app, env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


def test_check_hook_on_all_files_reports_the_legacy_code(app: Path, env) -> None:
    result = pre_commit("pkify", "--all-files", cwd=app, env=env)
    assert result.returncode == 1
    assert "shop/legacy.py:9:24: CEL101" in result.stdout


def test_the_readmes_snippet_works_once_filled_in(app: Path, hook_repo, env) -> None:
    """The README's `.pre-commit-config.yaml`, as a reader copies it, with the two values it asks
    for: the repository's address and a commit."""
    repo, rev = hook_repo
    snippet = readme_block("pre-commit", "yaml")
    assert ADDRESS in snippet and COMMIT in snippet
    (app / ".pre-commit-config.yaml").write_text(snippet.replace(ADDRESS, str(repo)).replace(COMMIT, rev))
    git("commit", "-q", "--no-verify", "-am", "the README's configuration", cwd=app, env=env)
    result = pre_commit("--all-files", cwd=app, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "- hook id: pkify" in result.stdout and "shop/legacy.py:9:24: CEL101" in result.stdout


INSTANCE_TASK = """\
from celery import shared_task


@shared_task
def send_receipt(order):
    print(order.number)
"""


def test_fix_hook_rewrites_and_fails_the_commit_then_the_check_passes(app: Path, env) -> None:
    tasks = app / "shop" / "tasks.py"
    tasks.write_text(INSTANCE_TASK)  # a task written to take the instance
    git("commit", "-q", "--no-verify", "-am", "a task that takes an instance", cwd=app, env=env)
    views = app / "shop" / "views.py"
    views.write_text(VIEWS.format(argument="order"))
    git("add", "shop/views.py", cwd=app, env=env)

    fixed = pre_commit("pkify-fix", "--hook-stage", "manual", cwd=app, env=env)
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr  # it changed files: the commit stops
    assert "files were modified by this hook" in fixed.stdout
    assert "send_receipt.delay(order.pk)" in views.read_text()
    assert "def send_receipt(order_id)" in tasks.read_text()  # the task fetches its row

    git("add", "-A", cwd=app, env=env)
    again = pre_commit("pkify-fix", "--hook-stage", "manual", cwd=app, env=env)
    assert again.returncode == 0, again.stdout + again.stderr  # nothing left to change
    assert pre_commit("pkify", cwd=app, env=env).returncode == 0
