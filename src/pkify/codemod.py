"""`pkify fix` as a libcst codemod command:

    python -m libcst.tool codemod -x --no-format pkify.codemod.Pkify PROJECT_ROOT

libcst calls the command once per file; the project-wide plan is made once per process (per
project root) and each file receives its share of it. Run it over the whole project: a task
changes together with every file that calls it, and files left out would be left behind.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Dict, Tuple

import libcst as cst
from libcst.codemod import CodemodCommand, CodemodContext, SkipFile

from .fix import FixOptions, Fixer, FixResult, describe
from .project import Project
from .settings import read_pyproject
from .sources import absolute, find_root
from .stack import with_deep_stack

_results: Dict[Tuple[Path, FixOptions], FixResult] = {}


def _result(filename: Path, options: FixOptions) -> FixResult:
    root = find_root(filename)
    key = (root, options)
    if key not in _results:
        project = Project.load(root, read_pyproject(root))
        _results[key] = with_deep_stack(Fixer(project, options).run, [root])
    return _results[key]


class Pkify(CodemodCommand):
    DESCRIPTION = "Pass primary keys to Celery tasks and fetch the rows inside the tasks (pkify fix)."

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--missing", choices=("raise", "skip"), default="raise")
        arg_parser.add_argument("--imports", choices=("local", "top"), default="local")

    def __init__(self, context: CodemodContext, missing: str = "raise", imports: str = "local") -> None:
        super().__init__(context)
        self.options = FixOptions(missing=missing, imports=imports)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        if not self.context.filename:
            raise SkipFile("pkify needs the file's path to find its project")
        path = absolute(Path(self.context.filename))
        result = _result(path, self.options)
        for line in describe(result):
            if str(path) in line or path.name in line.split(":", 1)[0]:
                self.warn(line)
        change = result.changed.get(str(path))
        if change is None:
            raise SkipFile("nothing to change")
        old, new = change
        if tree.code != old:
            self.warn("the file changed since pkify read it; left alone")
            return tree
        return cst.parse_module(new)
