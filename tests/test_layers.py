"""The layers and their one-way imports, read from the source (every import, those inside
functions included; those under `if TYPE_CHECKING:` are annotations, not dependencies):

    project -> analysis -> frameworks -> rules -> fix -> api -> frontends

- `project/` is the standard library only: never libcst, never a layer above it;
- `analysis/` never imports a framework plugin (it is handed the plugins), nor a layer above;
- the front ends reach the analysis only through `pkify.api`;
- what a run with nothing to analyse loads (the CLI, the rules) does not load libcst.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, Set

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "pkify"

# What each part may import from pkify (its own part always).
BASE = {"pkify", "pkify.settings", "pkify.diagnostics"}
ALLOWED: Dict[str, Set[str]] = {
    "project": BASE,
    "settings": {"pkify.project.files"},
    "diagnostics": set(),
    "baseline": {"pkify.diagnostics"},
    "analysis": BASE | {"pkify.project"},
    "frameworks": BASE | {"pkify.project", "pkify.analysis"},
    "rules": BASE | {"pkify.project", "pkify.analysis", "pkify.frameworks"},
    "fix": BASE | {"pkify.project", "pkify.analysis", "pkify.frameworks", "pkify.rules"},
    "api": BASE | {"pkify.project", "pkify.analysis", "pkify.frameworks", "pkify.rules", "pkify.fix", "pkify.baseline"},
    "frontends": BASE | {"pkify.api", "pkify.project.files", "pkify.project.parallel"},
    "pytest_plugin": BASE | {"pkify.api"},  # a front end (pytest's entry point): through the api only
}
THIRD_PARTY = {"project": {"tomli"}, "settings": {"tomli", "tomllib"}}


def _part(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _module(path: Path) -> str:
    parts = ("pkify", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    """The absolute names a module imports, outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text())
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    type_only = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING":
            type_only.update(id(n) for child in node.body for n in ast.walk(child))
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            if module.startswith("pkify") and not node.module:
                yield from (f"{module}.{alias.name}" for alias in node.names)
            else:
                yield module


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_one_way(path: Path) -> None:
    part = _part(path)
    own = f"pkify.{part}"
    allowed = ALLOWED.get(part)
    if allowed is None:  # __init__ and __main__
        return
    stdlib = set(sys.stdlib_module_names)
    for name in _imports(path):
        top = name.split(".")[0]
        if top == "pkify":
            ok = name == own or name.startswith(own + ".") or any(
                name == a or name.startswith(a + ".") for a in allowed
            )
            # `from .. import __version__` reads as the package itself
            ok = ok or name == "pkify.__version__"
            assert ok, f"{path.relative_to(PACKAGE)} imports {name}"
        elif part in ("project", "settings", "diagnostics", "baseline"):
            assert top in stdlib or top in THIRD_PARTY.get(part, set()), f"{path.relative_to(PACKAGE)} imports {name}"


def test_the_analysis_knows_no_framework() -> None:
    """No name of Django, DRF or Celery in the analysis's code (docstrings aside): what it knows
    of them comes from the plugins."""
    for path in (PACKAGE / "analysis").rglob("*.py"):
        tree = ast.parse(path.read_text())
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node) is not None
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                for framework in ("django", "celery", "rest_framework"):
                    assert framework not in node.value.lower(), f"{path.name}: {node.value!r}"


@pytest.mark.parametrize("module", ["pkify.frontends.cli", "pkify.frontends.flake8_plugin", "pkify.rules", "pkify.api"])
def test_what_every_run_loads_does_not_load_libcst(module: str) -> None:
    code = f"import sys, {module}; print('libcst' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
