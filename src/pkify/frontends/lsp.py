"""`pkify lsp`: pkify in the editor, a language server on pygls 2 (the `lsp` extra), over
standard input and output.

- Findings of every open Python file are published when it is opened, as it is edited (after a
  pause: `debounce` seconds, 0.3 by default) and when it is saved; each with its range, the
  rule's code and a link to the rule's documentation. Hovering a finding shows that
  documentation.
- A project (its root found as `pkify check` finds it) is opened once, from the cache, and kept.
  A document being edited is checked from its text (`Session.check(path, source=...)`) against
  the project as it is on disk, the document's own module-level names (its imports) included:
  the index is not rebuilt per keystroke. When a file is saved (and before a fix is planned),
  the session reads again the files that changed on disk, keeping the summaries of the others,
  and the project's open documents are checked again: what the saved file declares is seen.
- Two code actions on a finding: "Fix with pkify", the fix `pkify fix FILE` makes (the task's
  definition and every call site, across files) as one WorkspaceEdit, offered only when it
  removes that finding and the files it changes are saved (the fix is planned from the files on
  disk); and "Disable CODE for this line" with a `# noqa: CODE` comment (added to the line's
  `# noqa:` list when it has one).
- When what pkify reads of a document does not parse (being typed), no findings are published
  for it: the syntax error is the Python language server's to report.
- Files the project excludes (as `pkify check` does) and files outside the editor's workspace
  (a library's module opened from a definition) are not checked.

Everything runs in the server's event loop, one request after the other: the session is never
used by two threads at once.
"""

from __future__ import annotations

import asyncio
import difflib
import functools
import io
import logging
import re
import sys
import tokenize
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import PositionCodec, ServerTextPosition, TextDocument

from .. import __version__
from ..api import NOQA_INLINE, RULES, Diagnostic, Session
from ..project.files import Excluder, SourceError, absolute, find_root, is_python_file, read_source
from ..project.parallel import with_deep_stack
from ..settings import ConfigError, Settings, resolve
from .rules_doc import anchor, rule_markdown

DEBOUNCE = 0.3  # seconds without an edit before a changed document is checked
FIX_TITLE = "Fix with pkify"

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def lines_of(text: str) -> List[str]:
    """The lines of a text as the editor counts them (`\\n`, `\\r\\n`, `\\r`), endings kept."""
    return _LINE.findall(text)


def _content(line: str) -> str:
    return line.rstrip("\r\n")


# --- the projects --------------------------------------------------------------------------------


class Projects:
    """One session per project root, opened the first time one of its files is checked, and
    kept; the settings of each root (`[tool.pkify]`), read before it is opened."""

    def __init__(self) -> None:
        self.sessions: Dict[Path, Session] = {}
        self.settings: Dict[Path, Settings] = {}
        self.excluders: Dict[Path, Excluder] = {}

    def root(self, path: Path) -> Path:
        return find_root(path)

    def settings_of(self, root: Path) -> Settings:
        """Raises ConfigError when the project's `[tool.pkify]` is wrong."""
        if root not in self.settings:
            settings = resolve(root, {}, tuple(RULES))
            self.settings[root], self.excluders[root] = settings, Excluder(settings.excludes, root)
        return self.settings[root]

    def excluded(self, root: Path, path: Path) -> bool:
        """Whether `pkify check` leaves the file out (a virtualenv, migrations...)."""
        self.settings_of(root)
        return self.excluders[root].excluded_anywhere(path)

    def session(self, root: Path) -> Session:
        if root not in self.sessions:
            # One process: forking workers from the server's threads is not safe.
            self.sessions[root] = with_deep_stack(Session.open, root, self.settings_of(root), True, 1)
        return self.sessions[root]

    def settings_changed(self, root: Path) -> bool:
        """Whether `[tool.pkify]` now says something else than when the project was opened
        (editors tell a Python server of saved Python files only: it is read again on every save)."""
        if root not in self.settings:
            return False
        try:
            return resolve(root, {}, tuple(RULES)) != self.settings[root]
        except ConfigError:
            return True

    def forget(self, root: Path) -> None:
        """Its settings changed: the project is opened again when next needed."""
        self.settings.pop(root, None)
        session = self.sessions.pop(root, None)
        if session is not None:
            session.save()

    def reread(self, root: Path) -> None:
        """The files changed on disk since the project was read summarised again (the others'
        summaries and results are kept: the session's cache, in memory) and a fresh inference
        state; the session as it is (warm) when no file changed."""
        session = self.sessions.get(root)
        if session is None:
            return
        self.sessions[root] = session.reread()

    def save(self) -> None:
        for session in self.sessions.values():
            session.save()


# --- what is shown -------------------------------------------------------------------------------


@dataclass
class Finding:
    """A diagnostic as published, and pkify's."""

    shown: lsp.Diagnostic
    diagnostic: Diagnostic


@dataclass
class Checked:
    """The last check of a document: its text, and what was found in it."""

    path: Path
    root: Path
    text: str
    version: Optional[int]
    findings: List[Finding] = field(default_factory=list)


def _position(codec: PositionCodec, lines: Sequence[str], line: int, column: int) -> lsp.Position:
    """A 0-based (line, column in characters) position in the client's units (UTF-16 by default)."""
    if line >= len(lines):
        return lsp.Position(line=len(lines), character=0)
    return codec.position_to_client_units(lines, ServerTextPosition(line, min(column, len(_content(lines[line])))))


@functools.lru_cache(maxsize=None)
def docs_url(code: str) -> Optional[str]:
    """The rule's section of docs/rules.md, when pkify runs from its source tree (pkify has no
    documentation site yet); hovering a finding shows the same text."""
    page = Path(__file__).resolve().parents[3] / "docs" / "rules.md"
    if not page.is_file():
        return None
    return f"{page.as_uri()}#{anchor(RULES[code])}"


def to_lsp(diagnostic: Diagnostic, codec: PositionCodec, lines: Sequence[str]) -> lsp.Diagnostic:
    """pkify's 1-based line and column, the end just past the expression, as an LSP range."""
    start = _position(codec, lines, diagnostic.line - 1, diagnostic.column - 1)
    if diagnostic.end_line:
        end = _position(codec, lines, diagnostic.end_line - 1, diagnostic.end_column - 1)
    else:  # no end known: to the end of the line
        end = _position(codec, lines, diagnostic.line - 1, sys.maxsize)
    href = docs_url(diagnostic.code) if diagnostic.code in RULES else None
    return lsp.Diagnostic(
        range=lsp.Range(start=start, end=end),
        message=diagnostic.message,
        severity=lsp.DiagnosticSeverity.Warning,
        code=diagnostic.code,
        code_description=lsp.CodeDescription(href=href) if href else None,
        source="pkify",
    )


# --- edits ---------------------------------------------------------------------------------------


def text_edits(old: str, new: str, codec: PositionCodec) -> List[lsp.TextEdit]:
    """The edits that turn `old` into `new`, whole lines at a time (an editor keeps its cursor
    and folds where nothing changed)."""
    before, after = lines_of(old), lines_of(new)
    edits = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = lsp.Position(line=i1, character=0)
        if i2 == len(before) and before and not before[-1].endswith(("\n", "\r")):
            end = _position(codec, before, i2 - 1, len(before[-1]))  # the last line has no ending
        else:
            end = lsp.Position(line=i2, character=0)
        edits.append(lsp.TextEdit(range=lsp.Range(start=start, end=end), new_text="".join(after[j1:j2])))
    return edits


def noqa_edit(text: str, line: int, code: str, codec: PositionCodec) -> Optional[lsp.TextEdit]:
    """The edit that silences `code` on a 1-based line: the code added to the `# noqa:` list of
    its line, or a `# noqa: CODE` comment at the end of it. flake8 reads the comments of every
    line a token joins to it (a triple-quoted string), so the comment goes after that token."""
    lines = lines_of(text)
    if not 0 < line <= len(lines):
        return None
    first, last = _joined_lines(text, len(lines), line)
    for number in range(first, last + 1):
        match = NOQA_INLINE.search(lines[number - 1])
        if match is not None and match.group("codes"):
            codes = match.group("codes")
            kept = codes.rstrip(", \t")
            column = match.start("codes") + len(kept)
            separator = ", " if ", " in kept else ","
            at = _position(codec, lines, number - 1, column)
            return lsp.TextEdit(range=lsp.Range(start=at, end=at), new_text=f"{separator}{code}")
    content = _content(lines[last - 1])
    stripped = content.rstrip()
    start = _position(codec, lines, last - 1, len(stripped))
    end = _position(codec, lines, last - 1, len(content))
    return lsp.TextEdit(range=lsp.Range(start=start, end=end), new_text=f"  # noqa: {code}")


def _joined_lines(text: str, count: int, line: int) -> Tuple[int, int]:
    """The first and last line that tokens join to `line` (a multi-line string); the line alone
    when the text does not tokenize."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return line, line
    low, high = count + 2, -1
    for token in tokens:
        if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        low, high = min(low, token.start[0]), max(high, token.end[0])
        if token.type in (tokenize.NL, tokenize.NEWLINE):
            if low <= line <= high:
                return low, high
            low, high = count + 2, -1
    return line, line


# --- the server ----------------------------------------------------------------------------------


class PkifyServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("pkify", __version__)
        self.projects = Projects()
        self.debounce = DEBOUNCE
        self.checked: Dict[str, Checked] = {}  # uri -> its last check
        self.pending: Dict[str, asyncio.TimerHandle] = {}  # uri -> its debounced check
        self.plans: Dict[str, Any] = {}  # path -> (FixPlan, the keys of the findings it fixes)
        self.broken_roots: Dict[Path, str] = {}  # roots whose configuration is wrong -> why

    # --- checking --------------------------------------------------------------------------------

    def lint(self, uri: str) -> None:
        """Check a document now and publish its findings."""
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        self.plans.clear()
        name = to_fs_path(uri)
        if name is None:
            return
        path = absolute(Path(name))
        document = self.workspace.get_text_document(uri)
        language = document.language_id  # the editor's word, else the file's name or `#!` line
        if not (language == "python" if language else is_python_file(path)):
            return
        root = self.projects.root(path)
        text = document.source
        checked = Checked(path, root, text, document.version)
        self.checked[uri] = checked  # checked again when its project changes, even if not now
        session: Optional[Session] = None
        try:
            if self.in_workspace(path) and not self.projects.excluded(root, path):
                session = self.projects.session(root)
        except ConfigError as error:  # no findings until `[tool.pkify]` is saved again
            self._config_error(root, str(error))
        if session is not None:
            try:
                result = with_deep_stack(session.check, path, text)
            except Exception as error:  # a bug in pkify: say so, keep serving
                self._log(lsp.MessageType.Error, f"pkify: internal error on {path}: {type(error).__name__}: {error}")
            else:
                if result.internal:
                    self._log(lsp.MessageType.Error, f"pkify: {path}: {result.error}")
                codec, lines = document.position_codec, lines_of(text)
                checked.findings = [Finding(to_lsp(d, codec, lines), d) for d in result.diagnostics]
        shown = [f.shown for f in checked.findings]
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=shown, version=document.version)
        )

    def in_workspace(self, path: Path) -> bool:
        """Whether a file is in the editor's workspace (when it has one): a library's module
        opened from a definition is not checked, nor its directory opened as a project."""
        folders = [to_fs_path(f.uri) for f in self.workspace.folders.values()] + [self.workspace.root_path]
        roots = [absolute(Path(f)) for f in folders if f]
        return not roots or any(path == r or r in path.parents for r in roots)

    def lint_later(self, uri: str) -> None:
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        self.plans.clear()
        if self.debounce <= 0:
            self.lint(uri)
            return
        self.pending[uri] = asyncio.get_running_loop().call_later(self.debounce, self._lint_safely, uri)

    def flush(self, uri: str) -> None:
        """A check that waits for the pause made now: a request about a document is answered
        from its text as it is."""
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
            self._lint_safely(uri)

    def _lint_safely(self, uri: str) -> None:
        try:
            self.lint(uri)
        except Exception as error:  # a timer's callback has nobody to raise to
            self._log(lsp.MessageType.Error, f"pkify: internal error: {type(error).__name__}: {error}")

    def saved(self, uri: str) -> None:
        """A file was written: the project reads the changed files again, and its open
        documents (whose findings may depend on the saved file) are checked again."""
        name = to_fs_path(uri)
        if name is None:
            return
        path = absolute(Path(name))
        root = self.projects.root(path)
        self.broken_roots.pop(root, None)  # perhaps pyproject.toml was fixed
        if self.projects.settings_changed(root):
            self.projects.forget(root)
        elif root in self.projects.sessions:
            with_deep_stack(self.projects.reread, root)
        for other in list(self.workspace.text_documents):
            if other == uri or (other in self.checked and self.checked[other].root == root):
                self.lint(other)

    def closed(self, uri: str) -> None:
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        self.checked.pop(uri, None)
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def _config_error(self, root: Path, message: str) -> None:
        if self.broken_roots.get(root) != message:
            self.broken_roots[root] = message
            self.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Error, message=f"pkify: {message}"))

    def _log(self, kind: lsp.MessageType, message: str) -> None:
        self.window_log_message(lsp.LogMessageParams(type=kind, message=message))

    # --- code actions ----------------------------------------------------------------------------

    def findings_at(self, uri: str, start: lsp.Position, end: lsp.Position) -> List[Finding]:
        checked = self.checked.get(uri)
        if checked is None:
            return []

        def key(position: lsp.Position) -> Tuple[int, int]:
            return (position.line, position.character)

        return [
            f for f in checked.findings
            if key(f.shown.range.start) <= key(end) and key(start) <= key(f.shown.range.end)
        ]

    def code_actions(self, params: lsp.CodeActionParams) -> List[lsp.CodeAction]:
        uri = params.text_document.uri
        self.flush(uri)
        checked = self.checked.get(uri)
        wanted = params.context.only
        if checked is None:
            return []
        findings = self.findings_at(uri, params.range.start, params.range.end)
        actions: List[lsp.CodeAction] = []
        if not wanted or any(lsp.CodeActionKind.QuickFix.value.startswith(k) for k in wanted):
            for finding in findings:
                action = self.fix_action(checked, uri, finding)
                if action is not None:
                    actions.append(action)
            document = self.workspace.get_text_document(uri)
            for finding in findings:
                actions.append(self.noqa_action(document, uri, finding))
        return actions

    def fix_action(self, checked: Checked, uri: str, finding: Finding) -> Optional[lsp.CodeAction]:
        """"Fix with pkify" for a finding that the fix of its file removes; disabled (when the
        client shows such actions) with the reason when it cannot be applied as things are."""
        diagnostic = finding.diagnostic
        if not RULES[diagnostic.code].fixable:
            return None
        if not _same_text(checked.text, checked.path):
            return self._disabled("save the file first: the fix is planned from the files on disk", finding)
        entry = self.plans.get(str(checked.path))
        if entry is None:
            with_deep_stack(self.projects.reread, checked.root)  # files changed outside the editor
            entry = self.plans[str(checked.path)] = with_deep_stack(self._plan, checked)
        plan, fixed = entry
        if plan is None:
            return None
        if _key(diagnostic) not in fixed:
            reasons = [d.reason for d in plan.decisions if d.reason and d.task.qualname == diagnostic.task]
            reasons += [c.reason for c in plan.local if c.reason and c.line == diagnostic.line]
            return self._disabled(f"pkify fix leaves it: {reasons[0]}", finding) if reasons else None
        unsaved = [path for path, (old, _) in plan.changed.items() if not self._buffer_matches(path, old)]
        if unsaved:
            names = ", ".join(sorted(Path(p).name for p in unsaved))
            return self._disabled(f"save {names} first: the fix is planned from the files on disk", finding)
        edit = self.workspace_edit(plan.changed)
        files = len(plan.changed)
        title = FIX_TITLE if files == 1 else f"{FIX_TITLE} ({files} files)"
        return lsp.CodeAction(
            title=title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[finding.shown], is_preferred=True, edit=edit
        )

    def _plan(self, checked: Checked):
        """The plan of `pkify fix FILE`, and the findings of the file it removes (the file's
        new text checked: the keys of the findings gone)."""
        session = self.projects.sessions.get(checked.root)
        if session is None:
            return None, Counter()
        try:
            plan = session.plan_fix([checked.path])
            change = plan.changed.get(str(checked.path))
            if change is None:
                return plan, Counter()
            after = session.check(checked.path, change[1])
        except Exception as error:  # a bug in pkify: no fix offered
            self._log(lsp.MessageType.Error, f"pkify: internal error planning the fix: {type(error).__name__}: {error}")
            return None, Counter()
        before = Counter(_key(f.diagnostic) for f in checked.findings)
        return plan, before - Counter(_key(d) for d in after.diagnostics)

    def _buffer_matches(self, path: str, text: str) -> bool:
        """Whether a file's open document (if any) holds what is on disk."""
        uri = from_fs_path(path)
        document = self.workspace.text_documents.get(uri) if uri else None
        return document is None or document.source == text

    def workspace_edit(self, changed: Dict[str, Tuple[str, str]]) -> lsp.WorkspaceEdit:
        codec = self.workspace.position_codec
        per_file = {}
        for path, (old, new) in sorted(changed.items()):
            uri = from_fs_path(path)
            per_file[uri] = text_edits(old, new, codec)
        if _supports(self.client_capabilities, "workspace", "workspace_edit", "document_changes"):
            documents = self.workspace.text_documents
            return lsp.WorkspaceEdit(document_changes=[
                lsp.TextDocumentEdit(
                    text_document=lsp.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=documents[uri].version if uri in documents else None
                    ),
                    edits=edits,
                )
                for uri, edits in per_file.items()
            ])
        return lsp.WorkspaceEdit(changes=per_file)

    def noqa_action(self, document: TextDocument, uri: str, finding: Finding) -> lsp.CodeAction:
        code = finding.diagnostic.code
        edit = noqa_edit(document.source, finding.diagnostic.line, code, document.position_codec)
        return lsp.CodeAction(
            title=f"Disable {code} for this line (# noqa: {code})",
            kind=lsp.CodeActionKind.QuickFix,
            diagnostics=[finding.shown],
            edit=lsp.WorkspaceEdit(changes={uri: [edit]}) if edit is not None else None,
        )

    def _disabled(self, reason: str, finding: Finding) -> Optional[lsp.CodeAction]:
        if not _supports(self.client_capabilities, "text_document", "code_action", "disabled_support"):
            return None
        return lsp.CodeAction(
            title=FIX_TITLE,
            kind=lsp.CodeActionKind.QuickFix,
            diagnostics=[finding.shown],
            disabled=lsp.CodeActionDisabled(reason=reason),
        )

    # --- hover -----------------------------------------------------------------------------------

    def hover(self, params: lsp.HoverParams) -> Optional[lsp.Hover]:
        self.flush(params.text_document.uri)
        findings = self.findings_at(params.text_document.uri, params.position, params.position)
        if not findings:
            return None
        parts = []
        for finding in findings:
            rule = RULES.get(finding.diagnostic.code)
            doc = rule_markdown(rule, level=3) if rule is not None else ""
            parts.append(f"**{finding.diagnostic.code}** {finding.diagnostic.message}\n\n{doc}")
        return lsp.Hover(
            contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)),
            range=findings[0].shown.range,
        )


def _key(diagnostic: Diagnostic) -> Tuple[Optional[str], ...]:
    """What a finding is, wherever it stands (its line moves when the text above it changes)."""
    return (diagnostic.code, diagnostic.task, diagnostic.function, diagnostic.argument)


def _same_text(text: str, path: Path) -> bool:
    try:
        return read_source(path) == text
    except SourceError:
        return False


def _supports(capabilities: Any, *names: str) -> bool:
    for name in names:
        capabilities = getattr(capabilities, name, None)
        if capabilities is None:
            return False
    return bool(capabilities)


def make_server() -> PkifyServer:
    server = PkifyServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: PkifyServer, params: lsp.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("debounce"), (int, float)):
            ls.debounce = float(options["debounce"])

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PkifyServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.lint(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PkifyServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.lint_later(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: PkifyServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.saved(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PkifyServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.closed(params.text_document.uri)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix])
    )
    def code_action(ls: PkifyServer, params: lsp.CodeActionParams) -> List[lsp.CodeAction]:
        return ls.code_actions(params)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: PkifyServer, params: lsp.HoverParams) -> Optional[lsp.Hover]:
        return ls.hover(params)

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: PkifyServer, *args: Any) -> None:
        ls.projects.save()

    return server


def serve() -> int:
    """Serve over standard input and output until the client says exit."""
    logging.basicConfig(level=logging.WARNING, format="pkify lsp: %(levelname)s: %(message)s")
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print() must not break the protocol's stream
    make_server().start_io(stdin, stdout)
    return 0
