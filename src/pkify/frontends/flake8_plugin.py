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
import sys
from dataclasses import replace
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

from flake8.exceptions import ExecutionError

from .. import __version__
from ..api import (
    RULES,
    Baseline,
    BaselineError,
    Session,
    coverage,
    fixed_message,
    relative_path,
    without_noqa,
)
from ..diagnostics import FileResult
from ..project.files import Excluder, absolute, find_root, walk_python_files
from ..project.parallel import few_collections, project_loaded, with_deep_stack
from ..settings import SERIALIZERS, ConfigError, Settings, check_serializer, parse_per_file_ignores, resolve

_sessions: Dict[Tuple[Path, Tuple], Session] = {}
_ahead: Dict[str, FileResult] = {}  # absolute path -> result, computed in flake8's main process
_baselines: Dict[str, Baseline] = {}  # baseline file -> its findings

OPTIONS = (
    ("task_decorators", "--pkify-task-decorators", "extra decorators that make a function a Celery task"),
    ("model_bases", "--pkify-model-bases", "extra base classes that make a class a Django model"),
    ("libraries", "--pkify-libraries", "installed packages whose source is read with the project's"),
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
        option_manager.add_option(
            "--pkify-baseline",
            default=None,
            parse_from_config=True,
            metavar="FILE",
            help="pkify: report only the findings not in this baseline file (`pkify check --write-baseline "
            "FILE` writes it); in a configuration file, relative to the file's directory",
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
            baseline = getattr(options, "pkify_baseline", None)
            overrides["baseline"] = _baseline_path(options, baseline) if baseline else None
        except ConfigError as error:
            raise ExecutionError(f"pkify: {error}") from None
        cls.overrides = overrides
        if cls.enabled:
            with few_collections():
                cls._check_ahead(options)

    @classmethod
    def _check_ahead(cls, options) -> None:
        """Check, here in flake8's main process and as `pkify check` does (in parallel, from the
        cache), the files flake8 is about to check: its worker processes inherit the results and
        only report them."""
        paths = [Path(p) for p in (getattr(options, "filenames", None) or ["."]) if p != "-"]
        jobs = getattr(options, "jobs", None)
        jobs = int(str(jobs)) if str(jobs).isdigit() else (os.cpu_count() or 1)  # flake8 7: a JobsArgument
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
        for root in groups:
            baseline = cls._session(root, jobs).settings.baseline
            if baseline is not None:
                _read_baseline(baseline)  # before the work: a bad file stops flake8 at once
        # baseline file -> (session, files, their results) of the roots that use it
        judged: Dict[str, List[Tuple[Session, List[Path], List[FileResult]]]] = {}
        for root, files in groups.items():
            session = cls._session(root, jobs)
            excluder = Excluder(session.settings.excludes, root)
            files = [f for f in files if not excluder.excluded_anywhere(f)]
            results = session.check_many([(f, str(f)) for f in files], noqa=False, jobs=jobs)
            _ahead.update((str(f), result) for f, result in zip(files, results))
            session.save()
            if session.settings.baseline is not None:
                judged.setdefault(session.settings.baseline, []).append((session, files, results))
        for baseline, checked in judged.items():
            _against_baseline(baseline, checked)

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
            project_loaded()
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
            if session.settings.baseline is not None:
                known, _ = _known(_read_baseline(session.settings.baseline), [(session, path, result, self.lines)])
                result = replace(result, diagnostics=[d for d in result.diagnostics if id(d) not in known])
        for diagnostic in result.diagnostics:
            yield diagnostic.line, diagnostic.column - 1, f"{diagnostic.code} {diagnostic.message}", type(self)


def _baseline_path(options, value: str) -> str:
    """The baseline file, absolute: a value from flake8's configuration file is relative to that
    file's directory, one from the command line to the working directory."""
    value = value.strip()
    base = os.getcwd()
    try:
        from flake8.options.config import load_config  # where flake8 found its configuration

        config, directory = load_config(
            getattr(options, "config", None),
            list(getattr(options, "append_config", None) or []),
            isolated=bool(getattr(options, "isolated", False)),
        )
        if config.has_section("flake8"):
            written = config.get("flake8", "pkify-baseline", fallback=None)
            written = written if written is not None else config.get("flake8", "pkify_baseline", fallback=None)
            if written is not None and written.strip() == value:
                base = directory
    except Exception:  # pragma: no cover - another flake8: relative to the working directory
        pass
    return str(absolute(Path(base) / value))


def _read_baseline(path: str) -> Baseline:
    if path not in _baselines:
        try:
            _baselines[path] = Baseline.read(Path(path))
        except BaselineError as error:
            raise ExecutionError(f"pkify: {error}") from None
    return _baselines[path]


def _against_baseline(path: str, checked: List[Tuple[Session, List[Path], List[FileResult]]]) -> None:
    """Leave out of the results ahead the findings the baseline holds, as `pkify check` does,
    and say on stderr how many of its findings were fixed since."""
    files = [
        (session, file, result, None) for session, paths, results in checked for file, result in zip(paths, results)
    ]
    known, fixed = _known(_read_baseline(path), files, [session.root for session, _, _ in checked])
    for _, file, result, _ in files:
        if result.diagnostics:
            _ahead[str(file)] = replace(result, diagnostics=[d for d in result.diagnostics if id(d) not in known])
    if fixed:
        print(fixed_message(fixed, Path(path), "run `pkify check --prune-baseline`"), file=sys.stderr)


def _known(
    baseline: Baseline,
    files: List[Tuple[Session, Path, FileResult, Optional[List[str]]]],
    roots: Sequence[Path] = (),
) -> Tuple[Set[int], int]:
    """The ids of the diagnostics the baseline holds, and how many of its findings in these
    files (of the project at `roots`) were fixed since. `# noqa` is applied first, as `pkify
    check` applies it, so that both count the same findings (flake8 drops the rest itself)."""
    pairs = []
    wants = {}
    for session, file, result, lines in files:
        if result.error is not None:
            continue  # a file that could not be checked says nothing of its entries
        relative = relative_path(absolute(file), session.root)
        wants[relative] = session.settings.for_file(absolute(file), session.root).wants
        source = "".join(lines) if lines is not None else None
        pairs.extend((relative, d) for d in without_noqa(result, file, source).diagnostics)
    comparison = baseline.compare(pairs)
    fixed = comparison.fixed(coverage(wants, roots)) if roots else 0
    return {id(pairs[index][1]) for index in comparison.known}, fixed


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
