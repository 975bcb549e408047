"""`pkify lsp` as an editor runs it: `python -m pkify lsp` in a subprocess, driven over stdio by
pygls's client on a copy of fixtures/project (diagnostics, code actions applied to the files,
hover); and the `# noqa` edits, and the message without the `lsp` extra."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

pytest.importorskip("pygls")

from lsprotocol import types as lsp  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402
from pygls.uris import from_fs_path, to_fs_path  # noqa: E402
from pygls.workspace import PositionCodec  # noqa: E402

from pkify.frontends.cli import main  # noqa: E402
from pkify.api import Diagnostic  # noqa: E402
from pkify.frontends.lsp import lines_of, noqa_edit, text_edits, to_lsp  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "project"
TIMEOUT = 30.0


def apply(text: str, edits: List[lsp.TextEdit]) -> str:
    """TextEdits applied as an editor applies them (ASCII text: UTF-16 units are characters)."""
    lines = text.splitlines(keepends=True)

    def offset(position: lsp.Position) -> int:
        return sum(len(line) for line in lines[: position.line]) + position.character

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


class Editor:
    """A language client with the documents it has open, and what the server published."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.client = LanguageClient("pkify-test", "1")
        self.published: List[lsp.PublishDiagnosticsParams] = []
        self.messages: List[str] = []
        self.texts: Dict[str, str] = {}
        self.versions: Dict[str, int] = {}

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: lsp.PublishDiagnosticsParams) -> None:
            self.published.append(params)

        @self.client.feature(lsp.WINDOW_LOG_MESSAGE)
        def logged(params: lsp.LogMessageParams) -> None:
            self.messages.append(params.message)

        @self.client.feature(lsp.WINDOW_SHOW_MESSAGE)
        def shown(params: lsp.ShowMessageParams) -> None:
            self.messages.append(params.message)

    async def start(self, debounce: Optional[float] = None) -> None:
        await self.client.start_io(sys.executable, "-m", "pkify", "lsp")
        capabilities = lsp.ClientCapabilities(
            workspace=lsp.WorkspaceClientCapabilities(
                workspace_edit=lsp.WorkspaceEditClientCapabilities(document_changes=True)
            ),
            text_document=lsp.TextDocumentClientCapabilities(
                code_action=lsp.CodeActionClientCapabilities(disabled_support=True),
                hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown]),
            ),
        )
        options = {"debounce": debounce} if debounce is not None else None
        await asyncio.wait_for(
            self.client.initialize_async(
                lsp.InitializeParams(
                    capabilities=capabilities, root_uri=from_fs_path(str(self.root)), initialization_options=options
                )
            ),
            TIMEOUT,
        )
        self.client.initialized(lsp.InitializedParams())

    async def stop(self) -> None:
        await asyncio.wait_for(self.client.shutdown_async(None), TIMEOUT)
        self.client.exit(None)
        await asyncio.wait_for(self.client.stop(), TIMEOUT)

    def uri(self, relative: str) -> str:
        return from_fs_path(str(self.root / relative))

    async def diagnostics(self, uri: str, seen: int, version: Optional[int] = None) -> List[lsp.Diagnostic]:
        """The next diagnostics published for `uri` after the first `seen` publications (of
        the document's `version`, when given)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while loop.time() < deadline:
            for params in self.published[seen:]:
                if params.uri == uri and (version is None or params.version == version):
                    return params.diagnostics
            await asyncio.sleep(0.01)
        raise AssertionError(f"no diagnostics for {uri}; messages: {self.messages}")

    async def open(self, relative: str) -> List[lsp.Diagnostic]:
        uri = self.uri(relative)
        self.texts[uri] = (self.root / relative).read_text()
        self.versions[uri] = 1
        seen = len(self.published)
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=self.texts[uri])
            )
        )
        return await self.diagnostics(uri, seen)

    def change(self, uri: str, text: str) -> int:
        self.texts[uri] = text
        self.versions[uri] += 1
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return self.versions[uri]

    def save(self, uri: str) -> None:
        Path(to_fs_path(uri)).write_text(self.texts[uri])
        self.client.text_document_did_save(
            lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
        )

    async def actions(self, uri: str, diagnostic: lsp.Diagnostic) -> List[lsp.CodeAction]:
        params = lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=lsp.CodeActionContext(diagnostics=[diagnostic]),
        )
        found = await asyncio.wait_for(self.client.text_document_code_action_async(params), TIMEOUT)
        return [a for a in found or [] if isinstance(a, lsp.CodeAction)]

    def apply_edit(self, edit: lsp.WorkspaceEdit) -> Dict[str, str]:
        """The edit applied: to the open documents' texts, and to the files of the others (as an
        editor applies a WorkspaceEdit, and then saves them). The new texts, by uri."""
        changed = {}
        per_file = {}
        for change in edit.document_changes or []:
            assert isinstance(change, lsp.TextDocumentEdit)
            per_file[change.text_document.uri] = change.edits
        per_file.update(edit.changes or {})
        for uri, edits in per_file.items():
            path = Path(to_fs_path(uri))
            changed[uri] = apply(self.texts[uri] if uri in self.texts else path.read_text(), edits)
            if uri not in self.texts:
                path.write_text(changed[uri])
        return changed


def run(test) -> None:
    asyncio.run(asyncio.wait_for(test(), 4 * TIMEOUT))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(FIXTURES, target)
    return target


def _line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines()) if needle in line)


@pytest.mark.slow  # a real server over stdio
def test_diagnostic_fixed_with_the_code_action(root: Path, tmp_path: Path) -> None:
    """Open a file with a bug, get its diagnostic, apply "Fix with pkify" (the same edits as
    `pkify fix` makes, across files), edit and save: the diagnostic is gone."""
    expected = tmp_path / "expected"  # what `pkify fix` makes of the same project
    shutil.copytree(FIXTURES, expected)
    assert main(["fix", "--no-cache", str(expected / "shop" / "views.py")]) == 1

    async def test() -> None:
        editor = Editor(root)
        await editor.start()
        try:
            uri = editor.uri("shop/views.py")
            found = await editor.open("shop/views.py")
            line = _line_of(editor.texts[uri], "receipt.delay(order)")
            [bug] = [d for d in found if d.range.start.line == line]
            assert bug.code == "CEL101" and bug.source == "pkify"
            assert (bug.range.start.character, bug.range.end.line, bug.range.end.character) == (18, line, 23)
            assert bug.message.startswith("`order` is a `shop.Order` instance")
            assert bug.code_description is not None
            assert bug.code_description.href.endswith("docs/rules.md#cel101-model-instance-task-argument")

            actions = await editor.actions(uri, bug)
            titles = [a.title for a in actions]
            [fix] = [a for a in actions if a.title.startswith("Fix with pkify")]
            assert "Disable CEL101 for this line (# noqa: CEL101)" in titles
            assert fix.disabled is None and fix.edit is not None and fix.is_preferred
            changed = editor.apply_edit(fix.edit)
            # Across files, as `pkify fix`: the task's definition and every call site.
            assert changed == {
                editor.uri(str(p.relative_to(expected))): p.read_text()
                for p in sorted(expected.rglob("*.py"))
                if p.read_text() != (FIXTURES / p.relative_to(expected)).read_text()
            }
            assert "def send_receipt(order_id):" in changed[editor.uri("notifications/tasks.py")]

            seen = len(editor.published)
            version = editor.change(uri, changed[uri])
            after = await editor.diagnostics(uri, seen, version)
            fixed = _line_of(changed[uri], "receipt.delay(order.pk)")
            assert not [d for d in after if d.range.start.line == fixed]
            seen = len(editor.published)
            editor.save(uri)
            after = await editor.diagnostics(uri, seen)
            assert not [d for d in after if d.range.start.line == fixed]
            assert not any("internal error" in m for m in editor.messages), editor.messages
        finally:
            await editor.stop()

    run(test)


@pytest.mark.slow  # a real server over stdio
def test_noqa_action_and_hover(root: Path) -> None:
    async def test() -> None:
        editor = Editor(root)
        await editor.start()
        try:
            uri = editor.uri("shop/views.py")
            found = await editor.open("shop/views.py")
            line = _line_of(editor.texts[uri], "receipt.delay(order)")
            [bug] = [d for d in found if d.range.start.line == line]

            hover = await asyncio.wait_for(
                editor.client.text_document_hover_async(
                    lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=bug.range.start)
                ),
                TIMEOUT,
            )
            assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
            assert hover.contents.kind == lsp.MarkupKind.Markdown
            assert "CEL101: model-instance-task-argument" in hover.contents.value
            assert "Why is this bad?" in hover.contents.value
            assert bug.message in hover.contents.value
            outside = lsp.Position(line=line, character=0)
            nothing = await asyncio.wait_for(
                editor.client.text_document_hover_async(
                    lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=outside)
                ),
                TIMEOUT,
            )
            assert nothing is None

            actions = await editor.actions(uri, bug)
            [noqa] = [a for a in actions if a.title == "Disable CEL101 for this line (# noqa: CEL101)"]
            assert noqa.edit is not None
            text = editor.apply_edit(noqa.edit)[uri]
            assert text.splitlines()[line] == "    receipt.delay(order)  # CEL101:19  # noqa: CEL101"
            seen = len(editor.published)
            version = editor.change(uri, text)
            after = await editor.diagnostics(uri, seen, version)
            assert not [d for d in after if d.range.start.line == line]
            assert len(after) == len(found) - 1
        finally:
            await editor.stop()

    run(test)


@pytest.mark.slow  # a real server over stdio
def test_debounced_and_new_declarations_seen_after_a_save(root: Path) -> None:
    """Quick edits give one check, of the last text; a model added to another file is known once
    that file is saved (and not before: the index is not rebuilt per keystroke). What a document
    declares at module level (its imports) is read from the file on disk too: the new import is
    inside the function."""
    sent = (
        "    from .models import Invoice\n"
        "    invoice = Invoice.objects.get(pk=pk)\n"
        "    log_payment.delay(invoice)\n"
    )
    model = "\n\nclass Invoice(models.Model):\n    number = models.CharField(max_length=20)\n"

    async def test() -> None:
        editor = Editor(root)
        await editor.start(debounce=1.0)  # the edits below come well within it, even on a busy machine
        try:
            uri = editor.uri("shop/views.py")
            await editor.open("shop/views.py")
            text = editor.texts[uri]
            anchor = "    log_payment.delay(order.pk)\n"
            seen = len(editor.published)
            editor.change(uri, text.replace(anchor, anchor + "    x = 1\n"))
            editor.change(uri, text.replace(anchor, anchor + "    x = 2\n"))
            version = editor.change(uri, text.replace(anchor, anchor + sent))
            found = await editor.diagnostics(uri, seen)
            assert [p.version for p in editor.published[seen:] if p.uri == uri] == [version]
            line = _line_of(editor.texts[uri], "log_payment.delay(invoice)")
            assert not [d for d in found if d.range.start.line == line]  # no such model yet

            models_uri = editor.uri("shop/models.py")
            await editor.open("shop/models.py")
            editor.change(models_uri, editor.texts[models_uri] + model)
            seen = len(editor.published)
            editor.save(models_uri)
            found = await editor.diagnostics(uri, seen)
            [bug] = [d for d in found if d.range.start.line == line]
            assert bug.code == "CEL101" and "`invoice` is a `shop.Invoice` instance" in bug.message
        finally:
            await editor.stop()

    run(test)


@pytest.mark.slow  # a real server over stdio
def test_configuration_errors_and_changes(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A wrong `[tool.pkify]` is said once, in a message; saved again, it is read again. Files
    `pkify check` excludes, and files outside the workspace, are not checked."""
    offending = (project / "shop" / "views.py").read_text()
    (project / "shop" / "migrations").mkdir()
    (project / "shop" / "migrations" / "0001_initial.py").write_text(offending)
    elsewhere = tmp_path_factory.mktemp("elsewhere")  # not in `project`, the workspace
    (elsewhere / "shop").mkdir(parents=True)
    (elsewhere / "shop" / "views.py").write_text(offending)
    (elsewhere / "shop" / "models.py").write_text((project / "shop" / "models.py").read_text())
    (elsewhere / "manage.py").write_text("")

    async def test() -> None:
        (project / "pyproject.toml").write_text('[tool.pkify]\nselect = ["CEL9"]\n')
        editor = Editor(project)
        await editor.start()
        try:
            uri = editor.uri("shop/views.py")
            assert list(await editor.open("shop/views.py")) == []
            assert editor.messages == ["pkify: unknown code(s) in select/ignore: CEL9"]

            settings = editor.uri("pyproject.toml")
            editor.texts[settings] = '[tool.pkify]\nselect = ["CEL1"]\n'
            seen = len(editor.published)
            editor.save(settings)
            [bug] = await editor.diagnostics(uri, seen)
            assert (bug.code, bug.range.start.line, bug.range.start.character) == ("CEL101", 5, 23)

            # Changed outside the editor: read again when a Python file is saved.
            (project / "pyproject.toml").write_text('[tool.pkify]\nignore = ["CEL101"]\n')
            seen = len(editor.published)
            editor.save(uri)
            assert list(await editor.diagnostics(uri, seen)) == []
            assert len(editor.messages) == 1

            assert list(await editor.open("shop/migrations/0001_initial.py")) == []
            outside = Editor(elsewhere)  # its files, opened in this editor
            outside.client, outside.published = editor.client, editor.published
            assert list(await outside.open("shop/views.py")) == []

            seen = len(editor.published)
            editor.client.text_document_did_close(
                lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
            )
            assert list(await editor.diagnostics(uri, seen)) == []
        finally:
            await editor.stop()

    run(test)


CODEC = PositionCodec(lsp.PositionEncodingKind.Utf16)


@pytest.mark.parametrize(
    "source, line, expected",
    [
        # OK - a comment added at the end of the line
        ("send.delay(order)\n", 1, "send.delay(order)  # noqa: CEL101\n"),
        ("send.delay(order)   \r\n", 1, "send.delay(order)  # noqa: CEL101\r\n"),
        ("send.delay(order)", 1, "send.delay(order)  # noqa: CEL101"),
        # OK - after another comment
        ("send.delay(order)  # why\n", 1, "send.delay(order)  # why  # noqa: CEL101\n"),
        # OK - added to the line's list of codes
        ("send.delay(order)  # noqa: CEL102\n", 1, "send.delay(order)  # noqa: CEL102,CEL101\n"),
        ("send.delay(order)  # noqa: E501, CEL102  # why\n", 1, "send.delay(order)  # noqa: E501, CEL102, CEL101  # why\n"),
        # OK - a call broken inside brackets: the line itself (flake8 reads each line alone)
        ("send.delay(\n    order,\n)\n", 2, "send.delay(\n    order,  # noqa: CEL101\n)\n"),
        # OK - a line that a multi-line string joins to the next: after the string
        ('send.delay(order, """a\nb""")\n', 1, 'send.delay(order, """a\nb""")  # noqa: CEL101\n'),
        # OK - characters beyond the BMP before the end: UTF-16 units
        ('send.delay(order, "😀")\n', 1, 'send.delay(order, "😀")  # noqa: CEL101\n'),
    ],
)
def test_noqa_edit(source: str, line: int, expected: str) -> None:
    edit = noqa_edit(source, line, "CEL101", CODEC)
    assert edit is not None
    assert _apply_utf16(source, edit) == expected


def _apply_utf16(text: str, edit: lsp.TextEdit) -> str:
    lines = text.splitlines(keepends=True)

    def offset(position: lsp.Position) -> int:
        line = lines[position.line] if position.line < len(lines) else ""
        units, chars = 0, 0
        while units < position.character:
            units += 2 if ord(line[chars]) > 0xFFFF else 1
            chars += 1
        return sum(len(x) for x in lines[: position.line]) + chars

    return text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]


def test_ranges_in_utf16_units() -> None:
    """pkify counts characters from 1; LSP counts UTF-16 units from 0 (an emoji is two)."""
    text = 'def f(order):\n    send.delay("😀", order)  # é\n'
    diagnostic = Diagnostic("f.py", 2, 21, "CEL101", "m", end_line=2, end_column=26)
    assert text.splitlines()[1][20:25] == "order"
    shown = to_lsp(diagnostic, CODEC, lines_of(text))
    assert (shown.range.start.line, shown.range.start.character) == (1, 21)
    assert (shown.range.end.line, shown.range.end.character) == (1, 26)
    no_end = to_lsp(Diagnostic("f.py", 2, 21, "CEL101", "m"), CODEC, lines_of(text))
    assert (no_end.range.end.line, no_end.range.end.character) == (1, 32)  # the end of the line


@pytest.mark.parametrize(
    "old, new",
    [
        ("a\nb\nc\n", "a\nB\nc\n"),
        ("a\nb\nc", "a\nb\nC"),  # no line ending at the end
        ("a\r\nb\r\n", "a\r\nx\r\nb\r\n"),
        ("a\n", "a\nb\n"),
        ("a\nb\n", "b\n"),
    ],
)
def test_text_edits(old: str, new: str) -> None:
    edits = text_edits(old, new, CODEC)
    assert _apply_all(old, edits) == new
    assert all(e.range.start.character == 0 for e in edits)


def _apply_all(text: str, edits: List[lsp.TextEdit]) -> str:
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = _apply_utf16(text, edit)
    return text


def test_without_the_extra(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    for name in [n for n in sys.modules if n == "pygls" or n.startswith("pygls.")]:
        monkeypatch.setitem(sys.modules, name, None)  # `import pygls` fails as when not installed
    monkeypatch.setitem(sys.modules, "pygls", None)
    monkeypatch.delitem(sys.modules, "pkify.frontends.lsp", raising=False)
    assert main(["lsp"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "pkify lsp needs the lsp extra: pip install 'pkify[lsp]'\n"
    assert captured.out == ""
