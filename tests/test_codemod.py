"""The libcst codemod command makes exactly the rewrite that `pkify fix` makes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fixture_expectations import FIXTURES
from test_fix_end_to_end import snapshot

# libcst's codemod tool in a subprocess, over the example project, with its worker processes:
# with the long runs.
pytestmark = pytest.mark.slow


def test_codemod_matches_pkify_fix(tmp_path: Path) -> None:
    by_fix, by_codemod = tmp_path / "fix", tmp_path / "codemod"
    shutil.copytree(FIXTURES / "project", by_fix)
    shutil.copytree(FIXTURES / "project", by_codemod)
    subprocess.run([sys.executable, "-m", "pkify", "fix", "."], cwd=by_fix, capture_output=True, check=False)
    codemod = subprocess.run(
        [sys.executable, "-m", "libcst.tool", "codemod", "-x", "pkify.frontends.codemod.Pkify", "--no-format", "."],
        cwd=by_codemod,
        capture_output=True,
        text=True,
    )
    assert codemod.returncode == 0, codemod.stderr
    assert "Transformed 8 files" in codemod.stderr, codemod.stderr
    assert snapshot(by_codemod) == snapshot(by_fix) != snapshot(FIXTURES / "project")
