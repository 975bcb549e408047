"""A project: its root, settings, index and engine, and checking its files.

This is the API the front ends share: `Project.load(root, settings)` builds the index from every
Python file under the root; `Project.check(path)` gives one file's findings.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Pattern, Set, Tuple

import libcst as cst

from .calls import TaskCall
from .engine import Engine, Finding, ModuleContext, parse_module
from .index import ProjectIndex
from .fragments import hint_lines, interesting_scopes, parse_ast
from .noqa import NoqaMap
from .stack import too_deep
from .settings import Settings
from .sources import Excluder, SourceError, absolute, module_name, read_source, walk_python_files
from .summary import ModuleSummary, summarise

# Files without any of these are not parsed by libcst at all: they hold no task call.
TASK_CALL_HINT = re.compile(
    r"\.\s*(?:delay|apply_async|delay_on_commit|apply_async_on_commit|s|si|signature|subtask"
    r"|map|starmap|chunks|send_task|retry)\s*\(|\bsignature\s*\("
)


def parse_for_summary(source: str) -> ast.Module:
    """The `ast` of a file, also for syntax newer than the running Python: libcst parses it and
    the few constructs the old `ast` rejects are rewritten into ones it accepts (a summary
    never looks inside them)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except SyntaxError:
        pass
    except (ValueError, RecursionError, MemoryError) as error:
        raise SourceError(f"cannot parse: {error}") from None
    module = parse_module(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(module.visit(_OlderSyntax()).code)
    except (SyntaxError, ValueError, RecursionError) as error:
        raise SourceError(f"cannot summarise syntax this Python does not know: {error}") from None


class _OlderSyntax(cst.CSTTransformer):
    """Newer syntax, rewritten for an older `ast`: PEP 758 `except A, B:`, PEP 695 type
    parameters and `type` statements, PEP 701 f-strings and PEP 750 t-strings, `match` and
    `except*`."""

    def leave_ExceptHandler(self, original, updated):
        if isinstance(updated.type, cst.Tuple) and not updated.type.lpar:
            return updated.with_changes(type=updated.type.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]))
        return updated

    def leave_ExceptStarHandler(self, original, updated):
        handler = cst.ExceptHandler(body=updated.body, type=updated.type, name=updated.name)
        return self.leave_ExceptHandler(original, handler)

    def leave_TryStar(self, original, updated):
        return cst.Try(body=updated.body, handlers=updated.handlers, orelse=updated.orelse, finalbody=updated.finalbody)

    def leave_FunctionDef(self, original, updated):
        return updated.with_changes(type_parameters=None)

    def leave_ClassDef(self, original, updated):
        return updated.with_changes(type_parameters=None)

    def leave_TypeAlias(self, original, updated):
        return cst.Assign(targets=[cst.AssignTarget(updated.name)], value=updated.value)

    def leave_FormattedString(self, original, updated):
        return cst.SimpleString('""')

    def leave_TemplatedString(self, original, updated):
        return cst.SimpleString('""')

    def leave_Match(self, original, updated):
        return cst.If(test=cst.Name("True"), body=cst.IndentedBlock([cst.SimpleStatementLine([cst.Pass()])]))


def summarise_file(path: Path, source: Optional[str] = None) -> ModuleSummary:
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


@dataclass
class FileResult:
    path: str
    findings: List[Finding]
    error: Optional[str] = None  # one line: why the file could not be checked
    internal: bool = False  # the error is pkify's own fault


class Project:
    def __init__(self, root: Path, settings: Settings, summaries: Iterable[ModuleSummary]) -> None:
        self.root = root
        self.settings = settings
        self.index = ProjectIndex(root, summaries, settings)
        self.engine = Engine(self.index, settings)

    @classmethod
    def load(cls, root: Path, settings: Settings) -> "Project":
        summaries: Dict[str, ModuleSummary] = {}
        for path in walk_python_files([root], Excluder(settings.excludes, root)):
            try:
                summaries[str(path)] = summarise_file(path)
            except SourceError:
                continue  # reported when the file itself is checked
            except Exception:  # a bug; the file is reported when checked
                continue
        return cls(root, settings, summaries.values())

    def analyse(self, path: Path, source: str, hint: Pattern[str] = TASK_CALL_HINT) -> Tuple[ModuleContext, List[TaskCall]]:
        """The parsed module and its task calls (raises SourceError). `hint`: a file's scopes
        without a match are not walked."""
        summary = self._summary(path, source)
        ctx = self.engine.context(summary, source=source, positions=True)
        tree = parse_ast(source)
        scopes = interesting_scopes(tree, hint_lines(source, hint)) if tree is not None else None
        return ctx, self.engine.analyse(ctx, scopes)

    def _summary(self, path: Path, source: str) -> ModuleSummary:
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
        display = display or str(path)
        path = absolute(path)
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
            if noqa and findings:
                comments = NoqaMap(source)
                ignored = comments.file_ignored()
                findings = [f for f in findings if not ignored and not comments.suppressed(f.line, f.code)]
            return FileResult(display, findings)
        except SourceError as error:
            return FileResult(display, [], str(error))
        except Exception as error:  # a bug in pkify, unless the code nests too deep: say so, go on
            if too_deep(error):
                return FileResult(display, [], "too deeply nested to analyse")
            return FileResult(display, [], f"internal error: {describe_error(error)}", internal=True)
