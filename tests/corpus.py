"""Public Django + Celery applications from PyPI, for smoke tests and benchmarks.

Wheels are fetched with `pip download --no-deps --only-binary :all:` (a wheel unzips without a
build) into a cache outside the repository: `$PKIFY_CORPUS_CACHE`, else `~/.cache/pkify-corpus`.
Their code is never committed.

CORPUS is what the corpus tests (tests/test_corpus.py) and benchmarks/run.py run over.
RECALL_ONLY adds applications that only benchmarks/recall.py measures, and RECALL_CORPUS is its
default list; RECALL_NAMED, applications it measures when they are named. A corpus is named after
the top-level package that pkify checks.
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

# Measured by benchmarks/recall.py only, so that they do not slow down the test suite.
RECALL_ONLY = {
    "mayan": ("mayan-edms==4.12.2", ()),
    "openwisp_controller": ("openwisp-controller==1.3.2", ()),
    "openwisp_monitoring": ("openwisp-monitoring==1.3", ()),
    "geonode": ("geonode==5.1.1", ()),
}

# Tried as a new user would, measured when named (`benchmarks/recall.py --corpus misago ...`):
# not in the default list, whose corpora the recall targets were set on.
RECALL_NAMED = {
    "arches": ("arches==8.1.5", ()),
    "misago": ("misago==0.39.6", ()),
    "pretalx": ("pretalx==2025.2.2", ()),
    "allianceauth": ("allianceauth==5.5.0", ()),
}

# What a user of an application has installed besides it, among the corpora: the packages its
# pkify configuration names in `libraries` (openwisp-monitoring is a module of
# openwisp-controller: its models, signals and test helpers are there). benchmarks/recall.py puts
# them on PYTHONPATH and names them with --libraries.
LIBRARIES = {
    "openwisp_monitoring": ("openwisp_controller",),
}

# benchmarks/recall.py's default list; nautobot (no task argument to plant) and saleor can still
# be named.
RECALL_CORPUS = ("pretix", "weblate", *RECALL_ONLY)


def cache_dir() -> Path:
    return Path(os.environ.get("PKIFY_CORPUS_CACHE", Path.home() / ".cache" / "pkify-corpus"))


def fetch(name: str) -> Path:
    """The unpacked wheel of a corpus application (downloaded once)."""
    requirement, extra = {**CORPUS, **RECALL_ONLY, **RECALL_NAMED}[name]
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
    project = project.replace("-", "_")  # as wheel file names spell it: mayan_edms-4.12.2-...
    matches = sorted(wheels.glob(f"{project}-{version}-*.whl"))
    return matches[0] if matches else None


def package_root(name: str) -> Tuple[Path, Path]:
    """(root to index, directory to check): the unpacked wheel and its top-level package."""
    root = fetch(name)
    return root, root / name
