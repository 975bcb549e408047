"""Settings, from `[tool.pkify]` in `pyproject.toml`, flake8 options or the command line."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Optional, Tuple

from .sources import DEFAULT_EXCLUDE

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.9 and 3.10
    import tomli as tomllib


class ConfigError(Exception):
    """A configuration value pkify cannot use; the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    # Extra decorators that make a function a Celery task: dotted names (`proj.utils.task`),
    # matched against what the decorator resolves to; a bare name matches any module's.
    task_decorators: Tuple[str, ...] = ()
    # Extra base classes that make a class a Django model (for bases pkify cannot see).
    model_bases: Tuple[str, ...] = ()
    exclude: Tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: Tuple[str, ...] = ()
    select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    root: Optional[Path] = field(default=None, compare=False)

    @property
    def excludes(self) -> Tuple[str, ...]:
        return self.exclude + self.extend_exclude

    def wants(self, code: str) -> bool:
        """flake8's rule: the longest matching prefix of select / ignore decides."""

        def longest_match(prefixes: Tuple[str, ...]) -> int:
            return max((len(p) for p in prefixes if code.startswith(p)), default=-1)

        selected = longest_match(self.select) if self.select else 0
        return selected >= 0 and selected > longest_match(self.ignore)


LIST_KEYS = {
    "task-decorators": "task_decorators",
    "model-bases": "model_bases",
    "exclude": "exclude",
    "extend-exclude": "extend_exclude",
    "select": "select",
    "ignore": "ignore",
}


def split_list(value: str) -> Tuple[str, ...]:
    """A comma or whitespace separated list, as flake8 options are written."""
    return tuple(part for part in value.replace(",", " ").split() if part)


def apply_mapping(settings: Settings, mapping: Mapping[str, Any], source: str) -> Settings:
    changes = {}
    for key, value in mapping.items():
        attribute = LIST_KEYS.get(key)
        if attribute is None:
            known = ", ".join(sorted(LIST_KEYS))
            raise ConfigError(f"{source}: unknown key `{key}` (known keys: {known})")
        if isinstance(value, str):
            value = split_list(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = tuple(value)
        else:
            raise ConfigError(f"{source}: `{key}` must be a list of strings, not {value!r}")
        changes[attribute] = value
    return replace(settings, **changes)


def read_pyproject(root: Path, settings: Optional[Settings] = None) -> Settings:
    """`settings` updated with `[tool.pkify]` from `root/pyproject.toml`, if there is one."""
    settings = settings or Settings()
    path = root / "pyproject.toml"
    if not path.is_file():
        return settings
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    table = data.get("tool", {}).get("pkify", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.pkify] must be a table")
    return apply_mapping(settings, table, f"{path} [tool.pkify]")
