"""The flake8 plugin: the same diagnostics as `pkify check`, reported through flake8.

In flake8's main process, before it starts its workers, the plugin opens the project (from the
cache when it can) and checks the files flake8 was given, as `pkify check` does; the workers
inherit the results and only report them. flake8 itself applies `--select`, `--ignore`,
`--per-file-ignores` and `# noqa` to what the plugin yields; when none of the rules' codes is
among those flake8 shows, the plugin does nothing at all. A file pkify cannot parse yields
nothing here: flake8 reports E999 itself. A configuration error in `[tool.pkify]` stops flake8
with a clear message, as it stops `pkify check`.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from flake8.exceptions import ExecutionError

from .. import __version__
from ..api import RULES, Session
from ..diagnostics import FileResult
from ..project.files import Excluder, absolute, find_root, walk_python_files
from ..project.parallel import with_deep_stack
from ..settings import SERIALIZERS, ConfigError, Settings, check_serializer, parse_per_file_ignores, resolve

_sessions: Dict[Tuple[Path, Tuple], Session] = {}
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
    overrides: Dict[str, Optional[Tuple]] = {}
    root: Optional[Path] = None

    def __init__(self, tree: ast.AST, filename: str, lines: List[str]) -> None:
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, option_manager) -> None:
        for _, flag, text in OPTIONS:
            option_manager.add_option(
                flag, default=None, parse_from_config=True, comma_separated_list=True, help=f"pkify: {text}"
            )
        option_manager.add_option("--pkify-root", default=None, parse_from_config=True, help="pkify: the project root")
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
        cls.enabled = any(_reported(options, code) for code in RULES)
        overrides: Dict[str, Optional[Tuple]] = {
            attribute: tuple(getattr(options, flag[2:].replace("-", "_"), None) or ()) or None
            for attribute, flag, _ in OPTIONS
        }
        root = getattr(options, "pkify_root", None)
        cls.root = absolute(Path(root)) if root else None
        try:
            serializer = getattr(options, "pkify_serializer", None)
            overrides["serializer"] = check_serializer(serializer, "--pkify-serializer") if serializer else None
            per_file = getattr(options, "pkify_per_file_ignores", None)
            overrides["per_file_ignores"] = (
                parse_per_file_ignores(per_file, "--pkify-per-file-ignores") if per_file else None
            )
        except ConfigError as error:
            raise ExecutionError(f"pkify: {error}") from None
        cls.overrides = overrides
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
            session = cls._session(cls.root or find_root(path), jobs)
            for file in walk_python_files([path], Excluder(session.settings.excludes, session.root)):
                if file.parent not in roots:
                    roots[file.parent] = cls.root or find_root(file)
                groups.setdefault(roots[file.parent], []).append(file)
        for root, files in groups.items():
            session = cls._session(root, jobs)
            excluder = Excluder(session.settings.excludes, root)
            files = [f for f in files if not excluder.excluded_anywhere(f)]
            results = session.check_many([(f, str(f)) for f in files], noqa=False, jobs=jobs)
            _ahead.update((str(f), result) for f, result in zip(files, results))
            session.save()

    @classmethod
    def _session(cls, root: Path, jobs: int = 1) -> Session:
        key = (root, tuple(sorted(cls.overrides.items())))
        if key not in _sessions:
            try:
                settings: Settings = resolve(root, cls.overrides, tuple(RULES))
            except ConfigError as error:
                raise ExecutionError(f"pkify: {error}") from None
            _sessions[key] = Session.open(root, settings, jobs=jobs)
            _sessions[key].save()
        return _sessions[key]

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        if not self.enabled:
            return  # flake8 would not show any of pkify's codes: nothing to compute
        path = Path(self.filename)
        root = self.root or find_root(path if path.exists() else Path.cwd())
        session = self._session(root)
        if path.exists() and Excluder(session.settings.excludes, root).excluded_anywhere(absolute(path)):
            return
        result = _ahead.get(str(absolute(path))) if path.exists() else None
        if result is None:  # stdin, or a file flake8 found elsewhere
            result = with_deep_stack(session.check, path, "".join(self.lines), self.filename, False)
        for diagnostic in result.diagnostics:
            yield diagnostic.line, diagnostic.column - 1, f"{diagnostic.code} {diagnostic.message}", type(self)


def _reported(options, code: str) -> bool:
    """Whether flake8 shows `code`: the longest matching prefix of its select and ignore lists
    decides, as in flake8's own decision engine (`--select` given without pkify's codes, as in
    `flake8 --select=E9,F63`, shows none of them)."""

    def longest(prefixes) -> int:
        return max((len(p) for p in prefixes or () if code.startswith(p)), default=-1)

    select = list(getattr(options, "select", None) or ())
    extend = list(getattr(options, "extend_select", None) or ())
    selected = longest(select + extend) if select else max(longest(extend), 0)
    ignored = longest([*(getattr(options, "ignore", None) or ()), *(getattr(options, "extend_ignore", None) or ())])
    return selected >= 0 and selected >= ignored if ignored >= 0 else selected >= 0
