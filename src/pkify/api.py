"""The one entry point of every front end: `pkify check`, the flake8 plugin, `pkify fix`, the
libcst codemod.

    session = Session.open(root, settings)          # the project: files, summaries, cache
    result = session.check(path)                    # a FileResult: diagnostics, or why not
    results = session.check_many(files, jobs=4)     # cached, in parallel
    plan = session.plan_fix(paths, FixOptions())    # pkify fix: what to change, and why not

A run where nothing changed reads results from the cache and never loads the analysis (nor
libcst): the analysis, the plugins and the rules' checks are imported the first time a file
must be analysed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Pattern, Sequence, Tuple

from .baseline import Baseline, BaselineError, coverage, fixed_message, relative_path, shown
from .diagnostics import Diagnostic, FileResult
from .fix.apply import unified_diff, write_atomically
from .fix.options import FixOptions
from .frameworks.hints import HINT, REEXPORTS, SEND_HINT, SEND_METHODS
from .project.cache import Cache
from .project.files import SourceError, absolute, read_source
from .project.noqa import NOQA_INLINE, silenced, without_noqa
from .project.parallel import in_parallel, too_deep
from .project.project import Project, Reading, describe_error, summarise_file
from .project.regions import names_pattern
from .rules import RULES, Context, Rule
from .settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from .analysis.facts import Fact
    from .analysis.state import InferenceState
    from .analysis.units import Unit
    from .fix.plan import FixPlan

__all__ = [
    "Session",
    "RULES",
    "Rule",
    "FileResult",
    "Diagnostic",
    "Settings",
    "HINT",
    "FixOptions",
    "unified_diff",
    "write_atomically",
    "without_noqa",
    "NOQA_INLINE",
    "Baseline",
    "BaselineError",
    "relative_path",
    "coverage",
    "fixed_message",
    "shown",
]


def _newer_syntax(source: str, rejected: SyntaxError) -> ast.Module:
    from .analysis.newer_syntax import parse_with_libcst  # libcst is loaded only for such files

    return parse_with_libcst(source, rejected)


READING = Reading(HINT, _newer_syntax, SEND_METHODS, REEXPORTS)


class Session:
    """A project opened for analysis, for one run (or one editor session)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._state: "Optional[InferenceState]" = None
        self._hint: Optional[Pattern[str]] = None

    @classmethod
    def open(
        cls, root: Path, settings: Settings, use_cache: bool = True, jobs: int = 1, files: Optional[List[Path]] = None
    ) -> "Session":
        """The project under `root`, its files summarised (from the cache when they did not
        change, in `jobs` processes otherwise). `files`: its Python files, when the caller walked
        the root already (with the project's exclusions, other projects below left out)."""
        cache = Cache.for_root(root, enabled=use_cache, salt=HINT.pattern)
        return cls(Project.load(root, settings, READING, cache, jobs, files))

    @property
    def root(self) -> Path:
        return self.project.root

    @property
    def hint(self) -> Pattern[str]:
        """What a line worth analysing looks like: a task call, or a call of a dispatch helper;
        a task's definition too when the project stores task results (what a task returns
        matters only then)."""
        if self._hint is None:
            from .frameworks.celery.plugin import Celery

            base = HINT if self.state.plugin(Celery).results.may_store() else SEND_HINT
            calls = names_pattern(self.project.dispatchers)
            self._hint = re.compile(f"{base.pattern}|{calls.pattern}") if calls is not None else base
        return self._hint

    def _worth_analysing(self, entry) -> bool:
        return entry.hint or self.project.calls_a_dispatcher(entry)

    @property
    def settings(self) -> Settings:
        return self.project.settings

    @property
    def state(self) -> "InferenceState":
        """The inference state, made (and libcst loaded) when a file needs analysing."""
        if self._state is None:
            from .analysis.state import InferenceState
            from .frameworks.registry import PLUGINS

            self._state = InferenceState(self.project.index, self.settings, PLUGINS)
        return self._state

    def save(self) -> None:
        self.project.cache.save()

    # --- checking --------------------------------------------------------------------------------

    def check(
        self, path: Path, source: Optional[str] = None, display: Optional[str] = None, noqa: bool = True
    ) -> FileResult:
        """The diagnostics of one file. `source` when it is not read from disk (standard input,
        flake8); `noqa`: drop those silenced by `# noqa` comments (flake8 does that itself)."""
        result, entry = self._check(path, source, display)
        self.project.store(absolute(path), entry)
        return without_noqa(result, path, source) if noqa else result

    def check_many(self, files: Sequence[Tuple[Path, str]], noqa: bool = True, jobs: int = 1) -> List[FileResult]:
        """`check` for several (path, display) pairs, those not in the cache in `jobs` processes."""
        results: Dict[int, FileResult] = {}
        todo = []
        for number, (path, display) in enumerate(files):
            if self._needs_analysis(path):
                todo.append((number, path, display))
            else:
                results[number] = self._check(path, None, display)[0]

        def work(items: list) -> list:
            return [(number, *self._check(path, None, display)) for number, path, display in items]

        # The largest files first, in small chunks: a long one started last would keep one
        # worker busy after the others are done (a worker keeps its answers from chunk to chunk).
        todo.sort(key=lambda item: -self._size(item[1]))
        for number, result, entry in in_parallel(work, todo, jobs, chunks_per_job=8):
            results[number] = result
            self.project.store(absolute(files[number][0]), entry)
        ordered = [results[number] for number in range(len(files))]
        return [without_noqa(r, path) for r, (path, _) in zip(ordered, files)] if noqa else ordered

    def _size(self, path: Path) -> int:
        file = self.project.files.get(str(absolute(path)))
        return file.stat[1] if file is not None else 0  # a StatKey: (mtime_ns, size, inode)

    def _needs_analysis(self, path: Path) -> bool:
        """Whether checking the file means running the analysis (nothing cached for it)."""
        path = absolute(path)
        file = self.project.files.get(str(path))
        if file is None:
            return True
        if file.error is not None or not self._worth_analysing(file):
            return False
        return self.project.cached_result(path) is None

    def _check(self, path: Path, source: Optional[str], display: Optional[str]):
        """The result, `# noqa` comments not applied, and what the cache should keep of it
        (None when it has it already, or when the source did not come from disk)."""
        display = display or str(path)
        path = absolute(path)
        file = self.project.files.get(str(path)) if source is None else None
        if file is not None:
            if file.error is not None:
                return FileResult(display, [], file.error, file.error.startswith("internal error")), None
            if not self._worth_analysing(file):
                return FileResult(display, []), None
            cached = self.project.cached_result(path)
            if cached is not None:
                diagnostics = [Diagnostic.from_row(display, row) for row in cached.diagnostics]
                return FileResult(display, diagnostics, cached.error, cached.internal, cached.tasks, cached.silenced), None
        result, reads = self._analyse(path, source, display)
        if file is None:
            return result, None
        quiet: Tuple[int, ...] = ()
        if result.diagnostics:
            try:
                quiet = silenced(result.diagnostics, read_source(path))
            except SourceError:
                pass
            result = replace(result, silenced=quiet)
        rows = tuple(d.row() for d in result.diagnostics)
        answers = self._state.memo.answers if self._state is not None else None
        entry = self.project.result_entry(path, reads, rows, result.error, result.internal, result.tasks, quiet, answers)
        return result, entry

    def _analyse(self, path: Path, source: Optional[str], display: str) -> Tuple[FileResult, Iterable[str]]:
        try:
            if source is None:
                source = read_source(path)
            if not self.hint.search(source):
                if str(path) not in self.project.index.by_path:
                    summarise_file(path, READING, source)  # still report a file that does not parse
                return FileResult(display, []), ()
            summary = self.project.summary(path, source)
            from .analysis.execution import file_facts

            with self.state.memo.collect_reads() as reads:
                facts = file_facts(self.state, summary, source, self.hint)
                diagnostics = self.diagnostics(facts, display, path)
            return FileResult(display, diagnostics, tasks=_tasks(facts)), reads
        except SourceError as error:
            return FileResult(display, [], str(error)), ()
        except Exception as error:  # a bug in pkify, unless the code nests too deep: say so, go on
            if too_deep(error):
                return FileResult(display, [], "too deeply nested to analyse"), ()
            return FileResult(display, [], f"internal error: {describe_error(error)}", internal=True), ()

    def diagnostics(self, facts: "List[Fact]", display: str, path: Optional[Path] = None) -> List[Diagnostic]:
        """The diagnostics of the selected rules for a file's facts, one per position and code,
        `per-file-ignores` applied (not `# noqa`)."""
        settings = self.settings.for_file(path, self.root) if path is not None else self.settings
        context = self.rule_context(display, path)
        found: Dict[Tuple[int, int, str], Diagnostic] = {}
        for rule in RULES.values():
            if settings.wants(rule.code):
                for diagnostic in rule.check(facts, context):
                    found.setdefault((diagnostic.line, diagnostic.column, diagnostic.code), diagnostic)
        return sorted(found.values(), key=lambda d: (d.line, d.column, d.code))

    def reread(self) -> "Session":
        """The project read again from disk: a new session when a file's content changed (only
        those files are summarised again: the others come from this session's cache), this one
        (warm) when none did."""
        project = self.project
        fresh = type(project).load(project.root, project.settings, project.reading, project.cache)
        same = {p: (e.digest, e.error) for p, e in fresh.files.items()} == {
            p: (e.digest, e.error) for p, e in project.files.items()
        }
        return self if same else Session(fresh)

    def rule_context(self, display: str, path: Optional[Path] = None) -> Context:
        """What the rules (and the fixer) know of the project beyond a file's facts."""
        settings = self.settings.for_file(path, self.root) if path is not None else self.settings
        return Context(display, settings, self.state.plugin)

    # --- facts, for the fixer ----------------------------------------------------------------------

    def module_facts(self, path: Path, source: str, hint: Pattern[str]) -> "Tuple[Unit, List[Fact]]":
        """A file parsed whole, and the facts of its functions whose lines match `hint` (never
        cached: they hold syntax). The fixer rewrites that unit. Raises SourceError."""
        from .analysis.execution import module_facts

        summary = self.project.summary(absolute(path), source)
        return module_facts(self.state, summary, source, hint)

    def plan_fix(self, paths: Sequence[Path], options: "Optional[FixOptions]" = None, jobs: int = 1) -> "FixPlan":
        """What `pkify fix` would change for the named paths (nothing is written)."""
        from .fix.plan import plan

        return plan(self, paths, options or FixOptions(), jobs)


def _tasks(facts: "List[Fact]") -> Tuple[str, ...]:
    from .frameworks.celery.values import TaskCall

    return tuple(sorted({f.task.qualname for f in facts if isinstance(f, TaskCall) and f.task is not None}))
