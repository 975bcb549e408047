import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Callable, List

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Every pkify run of the test session (in-process or in a subprocess) caches in a directory
# of its own, not in the user's cache, removed when the session ends.
_CACHE = tempfile.mkdtemp(prefix="pkify-test-cache-")
os.environ["PKIFY_CACHE_DIR"] = _CACHE

# Lines for the session's summary, written after the progress dots (see `report`).
_REPORTS: List[str] = []


def pytest_unconfigure(config) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)


def pytest_terminal_summary(terminalreporter) -> None:
    if _REPORTS:
        terminalreporter.section("pkify over real code")
        for line in _REPORTS:
            terminalreporter.write_line(line)


@pytest.fixture
def report() -> Callable[[str], None]:
    """Adds a line to the session's summary: what a run over real code found, for the CI log to
    list, without mixing it into pytest's progress output."""
    return _REPORTS.append


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The small project of small_project.py, in a temporary directory."""
    from small_project import make

    return make(tmp_path)
