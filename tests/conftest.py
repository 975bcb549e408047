import os
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Every pkify run of the test session (in-process or in a subprocess) caches in a directory
# of its own, not in the user's cache.
os.environ["PKIFY_CACHE_DIR"] = tempfile.mkdtemp(prefix="pkify-test-cache-")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The small project of small_project.py, in a temporary directory."""
    from small_project import make

    return make(tmp_path)
