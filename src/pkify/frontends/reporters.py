"""Reporters: the diagnostics of `pkify check`, written for a person or for another tool.

- `text`: flake8's `path:line:column: CODE message` (with `--show-source`, the line and a caret);
- `json`: `[{"path", "line", "column", "code", "message", "end_line", "end_column"}, ...]`;
- `sarif`: a SARIF 2.1.0 log, for code scanning (GitHub, Azure DevOps, IDEs);
- `github`: GitHub Actions workflow commands, which annotate the lines of a pull request.

Files pkify could not check are reported on standard error by the CLI in every format; `sarif`
and `github` also carry them (as tool notifications / annotations).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional

from .. import __version__
from ..api import RULES
from ..diagnostics import Diagnostic, FileResult

FORMATS = ("text", "json", "sarif", "github")

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

# Reads a line of a reported file (1-based), for --show-source; None when it cannot.
LineReader = Callable[[str, int], Optional[str]]


def diagnostics_of(results: Iterable[FileResult]) -> List[Diagnostic]:
    return [d for r in results for d in r.diagnostics]


def render(
    output_format: str,
    results: List[FileResult],
    show_source: Optional[LineReader] = None,
    cwd: Optional[Path] = None,
) -> str:
    """The report on standard output, in one of FORMATS."""
    if output_format == "json":
        return json_report(results)
    if output_format == "sarif":
        return sarif_report(results, cwd or Path.cwd())
    if output_format == "github":
        return github_report(results, cwd or Path.cwd())
    return text_report(results, show_source)


def text_report(results: List[FileResult], show_source: Optional[LineReader] = None) -> str:
    lines = []
    for f in diagnostics_of(results):
        lines.append(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}")
        if show_source is not None:
            source = show_source(f.path, f.line)
            if source is not None:
                lines.append(source_with_caret(source, f.column))
    return "".join(line + "\n" for line in lines)


def source_with_caret(line: str, column: int) -> str:
    """As flake8's --show-source: the line, then a caret under the 1-based column (tabs kept,
    so that the caret lines up)."""
    line = line.rstrip("\r\n")
    indent = "".join(c if c.isspace() else " " for c in line[: column - 1])
    return f"{line}\n{indent}^"


def json_report(results: List[FileResult]) -> str:
    import json  # here: a text report does without it

    rows = [
        {
            "path": d.path, "line": d.line, "column": d.column, "code": d.code, "message": d.message,
            "end_line": d.end_line, "end_column": d.end_column,
        }
        for d in diagnostics_of(results)
    ]
    return json.dumps(rows, indent=2) + "\n"


def statistics(diagnostics: List[Diagnostic]) -> str:
    """flake8's --statistics: the count of each code, with its summary."""
    counts = Counter(d.code for d in diagnostics)
    return "".join(
        f"{counts[code]:<5} {code} {RULES[code].summary if code in RULES else ''}".rstrip() + "\n"
        for code in sorted(counts)
    )


# SARIF


def artifact_uri(path: str, cwd: Path) -> Dict[str, str]:
    """An artifactLocation: relative to the working directory (the repository root in CI) when
    the file is below it, else an absolute `file:` URI."""
    absolute = Path(os.path.abspath(cwd / path))
    try:
        relative = absolute.relative_to(Path(os.path.abspath(cwd)))
    except ValueError:
        return {"uri": absolute.as_uri()}
    from urllib.parse import quote

    return {"uri": quote(relative.as_posix()), "uriBaseId": "%SRCROOT%"}


def sarif_rules() -> List[dict]:
    from .rules_doc import prose, rule_markdown

    rules = []
    for code in RULES.values():
        rules.append(
            {
                "id": code.code,
                "name": code.name,
                "shortDescription": {"text": code.summary},
                "fullDescription": {"text": prose(code.doc.what, width=None)},
                "help": {
                    "text": "\n\n".join(
                        prose(text, width=None) for text in (code.doc.what, code.doc.why, code.doc.fix_safety)
                    ),
                    "markdown": rule_markdown(code),
                },
                "defaultConfiguration": {"level": "error"},
                "properties": {"tags": ["django", "celery", "correctness"]},
            }
        )
    return rules


def sarif_log(results: List[FileResult], cwd: Path) -> dict:
    index = {code: i for i, code in enumerate(RULES)}
    sarif_results = []
    for f in diagnostics_of(results):
        result = {
            "ruleId": f.code,
            "level": "error",
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": artifact_uri(f.path, cwd),
                        "region": _region(f),
                    }
                }
            ],
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        sarif_results.append(result)
    errors = [r for r in results if r.error]
    invocation = {
        "executionSuccessful": not any(r.internal for r in errors),
        "toolExecutionNotifications": [
            {
                "level": "error",
                "message": {"text": r.error},
                "locations": [{"physicalLocation": {"artifactLocation": artifact_uri(r.path, cwd)}}],
            }
            for r in errors
        ],
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "pkify",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": sarif_rules(),
                    }
                },
                "invocations": [invocation],
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(os.path.abspath(cwd)).as_uri().rstrip("/") + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": sarif_results,
            }
        ],
    }


def sarif_report(results: List[FileResult], cwd: Path) -> str:
    import json  # here: a text report does without it

    return json.dumps(sarif_log(results, cwd), indent=2) + "\n"


def _region(diagnostic: Diagnostic) -> Dict[str, int]:
    region = {"startLine": diagnostic.line, "startColumn": diagnostic.column}
    if diagnostic.end_line:
        region.update(endLine=diagnostic.end_line, endColumn=diagnostic.end_column)
    return region


# GitHub Actions


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as the Actions runner expects (actions/toolkit
    `escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (actions/toolkit `escapeProperty`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _workflow_path(path: str, cwd: Path) -> str:
    """Relative to the working directory (the workspace, in a workflow) when below it."""
    relative = os.path.relpath(os.path.abspath(cwd / path), os.path.abspath(cwd))
    return path if relative == ".." or relative.startswith(".." + os.sep) else Path(relative).as_posix()


def github_report(results: List[FileResult], cwd: Path) -> str:
    lines = []
    for f in diagnostics_of(results):
        properties = {"file": _workflow_path(f.path, cwd), "line": str(f.line), "col": str(f.column), "title": f.code}
        lines.append(_command("error", properties, f.message))
    for r in results:
        if r.error:
            lines.append(_command("error", {"file": _workflow_path(r.path, cwd), "title": "pkify"}, r.error))
    return "".join(line + "\n" for line in lines)


def _command(name: str, properties: Dict[str, str], message: str) -> str:
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{name} {rendered}::{escape_data(message)}"
