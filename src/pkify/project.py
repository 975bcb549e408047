"""A project: its root, settings, index and engine, and checking its files.

This is the API the front ends share: `Project.load(root, settings)` builds the index from every
Python file under the root; `Project.check(path)` gives one file's findings.
"""

from __future__ import annotations

import ast
import os
import re
import warnings
from dataclasses import replace
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Pattern, Tuple

from .cache import Cache, FileEntry, ResultEntry, digest, stat_key
from .fragments import hint_lines, interesting_scopes, parse_ast
from .noqa import NoqaMap
from .results import FileResult, Finding
from .stack import too_deep, with_deep_stack

if TYPE_CHECKING:  # pragma: no cover
    from .summary import ModuleSummary
from .settings import Settings
from .sources import Excluder, SourceError, absolute, decode_source, module_name, read_source, walk_python_files

# Files without any of these are not parsed by libcst at all: they hold no task call.
TASK_CALL_HINT = re.compile(
    r"\.\s*(?:delay|apply_async|delay_on_commit|apply_async_on_commit|s|si|signature|subtask"
    r"|map|starmap|chunks|send_task|retry)\s*\(|\bsignature\s*\("
)


def parse_for_summary(source: str) -> ast.Module:
    """The `ast` of a file, also for syntax newer than the running Python (see newer_syntax)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except SyntaxError as error:
        rejected = error
    except (ValueError, RecursionError, MemoryError) as error:
        raise SourceError(f"cannot parse: {error}") from None
    from .newer_syntax import parse_with_libcst  # libcst is loaded only for such files

    return parse_with_libcst(source, rejected)


def summarise_file(path: Path, source: Optional[str] = None) -> "ModuleSummary":
    from .summary import summarise

    source = read_source(path) if source is None else source
    tree = parse_for_summary(source)
    name, is_package = module_name(path)
    return summarise(tree, name, str(path), is_package, source)


def describe_error(error: BaseException) -> str:
    """One line, even for an error whose message is long, multi-line or fails to render."""
    try:
        text = " ".join(str(error).split())
    except Exception:
        text = ""
    text = text if len(text) <= 200 else text[:197] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def summarise_entry(path: Path, previous: Optional[FileEntry] = None) -> Tuple[FileEntry, "Optional[ModuleSummary]"]:
    """Read and summarise one file: what the cache keeps of it, and its summary. `previous`:
    its cached entry; when only the file's stat changed, the cached summary stands (None)."""
    try:
        stat = os.stat(path)
        if not S_ISREG(stat.st_mode):
            raise SourceError("not a regular file")
        data = path.read_bytes()
    except OSError as error:
        return FileEntry((0, 0, 0), "", "", f"cannot read file: {error.strerror or error}", False), None
    except SourceError as error:
        return FileEntry((0, 0, 0), "", "", str(error), False), None
    content = digest(data)
    if previous is not None and previous.digest == content:
        return replace(previous, stat=stat_key(stat)), None
    try:
        source = decode_source(data)
        summary = summarise_file(path, source)
    except SourceError as error:
        return FileEntry(stat_key(stat), content, "", str(error), False), None
    except Exception as error:  # a bug: the file is left out of the index and reported when checked
        return FileEntry(stat_key(stat), content, "", f"internal error: {describe_error(error)}", False), None
    from .summary import declarations

    entry = FileEntry(
        stat_key(stat), content, digest(declarations(summary).encode()), None, bool(TASK_CALL_HINT.search(source))
    )
    return entry, summary


def _summarise_all(items: List[Tuple[Path, Optional[FileEntry]]]):
    return [summarise_entry(path, previous) for path, previous in items]


_work = None  # what forked workers run (a closure cannot be pickled; a fork inherits it)


def _run_work(chunk: list) -> list:
    return with_deep_stack(_work, chunk)


def in_parallel(function, items: list, jobs: int, chunks_per_job: int = 4) -> list:
    """`function(items)`, computed chunk by chunk in `jobs` forked worker processes when there
    is enough work; in this process on platforms without fork."""
    global _work
    if jobs <= 1 or len(items) < 2 * jobs:
        return function(items)
    import concurrent.futures
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return function(items)
    size = max(1, len(items) // (jobs * chunks_per_job))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    _work = function
    try:
        context = multiprocessing.get_context("fork")
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            return [result for part in pool.map(_run_work, chunks) for result in part]
    finally:
        _work = None


class Project:
    def __init__(
        self,
        root: Path,
        settings: Settings,
        summaries: "Optional[Iterable[ModuleSummary]]" = None,
        cache: Optional[Cache] = None,
        files: Optional[Dict[str, FileEntry]] = None,
    ) -> None:
        """`summaries`: the project's modules; None: those of the cache, read when needed."""
        self.root = root
        self.settings = settings
        self.cache = cache if cache is not None else Cache()
        self.files: Dict[str, FileEntry] = files or {}
        self._summaries = summaries
        self._index = None
        self._engine = None
        self.settings_key = digest(repr(settings).encode())
        self.fingerprint = digest(
            "|".join(f"{path}:{entry.declarations}" for path, entry in sorted(self.files.items())).encode()
        )

    @property
    def index(self):
        """The project index, built when a file needs analysing (a run where nothing changed
        does without it)."""
        if self._index is None:
            summaries = self._summaries
            if summaries is None:
                cached = self.cache.summaries
                for path, entry in self.files.items():
                    if entry.error is None and path not in cached:  # its summary was lost: again
                        entry, summary = summarise_entry(Path(path))
                        self.files[path] = entry
                        if summary is not None:
                            cached[path] = summary
                            self.cache.summaries_dirty = self.cache.dirty = True
                summaries = [cached[path] for path in self.files if path in cached]
            from .index import ProjectIndex

            self._index = ProjectIndex(self.root, summaries, self.settings)
        return self._index

    @property
    def engine(self):
        """The analysis engine, built (and libcst loaded) only when a file needs analysing."""
        if self._engine is None:
            from .engine import Engine

            self._engine = Engine(self.index, self.settings)
        return self._engine

    @classmethod
    def load(cls, root: Path, settings: Settings, cache: Optional[Cache] = None, jobs: int = 1) -> "Project":
        """The project under `root`: every Python file summarised, or its summary taken from
        the cache when the file has not changed."""
        cache = cache if cache is not None else Cache()
        entries: Dict[str, FileEntry] = {}
        stale: List[Tuple[Path, Optional[FileEntry]]] = []
        for path in walk_python_files([root], Excluder(settings.excludes, root)):
            key = str(path)
            entry = cache.files.get(key)
            try:
                unchanged = entry is not None and entry.stat == stat_key(os.stat(path))
            except OSError:
                unchanged = False
            if unchanged:
                entries[key] = entry
            else:
                stale.append((path, entry))
        fresh = {}
        for (path, _), (entry, summary) in zip(stale, in_parallel(_summarise_all, stale, jobs)):
            entries[str(path)] = entry
            if summary is not None:
                fresh[str(path)] = summary
        if stale or len(entries) != len(cache.files):
            if fresh or len(entries) != len(cache.files):
                summaries = cache.summaries  # read before `files` changes: it filters on them
                summaries.update(fresh)
                for gone in set(summaries) - set(entries):
                    del summaries[gone]
                cache.summaries_dirty = True
            cache.files = entries
            cache.dirty = True
        return cls(root, settings, None, cache, entries)

    def analyse(self, path: Path, source: str, hint: Pattern[str] = TASK_CALL_HINT):
        """The parsed module (engine.ModuleContext) and its task calls (raises SourceError);
        `hint`: a file's functions without a match are not walked."""
        summary = self._summary(path, source)
        ctx = self.engine.context(summary, source=source, positions=True)
        tree = parse_ast(source)
        scopes = interesting_scopes(tree, hint_lines(source, hint)) if tree is not None else None
        return ctx, self.engine.analyse(ctx, scopes)

    def _summary(self, path: Path, source: str) -> "ModuleSummary":
        summary = self.index.by_path.get(str(path))
        if summary is None:  # outside the root, or excluded from the index
            summary = summarise_file(path, source)
            self.index.include(summary)
        return summary

    def check(
        self, path: Path, source: Optional[str] = None, display: Optional[str] = None, noqa: bool = True
    ) -> FileResult:
        """Findings for one file. `source` when it is not read from disk (stdin, flake8);
        `noqa`: drop findings silenced by `# noqa` comments (flake8 does that itself)."""
        result, entry = self.check_uncached(path, source, display)
        if entry is not None:
            self.cache.results[str(absolute(path))] = entry
            self.cache.dirty = True
        return self.without_noqa(result, path, source) if noqa else result

    def check_uncached(
        self, path: Path, source: Optional[str] = None, display: Optional[str] = None
    ) -> Tuple[FileResult, Optional[ResultEntry]]:
        """The result, `# noqa` comments not applied, and what the cache should keep of it
        (None when it has it already, or when the source did not come from disk)."""
        display = display or str(path)
        path = absolute(path)
        file = self.files.get(str(path)) if source is None else None
        if file is not None:
            if file.error is not None:
                return FileResult(display, [], file.error, file.error.startswith("internal error")), None
            if not file.hint:
                return FileResult(display, []), None
            cached = self.cache.results.get(str(path))
            if cached is not None and self._valid(cached, file):
                findings = [Finding(display, *row) for row in cached.findings]
                return FileResult(display, findings, cached.error, cached.internal), None
        if self._engine is not None:
            self.engine.reads.clear()
        result = self._analyse_file(path, source, display)
        if file is None:
            return result, None
        reads = tuple(
            (read, self.files[read].digest) for read in sorted(self.engine.reads) if read in self.files
        )
        rows = tuple((f.line, f.column, f.code, f.message) for f in result.findings)
        entry = ResultEntry(file.digest, self.fingerprint, self.settings_key, reads, rows, result.error, result.internal)
        return result, entry

    def _valid(self, cached: ResultEntry, file: FileEntry) -> bool:
        return (
            cached.digest == file.digest
            and cached.fingerprint == self.fingerprint
            and cached.settings == self.settings_key
            and all(read in self.files and self.files[read].digest == content for read, content in cached.reads)
        )

    @staticmethod
    def without_noqa(result: FileResult, path: Path, source: Optional[str] = None) -> FileResult:
        """The result less the findings silenced by `# noqa` comments (the file is read only
        when there are findings)."""
        if not result.findings:
            return result
        if source is None:
            try:
                source = read_source(absolute(path))
            except SourceError:
                return result
        comments = NoqaMap(source)
        if comments.file_ignored():
            return replace(result, findings=[])
        return replace(result, findings=[f for f in result.findings if not comments.suppressed(f.line, f.code)])

    def _analyse_file(self, path: Path, source: Optional[str], display: str) -> FileResult:
        try:
            if source is None:
                source = read_source(path)
            if not TASK_CALL_HINT.search(source):
                if str(path) not in self.index.by_path:
                    summarise_file(path, source)  # still report a file that does not parse
                return FileResult(display, [])
            summary = self._summary(path, source)
            findings = []
            for ctx, calls in self.engine.analyse_source(summary, source, TASK_CALL_HINT):
                findings.extend(self.engine.findings(ctx, calls, display))
            findings.sort(key=lambda f: (f.line, f.column, f.code))
            file_settings = self.settings.for_file(path, self.root)
            if file_settings is not self.settings:  # `per-file-ignores` match this file
                findings = [f for f in findings if file_settings.wants(f.code)]
            return FileResult(display, findings)
        except SourceError as error:
            return FileResult(display, [], str(error))
        except Exception as error:  # a bug in pkify, unless the code nests too deep: say so, go on
            if too_deep(error):
                return FileResult(display, [], "too deeply nested to analyse")
            return FileResult(display, [], f"internal error: {describe_error(error)}", internal=True)

    def check_many(self, files: List[Tuple[Path, str]], noqa: bool = True, jobs: int = 1) -> List[FileResult]:
        """`check` for several (path, display) pairs, the uncached ones in `jobs` processes."""
        results: Dict[int, FileResult] = {}
        todo = []
        for number, (path, display) in enumerate(files):
            if self._needs_analysis(path):
                todo.append((number, path, display))
            else:
                results[number] = self.check_uncached(path, None, display)[0]

        def work(items):
            return [(number, *self.check_uncached(path, None, display)) for number, path, display in items]

        for number, result, entry in in_parallel(work, todo, jobs, chunks_per_job=2):
            results[number] = result
            if entry is not None:
                self.cache.results[str(absolute(files[number][0]))] = entry
                self.cache.dirty = True
        ordered = [results[number] for number in range(len(files))]
        return [self.without_noqa(r, path) for r, (path, _) in zip(ordered, files)] if noqa else ordered

    def _needs_analysis(self, path: Path) -> bool:
        """Whether checking the file means running the engine (nothing cached for it)."""
        file = self.files.get(str(absolute(path)))
        if file is None:
            return True
        if file.error is not None or not file.hint:
            return False
        cached = self.cache.results.get(str(absolute(path)))
        return cached is None or not self._valid(cached, file)
