"""Planting the bug pkify looks for in real code: every task argument written `x.pk` (or `x.id`)
where pkify knows `x` is a model instance becomes `x`. Real projects pass primary keys
already, so this is how pkify's fixer gets real code to fix."""

from __future__ import annotations

from pathlib import Path
from typing import Set

import libcst as cst

from pkify.project import TASK_CALL_HINT, Project
from pkify.settings import Settings
from pkify.sources import Excluder, read_source, walk_python_files
from pkify.values import Instance


def plant(root: Path) -> int:
    """Rewrite the files under `root` in place; how many arguments were changed."""
    project = Project.load(root, Settings())
    planted = 0
    for path in walk_python_files([root], Excluder(project.settings.excludes, root)):
        source = read_source(path)
        if not TASK_CALL_HINT.search(source):
            continue
        ctx = project.engine.context(project.index.by_path[str(path)], source=source, positions=True)
        known: Set[cst.Attribute] = set()

        def observe(call, evaluator) -> None:
            for argument in call.arguments if call.sends else ():
                expression = argument.node
                if isinstance(expression, cst.Attribute) and expression.attr.value in ("pk", "id"):
                    if isinstance(evaluator.value(expression.value), Instance):
                        known.add(expression)

        project.engine.analyse(ctx, None, observe)
        if known:

            class Strip(cst.CSTTransformer):
                def on_leave(self, original, updated):
                    return updated.value if original in known else updated

            path.write_text(ctx.module.visit(Strip()).code, encoding="utf-8")
            planted += len(known)
    return planted
