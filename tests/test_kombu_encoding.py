"""CEL104's list of values checked against kombu itself: each value a module sends to a task is
reported by CEL104 exactly when kombu's JSON serializer (the one Celery uses) fails to encode it."""

from __future__ import annotations

import datetime
import decimal
import uuid
from pathlib import Path

import pytest
from kombu.exceptions import EncodeError
from kombu.serialization import dumps

from pkify.api import Session
from pkify.settings import Settings

# (expression as written in the module, the same value built here)
VALUES = [
    ('{"a", "b"}', {"a", "b"}),
    ('frozenset(["a"])', frozenset(["a"])),
    ("{n for n in range(3)}", {n for n in range(3)}),
    ("set()", set()),
    ("datetime.timedelta(days=1)", datetime.timedelta(days=1)),
    ("[1, datetime.timedelta(hours=1)]", [1, datetime.timedelta(hours=1)]),
    ('{"every": datetime.timedelta(hours=1)}', {"every": datetime.timedelta(hours=1)}),
    ("datetime.datetime(2026, 1, 1, 12, 0)", datetime.datetime(2026, 1, 1, 12, 0)),
    ("datetime.date(2026, 1, 1)", datetime.date(2026, 1, 1)),
    ("datetime.time(12, 30)", datetime.time(12, 30)),
    ('decimal.Decimal("1.50")', decimal.Decimal("1.50")),
    ('uuid.UUID("12345678123456781234567812345678")', uuid.UUID("12345678123456781234567812345678")),
    ('b"raw"', b"raw"),
    ('("a", 1)', ("a", 1)),
    ('["a", 1]', ["a", 1]),
    ('sorted({"b", "a"})', sorted({"b", "a"})),
    ("datetime.timedelta(days=1).total_seconds()", datetime.timedelta(days=1).total_seconds()),
]


def kombu_fails(value) -> bool:
    try:
        dumps(((value,), {}, {}), serializer="json")
    except EncodeError:
        return True
    return False


@pytest.fixture(scope="module")
def reported(tmp_path_factory) -> set:
    root: Path = tmp_path_factory.mktemp("encoding")
    (root / "manage.py").write_text("")
    (root / "app").mkdir()
    (root / "app" / "__init__.py").write_text("")
    lines = ["import datetime", "import decimal", "import uuid", "", "from celery import shared_task", ""]
    lines += ["", "@shared_task", "def task(value):", "    pass", "", "", "def send():"]
    first = len(lines) + 1
    lines += [f"    task.delay({expression})" for expression, _ in VALUES]
    module = root / "app" / "sends.py"
    module.write_text("\n".join(lines) + "\n")
    result = Session.open(root, Settings(), use_cache=False).check(module)
    assert result.error is None, result.error
    assert {d.code for d in result.diagnostics} <= {"CEL104"}, result.diagnostics
    return {VALUES[d.line - first][0] for d in result.diagnostics}


@pytest.mark.parametrize("expression, value", VALUES, ids=[e for e, _ in VALUES])
def test_reported_exactly_when_kombu_cannot_encode(expression: str, value, reported: set) -> None:
    assert (expression in reported) == kombu_fails(value)
