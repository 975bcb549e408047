"""A project: its root, settings, files, their summaries and the symbol index, and the cache.

`Project.load(root, settings, reading)` summarises every Python file under the root (in parallel,
or from the cache when a file has not changed); the symbol index is built from the summaries the
first time something needs analysing. Analysis itself is not here (see `pkify.api`).
"""

from __future__ import annotations

import ast
import itertools
import os
import re
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from stat import S_ISREG
from typing import (
    TYPE_CHECKING,
    Callable,
    Dict,
    FrozenSet,
    Iterable,
    Iterator,
    List,
    Optional,
    Pattern,
    Sequence,
    Tuple,
)

from ..diagnostics import Diagnostic
from ..settings import Settings
from .cache import Cache, FileEntry, Read, ResultEntry, digest, stat_key
from .files import Excluder, SourceError, absolute, decode_source, library_files, module_name, read_source, walk_python_files
from .parallel import in_parallel
from .probes import answer, parse_probe, text_of
from .regions import match_lines

if TYPE_CHECKING:  # pragma: no cover
    from .index import SymbolIndex
    from .summary import ModuleSummary

# The summaries and the symbol index are imported where they are first needed: a run that finds
# every result in the cache needs neither.

# A comment that may silence findings: an edit that writes one is not moved past.
NOQA = re.compile("noqa", re.IGNORECASE)

# The read that stands for every file of the project (see ResultEntry.project).
EVERY_FILE = "*"

# Reads a file `ast` rejected (syntax newer than this Python): the source, and why it was rejected.
NewerSyntaxReader = Callable[[str, SyntaxError], ast.Module]


@dataclass(frozen=True)
class Reexport:
    """A library module that re-exports another's names as its own
    (`django.contrib.gis.db.models` does `from django.db.models import *`): a name from it but
    those it defines itself (`own`) is known by the module it comes from, so that a GeoDjango
    `models.Model` is Django's."""

    module: str
    origin: str
    own: FrozenSet[str] = frozenset()

    def canonical(self, qualname: str) -> Optional[str]:
        prefix = self.module + "."
        if not qualname.startswith(prefix):
            return None
        rest = qualname[len(prefix) :]
        return None if rest.partition(".")[0] in self.own else f"{self.origin}.{rest}"


@dataclass(frozen=True)
class Reading:
    """How files become summaries, and how the index reads library names (`reexports`).
    `hint`: what a file that may send a task looks like (only such files are analysed; the
    framework plugins write it). `newer_syntax`: reads syntax that the running Python's `ast`
    rejects (the analysis layer can, with libcst)."""

    hint: Pattern[str]
    newer_syntax: Optional[NewerSyntaxReader] = None
    # Methods that send a task: a function that calls one on its own parameter is a dispatch
    # helper, and the files that call it are analysed as if they matched the hint.
    send_methods: FrozenSet[str] = frozenset()
    # Library modules that re-export another's names (GeoDjango's `models`): see `Reexport`.
    reexports: Tuple[Reexport, ...] = ()


def parse_for_summary(source: str, reading: Reading) -> ast.Module:
    """The `ast` of a file, also for syntax newer than the running Python."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except SyntaxError as error:
        rejected = error
    except (ValueError, RecursionError, MemoryError) as error:
        raise SourceError(f"cannot parse: {error}") from None
    if reading.newer_syntax is None:
        raise SourceError(f"syntax error at line {rejected.lineno}, column {rejected.offset}: {rejected.msg}")
    return reading.newer_syntax(source, rejected)


def summarise_file(
    path: Path, reading: Reading, source: Optional[str] = None, hint_lines: Optional[Sequence[int]] = None
) -> "ModuleSummary":
    """`hint_lines`: the lines that match the reading's hint, when the caller has them."""
    from .summary import summarise

    source = read_source(path) if source is None else source
    tree = parse_for_summary(source, reading)
    name, is_package = module_name(path)
    if hint_lines is None:
        hint_lines = [line for line, _ in match_lines(source, reading.hint)]
    return summarise(tree, name, str(path), is_package, source, hint_lines)


def describe_error(error: BaseException) -> str:
    """One line, even for an error whose message is long, multi-line or fails to render."""
    try:
        text = " ".join(str(error).split())
    except Exception:
        text = ""
    text = text if len(text) <= 200 else text[:197] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def summarise_entry(
    path: Path, reading: Reading, previous: Optional[FileEntry] = None
) -> "Tuple[FileEntry, Optional[ModuleSummary]]":
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
        hint_lines = [line for line, _ in match_lines(source, reading.hint)]
        summary = summarise_file(path, reading, source, hint_lines)
    except SourceError as error:
        return FileEntry(stat_key(stat), content, "", str(error), False), None
    except Exception as error:  # a bug: the file is left out of the index and reported when checked
        return FileEntry(stat_key(stat), content, "", f"internal error: {describe_error(error)}", False), None
    from .regions import regions_of, split_lines
    from .summary import declarations

    regions, skeleton = regions_of(summary, split_lines(source), digest)
    entry = FileEntry(
        stat_key(stat),
        content,
        digest(declarations(summary).encode()),
        None,
        bool(hint_lines),
        " " + " ".join(sorted(summary.call_names)) + " ",
        dispatchers(summary, reading.send_methods),
        regions,
        skeleton,
    )
    return entry, summary


def dispatchers(summary: "ModuleSummary", send_methods: FrozenSet[str]) -> Tuple[str, ...]:
    """The names of the module's functions and methods that send a task one of their parameters
    holds (`def dispatch(task, *args): task.delay(*args)`)."""
    from .summary import forwarded_call

    functions = [*summary.functions.values(), *(m for c in summary.classes.values() for m in c.methods.values())]
    return tuple(sorted({f.name for f in functions if forwarded_call(f, send_methods) is not None}))


class Project:
    def __init__(
        self,
        root: Path,
        settings: Settings,
        reading: Reading,
        summaries: "Optional[Iterable[ModuleSummary]]" = None,
        cache: Optional[Cache] = None,
        files: Optional[Dict[str, FileEntry]] = None,
        libraries: Tuple[str, ...] = (),
    ) -> None:
        """`summaries`: the project's modules; None: those of the cache, read when needed.
        `libraries`: where the installed packages the settings name are (their files are in
        `files` too)."""
        self.root = root
        self.libraries = libraries
        self.settings = settings
        self.reading = reading
        self.cache = cache if cache is not None else Cache()
        self.files: Dict[str, FileEntry] = files or {}
        self._summaries = summaries
        self._index: "Optional[SymbolIndex]" = None
        self.settings_key = digest(repr(settings).encode())
        self.fingerprint = digest(
            "|".join(f"{path}:{entry.declarations}" for path, entry in sorted(self.files.items())).encode()
        )
        self._calls: Optional[str] = None
        self._dispatchers: Optional[FrozenSet[str]] = None
        self._dispatcher_call: Optional[Pattern[str]] = None

    @property
    def calls(self) -> str:
        """The digest of the names every file calls: what a result that depends on every file
        (the callers of a function) is valid for, besides the files it read. A caller is looked
        for in the files that call the function's name, and those are read (and recorded as
        read): a new caller appears in a file whose called names change, or in one that was
        read. An edit inside a function that calls nothing new leaves the others' results be."""
        if self._calls is None:
            self._calls = digest("|".join(f"{path}:{entry.calls}" for path, entry in sorted(self.files.items())).encode())
        return self._calls

    @classmethod
    def load(
        cls,
        root: Path,
        settings: Settings,
        reading: Reading,
        cache: Optional[Cache] = None,
        jobs: int = 1,
        files: Optional[Iterable[Path]] = None,
    ) -> "Project":
        """The project under `root`: every Python file summarised, or its summary taken from
        the cache when the file has not changed. `files`: the project's files, when the caller
        walked them already."""
        cache = cache if cache is not None else Cache()
        entries: Dict[str, FileEntry] = {}
        stale: List[Tuple[Path, Optional[FileEntry]]] = []
        if files is None:
            files = walk_python_files([root], Excluder(settings.excludes, root), projects=False)
        # (A package named there that lives in the project is the project's own.)
        libraries = {
            location: found
            for location, found in library_files(settings.libraries).items()
            if not (location + os.sep).startswith(str(absolute(root)) + os.sep)
        }
        files = itertools.chain(files, *libraries.values())
        for path in files:
            key = str(path)
            entry = cache.files.get(key)
            try:
                unchanged = entry is not None and entry.stat == stat_key(os.stat(path))
            except OSError:
                unchanged = False
            if unchanged and entry is not None:
                entries[key] = entry
            else:
                stale.append((path, entry))

        def summarise_all(items: List[Tuple[Path, Optional[FileEntry]]]) -> list:
            return [summarise_entry(path, reading, previous) for path, previous in items]

        fresh = {}
        # Small chunks: summarising keeps nothing from one file to the next, so they only even
        # out the workers' loads.
        for (path, _), (entry, summary) in zip(stale, in_parallel(summarise_all, stale, jobs, chunks_per_job=16)):
            entries[str(path)] = entry
            if summary is not None:
                fresh[str(path)] = summary
        if stale or len(entries) != len(cache.files):
            cache.files = entries  # (the summaries of files gone are dropped when read)
            cache.add_summaries(fresh)
            cache.dirty = True
        return cls(root, settings, reading, None, cache, entries, tuple(libraries))

    @property
    def index(self) -> "SymbolIndex":
        """The symbol index, built when a file needs analysing (a run where nothing changed does
        without it)."""
        if self._index is None:
            summaries = self._summaries
            if summaries is None:
                cached = self.cache.summaries
                for path, entry in self.files.items():
                    if entry.error is None and path not in cached:  # its summary was lost: again
                        entry, summary = summarise_entry(Path(path), self.reading)
                        self.files[path] = entry
                        if summary is not None:
                            cached[path] = summary
                            self.cache.summaries_dirty = self.cache.dirty = True
                summaries = [cached[path] for path in self.files if path in cached]
            from .index import SymbolIndex

            self._index = SymbolIndex(self.root, summaries, self.reading.reexports)
        return self._index

    def summary(self, path: Path, source: str) -> "ModuleSummary":
        """The summary of a file under analysis; one outside the root (or excluded) is added to
        the index."""
        summary = self.index.by_path.get(str(path))
        if summary is None:
            summary = summarise_file(path, self.reading, source)
            self.index.include(summary)
        return summary

    # --- the result cache ------------------------------------------------------------------------

    def cached_result(self, path: Path) -> Optional[ResultEntry]:
        """The cached result of a file on disk, while it is valid. A result whose file was
        edited only inside functions its analysis did not read is valid still: its positions are
        moved with the file's lines (and the cache keeps it so moved)."""
        file = self.files.get(str(path))
        cached = self.cache.results.get(str(path))
        if file is None or cached is None:
            return None
        if (
            cached.fingerprint != self.fingerprint
            or cached.settings != self.settings_key
            or (cached.project is not None and cached.project != self.calls)
        ):
            return None
        texts: Dict[str, Optional[str]] = {}
        mapping = None
        if cached.digest != file.digest:
            mapping = self._edited_elsewhere(str(path), file, cached, texts)
            if mapping is None:
                return None
        edited = mapping is not None
        for read, content, probes in cached.reads:
            other = self.files.get(read)
            if other is None:
                return None
            if other.digest == content:
                continue
            if probes is None or any(answer(read, other, probe, texts) != found for probe, found in probes):
                return None
            edited = True
        if not edited:
            return cached
        # Valid, though something it read was edited: kept as it is now, checked at once next time.
        rows = cached.diagnostics
        if mapping is not None:
            rows = tuple(Diagnostic.from_row("", row).moved(mapping).row() for row in rows)
        fresh = replace(
            cached,
            digest=file.digest,
            reads=tuple((read, self.files[read].digest, probes) for read, _, probes in cached.reads),
            diagnostics=rows,
            regions=file.regions,
            skeleton=file.skeleton,
        )
        self.store(path, fresh)
        return fresh

    def _edited_elsewhere(
        self, path: str, file: FileEntry, cached: ResultEntry, texts: Dict[str, Optional[str]]
    ) -> Optional[Callable[[int], int]]:
        """Where the lines of a checked file moved, when it was edited only inside functions
        that still hold no line worth analysing (whether its analysis read them is up to its
        reads); None when its other text changed, or a function came or went."""
        from .regions import line_mapping, matches_in, names_pattern

        if not cached.regions or file.skeleton != cached.skeleton:
            return None
        mapping = line_mapping(cached.regions, file.regions)
        text = text_of(path, texts)
        if mapping is None or text is None:
            return None
        edited = [new for old, new in zip(cached.regions, file.regions) if old[3] != new[3]]
        worth = [self.reading.hint, NOQA, names_pattern(self.dispatchers)]  # `# flake8: noqa` skips the file
        if any(pattern is not None and matches_in(text, edited, pattern) for pattern in worth):
            return None
        return mapping

    @property
    def dispatchers(self) -> FrozenSet[str]:
        """The names of the project's dispatch helpers (functions that send a task they are
        given): the files that call one are analysed too."""
        if self._dispatchers is None:
            self._dispatchers = frozenset(n for entry in self.files.values() for n in entry.dispatchers)
        return self._dispatchers

    def calls_a_dispatcher(self, entry: FileEntry) -> bool:
        """Whether a file calls one of the project's dispatch helpers (by name)."""
        if self._dispatcher_call is None:
            names = "|".join(sorted(map(re.escape, self.dispatchers)))
            self._dispatcher_call = re.compile(f" (?:{names}) ") if names else re.compile("(?!)")
        return self._dispatcher_call.search(entry.calls) is not None

    def result_entry(
        self,
        path: Path,
        reads: Iterable[str],
        rows: Tuple[Tuple[object, ...], ...],
        error: Optional[str],
        internal: bool,
        tasks: Tuple[str, ...],
        silenced: Tuple[int, ...] = (),
        answers: Optional[Dict[str, str]] = None,
    ) -> Optional[ResultEntry]:
        """What the cache should keep of a file's result (None for a file not on disk)."""
        file = self.files.get(str(path))
        if file is None:
            return None
        depends = tuple(self._depends(sorted(reads), answers or {}))
        every = self.calls if EVERY_FILE in reads else None
        return ResultEntry(
            file.digest,
            self.fingerprint,
            self.settings_key,
            depends,
            rows,
            error,
            internal,
            tasks,
            every,
            silenced,
            file.regions,
            file.skeleton,
        )

    def _depends(self, reads: List[str], answers: Dict[str, str]) -> Iterator[Read]:
        """What each file read was found to be: its digest, and the answers to the questions
        asked of it (the ones the analysis found, else asked of the file now), or None when its
        whole text was read."""
        asked: Dict[str, Optional[List[Tuple[str, str]]]] = {}
        texts: Dict[str, Optional[str]] = {}
        for read in reads:
            probe = parse_probe(read)
            path = read if probe is None else probe[0]
            file = self.files.get(path)
            if file is None or (path in asked and asked[path] is None):
                continue
            if probe is None:
                asked[path] = None
                continue
            question = read[len(path) + 1 :]
            found = answers.get(read)
            if found is None:
                found = answer(path, file, question, texts)
            if found is None:  # its text cannot be read: the whole of it, then
                asked[path] = None
            else:
                asked.setdefault(path, []).append((question, found))  # type: ignore[union-attr]
        for path, questions in asked.items():
            yield path, self.files[path].digest, None if questions is None else tuple(sorted(questions))

    def store(self, path: Path, entry: Optional[ResultEntry]) -> None:
        if entry is not None:
            self.cache.results[str(path)] = entry
            self.cache.dirty = True

    def in_library(self, path: str) -> bool:
        """Whether a file belongs to an installed package read with the project's (never
        reported on, never rewritten)."""
        return any(path == library or path.startswith(library + os.sep) for library in self.libraries)

    def python_files(self, paths: Iterable[Path]) -> List[Path]:
        """The Python files named or below `paths`, minus the project's exclusions."""
        return list(walk_python_files(paths, Excluder(self.settings.excludes, self.root), projects=False))

    def every_python_file(self) -> List[Path]:
        """The project's Python files, those `extend-exclude` leaves out of reports included: a
        fix must rewrite every caller of a task it changes."""
        return list(walk_python_files([self.root], Excluder(self.settings.exclude, self.root), projects=False))

    def include(self, paths: Iterable[Path]) -> None:
        """Add to the index the files the walk left out (that can be read)."""
        summaries = []
        for path in paths:
            if str(path) not in self.index.by_path:
                try:
                    summaries.append(summarise_file(path, self.reading))
                except SourceError:
                    pass
        if summaries:
            self.index.include(*summaries)

    def read(self, path: Path) -> str:
        return read_source(path)
