"""Reading the expectations written in fixture files.

A fixture line that should produce findings ends with a comment naming each one as
`CODE:COLUMN` (1-based column of the offending argument), e.g. `send.delay(order)  # CEL101:12`.
Every other line must produce nothing. A file that pkify must refuse says so in a comment on
its first line: `# pkify-error: syntax error`.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path
from typing import List, Optional, Set, Tuple

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
EXPECTATION = re.compile(r"\b(CEL\d{3}):(\d+)\b")
ERROR = re.compile(r"#\s*pkify-error:\s*(.+?)\s*$")

Expected = Set[Tuple[int, int, str]]


FIX_FIXTURES = FIXTURES / "fix"


def fixture_files() -> List[Path]:
    """The check fixtures (the fix fixtures in fixtures/fix/ have their own test)."""
    return sorted(
        p for p in FIXTURES.rglob("*.py") if "__pycache__" not in p.parts and FIX_FIXTURES not in p.parents
    )


def fix_cases() -> List[Path]:
    return sorted(p for p in FIX_FIXTURES.iterdir() if (p / "before").is_dir())


def fixture_id(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


def _comments(text: str):
    """(line, comment text) for every comment, by the tokenizer when it can read the file."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                yield token.start[0], token.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        # Syntax newer than the running tokenizer: comments are whatever follows " # ".
        for number, line in enumerate(text.splitlines(), 1):
            if "# " in line:
                yield number, line[line.index("# ") :]


def expected_findings(path: Path) -> Expected:
    text = path.read_bytes().decode("utf-8", errors="replace")
    found: Expected = set()
    for line, comment in _comments(text):
        for code, column in EXPECTATION.findall(comment):
            found.add((line, int(column), code))
    return found


def expected_error(path: Path) -> Optional[str]:
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8", errors="replace")
    match = ERROR.search(first)
    return match.group(1) if match else None
