"""`pkify fix` as a libcst codemod command:

    python -m libcst.tool codemod -x --no-format pkify.frontends.codemod.Pkify PROJECT_ROOT

libcst calls the command once per file; the project-wide plan is made once per process (per
project root) and each file receives its share of it, with the plan's decisions about that file
as warnings. Run it over the whole project: a task changes together with every file that calls
it, and files left out would be left behind.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Tuple

import libcst as cst
from libcst.codemod import CodemodCommand, CodemodContext, SkipFile

from ..api import FixOptions, Session
from ..project.files import absolute, find_root
from ..project.parallel import with_deep_stack
from ..settings import resolve

if TYPE_CHECKING:  # pragma: no cover
    from ..fix.plan import FixPlan

_plans: Dict[Tuple[Path, FixOptions], "FixPlan"] = {}


def _plan(filename: Path, options: FixOptions) -> "FixPlan":
    root = find_root(filename)
    key = (root, options)
    if key not in _plans:
        session = Session.open(root, resolve(root))
        _plans[key] = with_deep_stack(session.plan_fix, [root], options)
        session.save()
    return _plans[key]


class Pkify(CodemodCommand):
    DESCRIPTION = "Pass primary keys to Celery tasks and fetch the rows inside the tasks (pkify fix)."

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--missing", choices=("raise", "skip"), default="raise")
        arg_parser.add_argument("--imports", choices=("local", "top"), default="local")
        arg_parser.add_argument("--compat", action="store_true")

    def __init__(
        self, context: CodemodContext, missing: str = "raise", imports: str = "local", compat: bool = False
    ) -> None:
        super().__init__(context)
        self.options = FixOptions(missing=missing, imports=imports, compat=compat)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        if not self.context.filename:
            raise SkipFile("pkify needs the file's path to find its project")
        path = absolute(Path(self.context.filename))
        plan = _plan(path, self.options)
        for line in plan.describe(str(path)):
            self.warn(line)
        change = plan.changed.get(str(path))
        if change is None:
            raise SkipFile("nothing to change")
        old, new = change
        if tree.code != old:
            self.warn("the file changed since pkify read it; left alone")
            return tree
        return cst.parse_module(new)
