"""Inference, tested on values rather than on findings: a fixture line may say what the analysis
must think its value is (`order = Order.objects.get(pk=1)  # value: Instance(shop.models.Order)`),
so that a failing test names the layer that broke (the inference) rather than only a missing
finding. Values are written as `pkify.analysis.explain.describe` writes them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict

import pytest

from fixture_expectations import FIXTURES, fixture_id
from pkify.analysis.explain import values_at
from pkify.api import Session
from pkify.project.files import find_root
from pkify.settings import resolve

VALUE = re.compile(r"#\s*value:\s*(.+?)\s*(?:#|$)")
FILES = sorted(p for p in FIXTURES.rglob("*.py") if "# value:" in p.read_text(encoding="utf-8", errors="replace"))
_sessions: Dict[Path, Session] = {}


def expected_values(path: Path) -> Dict[int, str]:
    found = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = VALUE.search(line)
        if match:
            found[number] = match.group(1)
    return found


def test_there_are_value_fixtures() -> None:
    assert len(FILES) >= 5


@pytest.mark.parametrize("path", FILES, ids=fixture_id)
def test_values(path: Path) -> None:
    root = find_root(path)
    if root not in _sessions:
        _sessions[root] = Session.open(root, resolve(root), use_cache=False)
    session = _sessions[root]
    source = path.read_text(encoding="utf-8")
    expected = expected_values(path)
    summary = session.project.summary(path.resolve(), source)
    found = values_at(session.state, summary, source, set(expected))
    wrong = {line: (want, found.get(line)) for line, want in expected.items() if found.get(line) != want}
    assert not wrong, "\n".join(f"line {line}: expected {want}, inferred {got}" for line, (want, got) in sorted(wrong.items()))


@pytest.mark.parametrize("others, reported", [(3, True), (149, False)])
def test_a_function_called_on_too_many_lines_is_not_followed(tmp_path: Path, others: int, reported: bool) -> None:
    """What every caller passes is read from at most CALLER_LINES lines that call the name (a
    method named `save` is called everywhere, mostly on other objects): beyond, the parameter
    stays unknown, even when few of those calls are its own."""
    import inprocess
    from small_project import MODELS, write

    lines = "    notify(order)\n" * 2 + "    log.notify(order)\n" * others
    write(
        tmp_path,
        {
            "manage.py": "",
            "shop/__init__.py": "",
            "shop/models.py": MODELS,
            "shop/helpers.py": "from .models import send_receipt\n\n\ndef notify(order):\n    send_receipt.delay(order)\n",
            "shop/views.py": f"from .helpers import notify\nfrom .models import Order\n\n\ndef pay(pk, log):\n    order = Order.objects.get(pk=pk)\n{lines}",
        },
    )
    result = inprocess.run(["check", "--no-cache", "."], cwd=tmp_path, text=True)
    assert ("shop/helpers.py:5:24: CEL101" in result.stdout) is reported, result.stdout + result.stderr
