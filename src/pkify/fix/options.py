"""What `pkify fix` is asked to do (no libcst here: the front ends read it on every run)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FixOptions:
    missing: str = "raise"  # "skip": a task whose row is gone returns early instead of raising
    imports: str = "local"  # "top": import the model at the top of the task's module
    progress: bool = False  # say on standard error how far the reading is
    # The first of two releases, for a rolling deploy: each task also accepts what messages sent
    # before the fix hold (the old parameter, instances where keys are now expected); a later
    # plain fix removes that code.
    compat: bool = False


def display(path: str) -> str:
    """A path as the user reads it: relative to the working directory when below it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path
