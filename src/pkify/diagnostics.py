"""What a check produces, as plain data: front ends and the cache use these without loading the
analysis engine."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, List, Optional, Tuple

# Marks a line number in a message as it is built (never in source text: Python rejects NUL).
_REF = "\0"


def line_ref(line: int) -> str:
    """`line 12` for a message: a line of the file the diagnostic is in, which moves with the
    file's lines when a cached diagnostic is moved (see `Diagnostic.moved`)."""
    return f"line {_REF}{line}{_REF}"


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
    # The lines the message names (`line_ref`): (where the number starts in it, the line).
    refs: Tuple[Tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if _REF not in self.message:
            return
        parts = self.message.split(_REF)
        if len(parts) % 2 == 0 or not all(p.isdigit() for p in parts[1::2]):
            object.__setattr__(self, "message", self.message.replace(_REF, ""))
            return
        text, refs = parts[0], []
        for number, after in zip(parts[1::2], parts[2::2]):
            refs.append((len(text), int(number)))
            text += number + after
        object.__setattr__(self, "message", text)
        object.__setattr__(self, "refs", tuple(refs))

    def moved(self, mapping: Callable[[int], int]) -> "Diagnostic":
        """The diagnostic with its positions, and the lines its message names, moved (its file
        was edited elsewhere: see `project.regions.line_mapping`)."""
        message, refs, shift = self.message, [], 0
        for offset, line in self.refs:
            old, new = str(line), str(mapping(line))
            start = offset + shift
            message = message[:start] + new + message[start + len(old) :]
            refs.append((start, int(new)))
            shift += len(new) - len(old)
        return replace(
            self,
            line=mapping(self.line),
            end_line=mapping(self.end_line) if self.end_line else 0,
            message=message,
            refs=tuple(refs),
        )

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
            self.refs,
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
