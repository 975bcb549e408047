#!/usr/bin/env python3
"""`pkify lsp`: how long a warm diagnostic takes after an edit.

    python benchmarks/lsp.py [--repeat N] [--root DIR --file RELATIVE --function NAME]

Starts `python -m pkify lsp` over stdio (pygls's client, as tests/test_lsp.py does) on a copy of
the example project (fixtures/project, in a temporary directory: nothing is written into the
repository), opens shop/views.py and, after a few warm-up edits, edits the body of one function
`--repeat` times (a line added at its end, different each time). Each sample is the time from
sending didChange to receiving the publishDiagnostics of that version, with the server's
debounce set to 0: what the editor waits on top of its pause (0.3 s by default). Prints the
median, the spread and the number of findings. Needs the `lsp` extra.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "fixtures" / "project"


Samples = Dict[str, Tuple[List[float], float]]  # edit -> (wall seconds per edit, mean server CPU seconds)


async def measure(root: Path, relative: str, function: str, repeat: int, warmup: int) -> Samples:
    client = LanguageClient("pkify-benchmark", "1")
    published: Dict[int, float] = {}  # version -> when its diagnostics arrived
    counts: Dict[int, int] = {}
    uri = from_fs_path(str(root / relative))

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def arrived(params: lsp.PublishDiagnosticsParams) -> None:
        if params.uri == uri and params.version is not None:
            published[params.version] = time.perf_counter()
            counts[params.version] = len(params.diagnostics)

    await client.start_io(sys.executable, "-m", "pkify", "lsp")
    await client.initialize_async(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(),
            root_uri=from_fs_path(str(root)),
            initialization_options={"debounce": 0},
        )
    )
    client.initialized(lsp.InitializedParams())
    text = (root / relative).read_text()
    lines = text.splitlines(keepends=True)
    start = next(n for n, line in enumerate(lines) if line.lstrip().startswith(f"def {function}("))
    indent = " " * (len(lines[start]) - len(lines[start].lstrip()) + 4)
    end = start + 1  # the function's last line: the last one indented deeper than its `def`
    for number in range(start + 1, len(lines)):
        if lines[number].strip() and not lines[number].startswith(indent):
            break
        if lines[number].strip():
            end = number

    async def wait(version: int) -> float:
        while version not in published:
            await asyncio.sleep(0.0005)
        return published[version]

    opened = time.perf_counter()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
    )
    first = await wait(1) - opened
    print(f"file: {relative}, function: {function} (lines {start + 1}-{end + 1}); findings: {counts[1]}")
    print(f"first diagnostics after didOpen (cold: the project opened, libcst loaded): {first * 1000:.0f} ms")

    def added(version: int) -> str:  # a statement added at the end of the body: the lines below move
        return "".join(lines[: end + 1] + [f"{indent}edited = {version}\n"] + lines[end + 1 :])

    def in_place(version: int) -> str:  # the body's last line changed, no line moves
        return "".join(lines[:end] + [lines[end].rstrip("\r\n") + f"  # {version}\n"] + lines[end + 1 :])

    version = 1
    pid = client._server.pid if client._server is not None else None
    results = {}
    for name, edit in (("a line added to the body", added), ("a line of the body changed", in_place)):
        samples = []
        cpu_before = 0.0
        for number in range(warmup + repeat):
            if number == warmup:
                cpu_before = _cpu_seconds(pid)
            version += 1
            sent = time.perf_counter()
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=edit(version))],
                )
            )
            elapsed = await wait(version) - sent
            if number >= warmup:
                samples.append(elapsed)
        results[name] = (samples, (_cpu_seconds(pid) - cpu_before) / repeat)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return results


def _cpu_seconds(pid) -> float:
    """The server's CPU time so far (user + system, Linux's /proc); NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, TypeError):
        return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="measured edits (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="edits before measuring (default 3)")
    parser.add_argument("--root", type=Path, help="a project to use instead of the example (used in place)")
    parser.add_argument("--file", default="shop/views.py", help="the file to edit, relative to the root")
    parser.add_argument("--function", default="pay", help="the function whose body is edited")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pkify-lsp-bench-") as scratch:
        os.environ["PKIFY_CACHE_DIR"] = str(Path(scratch) / "cache")  # the server's cache, thrown away
        root = args.root
        if root is None:
            root = Path(scratch) / "project"
            shutil.copytree(EXAMPLE, root)
        results = asyncio.run(measure(root.resolve(), args.file, args.function, args.repeat, args.warmup))
    print(f"warm diagnostic after an edit ({args.repeat} edits each, debounce 0; CPU: the server's, per edit):")
    for name, (samples, cpu) in results.items():
        ms = sorted(s * 1000 for s in samples)
        print(
            f"  {name + ':':<28} median {statistics.median(ms):6.1f} ms  (min {ms[0]:.1f}, max {ms[-1]:.1f})"
            f"  CPU {cpu * 1000:.1f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
