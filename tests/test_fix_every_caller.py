"""A property of `pkify fix` over generated projects: a task's signature never changes without
every one of its callers. Each project has tasks taking a row, and call sites in views, tests
and an excluded file, sending through the call forms pkify knows (`delay`, `apply_async` with
`args=` / `kwargs=`, a keyword, a direct call under an alias, `.s()`, `functools.partial`, a
mock's `assert_called_with`) a row, its key or a QuerySet. After the fix, for each task: either
its parameter was renamed and every call site sends the key form, or nothing about it changed."""

from __future__ import annotations

import ast
import contextlib
import io
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pkify.frontends.cli import main

# A property test over generated projects: with the long runs.
pytestmark = pytest.mark.slow

MODELS = '''from django.db import models


class Customer(models.Model):
    email = models.EmailField()


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
'''

FORMS = (
    "delay", "delay_keyword", "apply_async_args", "apply_async_kwargs", "direct_alias", "signature", "partial", "mock"
)
KINDS = ("row", "key", "rows")
PLACES = ("shop/views.py", "shop/tests/test_views.py", "legacy/jobs.py")


@dataclass(frozen=True)
class Site:
    task: int
    form: str
    kind: str
    place: str


def _value(kind: str, n: int) -> str:
    return {
        "row": f"Order.objects.get(pk={n})",
        "key": f"Order.objects.get(pk={n}).pk",
        "rows": f"Order.objects.filter(pk__gt={n})",
    }[kind]


def _call(site: Site, n: int) -> List[str]:
    task, arg = f"task{site.task}", f"obj{n}"
    marker = f"  # site {n}"
    if site.form == "delay":
        return [f"{task}.delay({arg}){marker}"]
    if site.form == "delay_keyword":
        return [f"{task}.delay(order={arg}){marker}"]
    if site.form == "apply_async_args":
        return [f"{task}.apply_async(args=({arg},), countdown=1){marker}"]
    if site.form == "apply_async_kwargs":
        return [f'{task}.apply_async(kwargs={{"order": {arg}}}){marker}']
    if site.form == "direct_alias":
        return [f"run{site.task}({arg}){marker}"]
    if site.form == "signature":
        return [f"{task}.s({arg}).delay(){marker}"]
    if site.form == "partial":
        return [f"functools.partial({task}.delay, {arg})(){marker}"]
    return [
        f'with mock.patch("shop.tasks.{task}") as mocked{n}:',
        f"    mocked{n}.delay.assert_called_with({arg}){marker}",
    ]


def _project(root: Path, tasks: int, sites: List[Site]) -> None:
    for package in ("shop", "shop/tests", "legacy"):
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").write_text("")
    (root / "manage.py").write_text("")
    (root / "pyproject.toml").write_text('[tool.pkify]\nextend-exclude = ["legacy/"]\n')
    (root / "shop" / "models.py").write_text(MODELS)
    lines = ["from celery import shared_task", ""]
    for t in range(tasks):
        lines += ["", "@shared_task", f"def task{t}(order):", "    print(order.customer_id)", ""]
    (root / "shop" / "tasks.py").write_text("\n".join(lines))
    for place in PLACES:
        body = [
            "import functools",
            "from unittest import mock",
            "",
            "from shop.models import Order",
            "from shop.tasks import " + ", ".join(f"task{t}" for t in range(tasks)),
            *(f"from shop.tasks import task{t} as run{t}" for t in range(tasks)),
            "",
            "",
            "def run():",
        ]
        for n, site in enumerate(sites):
            if site.place == place:
                body.append(f"    obj{n} = {_value(site.kind, n)}")
                body += [f"    {line}" for line in _call(site, n)]
        body.append("    return None")
        (root / place).write_text("\n".join(body) + "\n")


def _parameters(root: Path) -> Dict[int, str]:
    tree = ast.parse((root / "shop" / "tasks.py").read_text())
    return {
        int(node.name[4:]): node.args.args[0].arg
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("task")
    }


def _sent(root: Path) -> Dict[int, str]:
    """The text each call site sends, by its number."""
    found: Dict[int, str] = {}
    for place in PLACES:
        for line in (root / place).read_text().splitlines():
            marker = re.search(r"# site (\d+)$", line)
            if marker:
                found[int(marker.group(1))] = line.split("#")[0].strip()
    return found


KEY_FORMS = {"row": ".pk", "rows": 'values_list("pk", flat=True)'}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tasks=st.integers(min_value=1, max_value=2),
    sites=st.lists(
        st.builds(
            Site,
            task=st.integers(min_value=0, max_value=1),
            form=st.sampled_from(FORMS),
            kind=st.sampled_from(KINDS),
            place=st.sampled_from(PLACES),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_no_caller_is_left_behind(tasks: int, sites: List[Site]) -> None:
    sites = [Site(s.task % tasks, s.form, s.kind, s.place) for s in sites]
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "project"
        _project(root, tasks, sites)
        before = _sent(root)
        with contextlib.redirect_stderr(io.StringIO()) as err, contextlib.redirect_stdout(io.StringIO()):
            status = main(["fix", "--no-cache", "-j", "1", str(root)])
        assert status in (0, 1), err.getvalue()
        assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue(), err.getvalue()
        for path in root.rglob("*.py"):
            ast.parse(path.read_text())
        after = _sent(root)
        renamed = {t for t, name in _parameters(root).items() if name != "order"}
        for n, site in enumerate(sites):
            if site.task not in renamed:
                assert after[n] == before[n], (site, after[n], err.getvalue())
            elif site.kind == "key":
                assert after[n] == before[n], (site, after[n])  # already a key: as it was
            else:
                assert KEY_FORMS[site.kind] in after[n] or "obj.pk for obj in" in after[n], (site, after[n])
        # A second run changes nothing.
        snapshot = {p: p.read_text() for p in root.rglob("*.py")}
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            main(["fix", "--no-cache", "-j", "1", str(root)])
        assert {p: p.read_text() for p in root.rglob("*.py")} == snapshot


def test_the_example_project_keeps_every_caller(tmp_path: Path) -> None:
    """The same property on the example project: after the fix, every call of a task whose
    parameter was renamed sends keys (pkify check reports nothing there)."""
    from fixture_expectations import FIXTURES

    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "project", root)
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        assert main(["fix", "--no-cache", str(root)]) == 1
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = main(["check", "--no-cache", "--select", "CEL1", str(root)])
    assert (status, out.getvalue()) == (0, ""), out.getvalue()

