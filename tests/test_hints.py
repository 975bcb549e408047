"""What the project layer reads of the frameworks: the hint, which files are analysed at all (its
fast form must match exactly where the plain alternation of the plugins' hints matches), and the
library modules whose names are another's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pkify.frameworks.celery import names
from pkify.frameworks.hints import HINT, SEND_HINT, any_of

REPO = Path(__file__).resolve().parents[1]

SAMPLES = [
    "send_receipt.delay(order)",
    "task . apply_async (args=[1])",
    "chain(a.s(1), b.si(2))",
    "@shared_task\ndef f(): pass",
    "@app.task(bind=True)",
    "class T(Task):\n    def run(self, x): pass",
    "signature('tasks.add', args=(1,))",
    "self.retry(exc=e)",
    "app.send_task('x')",
    "no call here: delay = 5; run = 1; task = 2",
    "order.save(); resigned(); s = x.sign(y)",
    "def running(): pass",
]


def _sources():
    for path in sorted((REPO / "fixtures").rglob("*.py")) + sorted((REPO / "src").rglob("*.py")):
        yield path.read_text(encoding="utf-8", errors="replace")
    yield from SAMPLES


@pytest.mark.parametrize("alternatives, fast", [(names.HINTS, HINT), (names.HINTS - names.TASK_DEFINITION_HINTS, SEND_HINT)])
def test_the_fast_hint_matches_where_the_plain_alternation_does(alternatives, fast):
    plain = re.compile("|".join(sorted(alternatives)))
    compared = 0
    for text in _sources():
        assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]
        compared += 1
    assert compared > 100


def test_every_task_method_is_a_hint():
    for method in names.TASK_METHODS:
        assert HINT.search(f"x.{method}(1)"), method
        assert not HINT.search(f"x.{method}"), method


def test_any_of_looks_only_where_an_alternative_can_start():
    pattern = any_of(frozenset({r"\bfoo\(", r"\.bar", "@baz"}))
    assert pattern.pattern.startswith(r"(?=[@\.f])")
    assert [m.group() for m in pattern.finditer("x.bar @baz foo( afoo(")] == [".bar", "@baz", "foo("]


def test_a_hint_that_does_not_start_with_a_literal_character_is_refused():
    with pytest.raises(ValueError, match="literal character"):
        any_of(frozenset({r"(?:a|b)\(", r"\.delay\("}))


@pytest.mark.parametrize(
    "name, known_as",
    [
        ("django.contrib.gis.db.models.Model", "django.db.models.Model"),
        ("django.contrib.gis.db.models.Manager", "django.db.models.Manager"),
        ("django.contrib.gis.db.models.ForeignKey", "django.db.models.ForeignKey"),
        # GeoDjango's own names stay its own
        ("django.contrib.gis.db.models.PointField", "django.contrib.gis.db.models.PointField"),
        ("django.contrib.gis.db.models.functions.Distance", "django.contrib.gis.db.models.functions.Distance"),
        ("django.contrib.gis.db.models.Union", "django.contrib.gis.db.models.Union"),
        ("django.contrib.gis.geos.Point", "django.contrib.gis.geos.Point"),
    ],
)
def test_a_name_is_known_by_the_module_that_defines_it(name: str, known_as: str) -> None:
    """GeoDjango's `models` re-exports Django's: the symbol index reads those names as Django's."""
    from pkify.frameworks.hints import REEXPORTS
    from pkify.project.index import SymbolIndex

    assert SymbolIndex(REPO, [], REEXPORTS).resolve_qualname(name).qualname == known_as
