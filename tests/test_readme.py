"""The README's first screen stays true: the lines it shows are what `pkify check` prints."""

from __future__ import annotations

import re
import subprocess
import sys

from fixture_expectations import REPO


def test_the_example_output_in_the_readme_is_real() -> None:
    readme = (REPO / "README.md").read_text()
    block = readme.split("```console\n$ python -m pip install . && pkify check fixtures/project\n", 1)[1]
    shown = [line for line in block.split("```", 1)[0].splitlines() if re.match(r"fixtures/\S+:\d+:\d+: CEL", line)]
    assert shown
    output = subprocess.run(
        [sys.executable, "-m", "pkify", "check", "fixtures/project"], cwd=REPO, capture_output=True, text=True
    ).stdout.splitlines()
    for line in shown:
        assert line in output, line
