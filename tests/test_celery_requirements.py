"""The lowest Celery version a project's requirement files allow (read as text): it decides
whether `pkify fix` may write `delay_on_commit()`."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest

from pkify.frameworks.celery.requirements import lowest_celery

CASES: Dict[str, Tuple[Dict[str, str], Optional[Tuple[int, ...]]]] = {
    "pinned": ({"requirements.txt": "Django==5.1\ncelery==5.4.0\n"}, (5, 4, 0)),
    "lower bound with extras": ({"requirements.txt": "celery[redis]>=5.4,<6\n"}, (5, 4)),
    "too old": ({"requirements.txt": "celery>=5.3\n"}, (5, 3)),
    "unpinned": ({"requirements.txt": "celery\n"}, None),
    "only neighbours": ({"requirements.txt": "django-celery-beat>=2.5\ncelery-progress==0.3\n"}, None),
    "neighbours and celery": ({"requirements.txt": "celery-progress==0.3\ncelery~=5.5.1\n"}, (5, 5, 1)),
    "requirements folder": ({"requirements/base.txt": "celery>=5.4\n"}, (5, 4)),
    "two files disagree": ({"requirements.txt": "celery>=5.4\n", "requirements-old.txt": "celery==4.4.7\n"}, (4, 4, 7)),
    "pyproject": ({"pyproject.toml": '[project]\ndependencies = ["django>=4.2", "celery[redis]>=5.4"]\n'}, (5, 4)),
    "poetry": ({"pyproject.toml": '[tool.poetry.dependencies]\ncelery = "^5.4"\n'}, (5, 4)),
    "poetry table": ({"pyproject.toml": '[tool.poetry.dependencies]\ncelery = {version = "~5.4", extras = ["redis"]}\n'}, (5, 4)),
    "poetry lock": ({"poetry.lock": '[[package]]\nname = "celery"\nversion = "5.4.0"\n'}, (5, 4, 0)),
    "pipfile lock": ({"Pipfile.lock": '{"default": {"celery": {"hashes": [], "version": "==5.5.2"}}}'}, (5, 5, 2)),
    "setup.py": ({"setup.py": 'setup(install_requires=["celery>=5.4.0"])\n'}, (5, 4, 0)),
    "no requirement files": ({}, None),
    "celery only in prose": ({"setup.cfg": "[metadata]\ndescription = tasks for celery\n"}, None),
}


@pytest.mark.parametrize("name", CASES)
def test_lowest_celery(tmp_path: Path, name: str) -> None:
    files, expected = CASES[name]
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    project = tmp_path / "src"
    project.mkdir()
    assert lowest_celery(project) == expected
