"""What a check produces, as plain data: front ends and the cache use these without loading the
analysis engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple


@dataclass(frozen=True)
class Diagnostic:
    """One finding. Positions are 1-based; columns count characters; `end_*` is just past the
    offending expression (SARIF regions, editor ranges)."""

    path: str
    line: int
    column: int
    code: str
    message: str
    end_line: int = 0
    end_column: int = 0
    # Evidence, for the fixer and for fingerprints that survive unrelated edits:
    task: Optional[str] = None  # the task's qualified name, when known
    function: Optional[str] = None  # the qualified name of the enclosing function, if any
    argument: Optional[str] = None  # the offending expression's text (shortened)

    @property
    def key(self) -> Tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.code, self.message)

    def row(self) -> Tuple[object, ...]:
        """Everything but the path: what the cache keeps."""
        return (
            self.line,
            self.column,
            self.code,
            self.message,
            self.end_line,
            self.end_column,
            self.task,
            self.function,
            self.argument,
        )

    @classmethod
    def from_row(cls, path: str, row: Tuple[object, ...]) -> "Diagnostic":
        return cls(path, *row)  # type: ignore[arg-type]


@dataclass
class FileResult:
    path: str
    diagnostics: List[Diagnostic] = field(default_factory=list)
    error: Optional[str] = None  # one line: why the file could not be checked
    internal: bool = False  # the error is pkify's own fault
    # The tasks this file's calls refer to (sent, called or referenced), for the fixer.
    tasks: Tuple[str, ...] = ()
    # The diagnostics (by index) that `# noqa` comments in the file silence, when known (read
    # with the result from the cache: a warm run tokenizes nothing); None: not yet read.
    silenced: Optional[Tuple[int, ...]] = None
