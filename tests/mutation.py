"""Planting the bug pkify looks for in real code: every task argument written `x.pk` (or `x.id`)
where pkify knows `x` is a model instance becomes `x`. Real projects pass primary keys
already, so this is how pkify's fixer gets real code to fix."""

from __future__ import annotations

from pathlib import Path
from typing import Set

import libcst as cst

from pkify.analysis.execution import walk_module
from pkify.analysis.units import Unit, parse_module
from pkify.api import HINT, Session
from pkify.frameworks.celery.values import TaskCall
from pkify.frameworks.django_orm.values import Instance
from pkify.project.files import read_source
from pkify.project.parallel import with_deep_stack
from pkify.settings import Settings


def plant(root: Path) -> int:
    """Rewrite the files under `root` in place; how many arguments were changed."""
    return with_deep_stack(_plant, root)


def _plant(root: Path) -> int:
    session = Session.open(root, Settings(), use_cache=False)
    planted = 0
    for path in session.project.python_files([root]):
        source = read_source(path)
        if not HINT.search(source):
            continue
        unit = Unit(session.project.index.by_path[str(path)], parse_module(source))
        known: Set[cst.Attribute] = set()

        def observe(fact, evaluator) -> None:
            if not isinstance(fact, TaskCall) or not fact.sends:
                return
            for argument in fact.arguments:
                expression = argument.node
                if isinstance(expression, cst.Attribute) and expression.attr.value in ("pk", "id"):
                    if isinstance(evaluator.value(expression.value), Instance):
                        known.add(expression)

        walk_module(session.state, unit, None, observe)
        if known:

            class Strip(cst.CSTTransformer):
                def on_leave(self, original, updated):
                    return updated.value if original in known else updated

            path.write_text(unit.module.visit(Strip()).code, encoding="utf-8")
            planted += len(known)
    return planted
