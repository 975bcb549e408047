"""Public Django + Celery applications from PyPI, for smoke tests and benchmarks.

Wheels are fetched with `pip download --no-deps --only-binary :all:` (a wheel unzips without a
build) into a cache outside the repository: `$PKIFY_CORPUS_CACHE`, else `~/.cache/pkify-corpus`.
Their code is never committed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Tuple

# (requirement, extra pip arguments): saleor 2.10.1 declares Python <3.9 only.
CORPUS = {
    "pretix": ("pretix==2026.8.0", ()),
    "weblate": ("weblate==5.14.3", ()),
    "nautobot": ("nautobot==3.2.7", ()),
    "saleor": ("saleor==2.10.1", ("--python-version", "3.8")),
}


def cache_dir() -> Path:
    return Path(os.environ.get("PKIFY_CORPUS_CACHE", Path.home() / ".cache" / "pkify-corpus"))


def fetch(name: str) -> Path:
    """The unpacked wheel of a corpus application (downloaded once)."""
    requirement, extra = CORPUS[name]
    cache = cache_dir()
    target = cache / "src" / requirement.replace("==", "-")
    if (target / ".complete").exists():
        return target
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    project, version = requirement.split("==")
    wheel = _find_wheel(wheels, project, version)
    if wheel is None:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
             "--dest", str(wheels), *extra, requirement],
            check=True,
        )
        wheel = _find_wheel(wheels, project, version)
        assert wheel is not None, f"pip download gave no wheel for {requirement}"
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    (target / ".complete").write_text(wheel.name)
    return target


def _find_wheel(wheels: Path, project: str, version: str):
    matches = sorted(wheels.glob(f"{project}-{version}-*.whl"))
    return matches[0] if matches else None


def package_root(name: str) -> Tuple[Path, Path]:
    """(root to index, directory to check): the unpacked wheel and its top-level package."""
    root = fetch(name)
    return root, root / name
