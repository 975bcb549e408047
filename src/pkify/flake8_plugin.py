"""The flake8 plugin: the same findings as `pkify check`, reported through flake8.

In flake8's main process, before it starts its workers, the plugin loads the project (from the
cache when it can) and checks the files flake8 was given, as `pkify check` does; the workers
inherit the results and only report them. When `CEL` is not among the codes flake8 shows, the
plugin does nothing. A file pkify cannot parse yields nothing here: flake8 reports E999 itself.
"""

from __future__ import annotations

import ast
import os
from dataclasses import replace
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from flake8.exceptions import ExecutionError

from . import __version__
from .cache import Cache
from .results import FileResult
from .project import Project
from .settings import (
    SERIALIZERS,
    ConfigError,
    PerFileIgnores,
    Settings,
    check_serializer,
    parse_per_file_ignores,
    read_pyproject,
)
from .sources import Excluder, absolute, find_root, walk_python_files
from .stack import with_deep_stack

_projects: Dict[Tuple[Path, Settings], Project] = {}
_ahead: Dict[str, FileResult] = {}  # absolute path -> result, computed in flake8's main process

OPTIONS = (
    ("task_decorators", "--pkify-task-decorators", "extra decorators that make a function a Celery task"),
    ("model_bases", "--pkify-model-bases", "extra base classes that make a class a Django model"),
    ("extend_exclude", "--pkify-extend-exclude", "more files pkify leaves alone (patterns)"),
)


class Plugin:
    name = "pkify"
    version = __version__

    enabled = True
    options: Dict[str, Optional[Tuple[str, ...]]] = {}
    root: Optional[Path] = None
    serializer: Optional[str] = None
    per_file_ignores: PerFileIgnores = ()

    def __init__(self, tree: ast.AST, filename: str, lines: List[str]) -> None:
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, option_manager) -> None:
        for _, flag, text in OPTIONS:
            option_manager.add_option(
                flag, default=None, parse_from_config=True, comma_separated_list=True, help=f"pkify: {text}"
            )
        option_manager.add_option(
            "--pkify-root", default=None, parse_from_config=True, help="pkify: the project root"
        )
        option_manager.add_option(
            "--pkify-serializer",
            default=None,
            parse_from_config=True,
            metavar="|".join(SERIALIZERS),
            help="pkify: Celery's task serializer; the messages explain what goes wrong under it",
        )
        option_manager.add_option(
            "--pkify-per-file-ignores",
            default=None,
            parse_from_config=True,
            help="pkify: codes not reported in some files, as flake8's --per-file-ignores "
            "(`tests/*:CEL101`); patterns are relative to the project root",
        )

    @classmethod
    def parse_options(cls, options) -> None:
        cls.enabled = _reported(options)
        cls.options = {attribute: getattr(options, flag[2:].replace("-", "_"), None) for attribute, flag, _ in OPTIONS}
        root = getattr(options, "pkify_root", None)
        cls.root = absolute(Path(root)) if root else None
        try:
            serializer = getattr(options, "pkify_serializer", None)
            cls.serializer = check_serializer(serializer, "--pkify-serializer") if serializer else None
            per_file = getattr(options, "pkify_per_file_ignores", None)
            cls.per_file_ignores = parse_per_file_ignores(per_file, "--pkify-per-file-ignores") if per_file else ()
        except ConfigError as error:
            raise ExecutionError(f"pkify: {error}") from None
        if cls.enabled:
            cls._check_ahead(options)

    @classmethod
    def _check_ahead(cls, options) -> None:
        """Check, here in flake8's main process and as `pkify check` does (in parallel, from the
        cache), the files flake8 is about to check: its worker processes inherit the results and
        only report them."""
        paths = [Path(p) for p in (getattr(options, "filenames", None) or ["."]) if p != "-"]
        jobs = getattr(options, "jobs", None)
        jobs = int(jobs) if str(jobs).isdigit() else (os.cpu_count() or 1)
        roots: Dict[Path, Path] = {}
        groups: Dict[Path, List[Path]] = {}  # each file in the project of its own root
        for path in paths:
            if not path.exists():
                continue
            project = cls._project(cls.root or find_root(path), jobs)
            if project is None:
                continue
            for file in walk_python_files([path], Excluder(project.settings.excludes, project.root)):
                if file.parent not in roots:
                    roots[file.parent] = cls.root or find_root(file)
                groups.setdefault(roots[file.parent], []).append(file)
        for root, files in groups.items():
            project = cls._project(root, jobs)
            if project is None:
                continue
            excluder = Excluder(project.settings.excludes, root)
            files = [f for f in files if not excluder.excluded_anywhere(f)]
            results = project.check_many([(f, str(f)) for f in files], noqa=False, jobs=jobs)
            _ahead.update((str(f), result) for f, result in zip(files, results))
            project.cache.save()

    @classmethod
    def _project(cls, root: Path, jobs: int = 1) -> Optional[Project]:
        try:
            settings = read_pyproject(root)
        except ConfigError:
            return None  # `pkify check` reports configuration errors; flake8 has no channel for them
        overrides = {k: tuple(v) for k, v in cls.options.items() if v}
        if "extend_exclude" in overrides:
            overrides["extend_exclude"] = settings.extend_exclude + overrides["extend_exclude"]
        if cls.serializer:
            overrides["serializer"] = cls.serializer
        if cls.per_file_ignores:
            overrides["per_file_ignores"] = settings.per_file_ignores + cls.per_file_ignores
        settings = replace(settings, **overrides)
        key = (root, settings)
        if key not in _projects:
            _projects[key] = Project.load(root, settings, Cache.for_root(root), jobs)
            _projects[key].cache.save()
        return _projects[key]

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        if not self.enabled:
            return  # flake8 would not show CEL codes: nothing to compute
        path = Path(self.filename)
        root = self.root or find_root(path if path.exists() else Path.cwd())
        project = self._project(root)
        if project is None:
            return
        if path.exists() and Excluder(project.settings.excludes, root).excluded_anywhere(absolute(path)):
            return
        result = _ahead.get(str(absolute(path))) if path.exists() else None
        if result is None:  # stdin, or a file flake8 found elsewhere
            result = with_deep_stack(project.check, path, "".join(self.lines), display=self.filename, noqa=False)
        for finding in result.findings:
            yield finding.line, finding.column - 1, f"{finding.code} {finding.message}", type(self)


def _reported(options) -> bool:
    """Whether flake8 will show CEL codes: not when `--select` is given without them (a run for
    other checks, `flake8 --select=E9,F63`), or when they are ignored."""

    def longest(prefixes) -> int:
        return max((len(p) for p in prefixes or () if "CEL101".startswith(p)), default=-1)

    select = list(getattr(options, "select", None) or ())
    extend = list(getattr(options, "extend_select", None) or ())
    selected = longest(select + extend) if select else max(longest(extend), 0)
    ignored = longest([*(getattr(options, "ignore", None) or ()), *(getattr(options, "extend_ignore", None) or ())])
    return selected >= 0 and selected >= ignored if ignored >= 0 else selected >= 0
