"""Values are inferred only when a task call uses them: a name bound to something not yet
inferred (a parameter its callers decide, a call's result), read through an attribute or joined
where two paths meet, stays unasked until it is sent. Inferring it may mean searching the whole
project for callers (a cold run of pretix spent 4 s on one such name)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from pkify.api import Session
from pkify.settings import Settings
from small_project import make

HELPERS = """\
import inspect

from shop.models import Order, send_receipt


def assign(event, position, flag):
    gen = event.generator
    if flag:
        gen = event.other_generator
    params = inspect.signature(gen.generate)
    send_receipt.delay(position.pk)


def caller(pk):
    assign(Order.objects.get(pk=pk), Order.objects.get(pk=pk), True)
"""


def _asked_for_callers(root: Path, source: str) -> set:
    (root / "shop" / "helpers.py").write_text(textwrap.dedent(source))
    session = Session.open(root, Settings(), use_cache=False)
    result = session.check(root / "shop" / "helpers.py")
    assert result.error is None
    tables = session.state.memo.tables
    asked = next((table for query, table in tables.items() if query.__name__ == "parameter_from_callers"), {})
    return {(function.qualname, name) for function, name in asked}


def test_a_value_read_through_an_attribute_and_joined_is_not_inferred_unless_sent(tmp_path: Path) -> None:
    make(tmp_path)
    assert ("shop.helpers.assign", "event") not in _asked_for_callers(tmp_path, HELPERS)


def test_the_same_value_is_inferred_when_it_is_sent(tmp_path: Path) -> None:
    make(tmp_path)
    sent = HELPERS.replace("send_receipt.delay(position.pk)", "send_receipt.delay(gen)")
    assert ("shop.helpers.assign", "event") in _asked_for_callers(tmp_path, sent)
