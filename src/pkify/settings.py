"""Settings, from `[tool.pkify]` in `pyproject.toml`, flake8 options or the command line."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

from .project.files import DEFAULT_EXCLUDE, Excluder, absolute, find_library

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.9 and 3.10
    import tomli as tomllib


class ConfigError(Exception):
    """A configuration value pkify cannot use; the message names the file and the key."""


# Celery's serializers. Only `pickle` can send a model instance at all; the others raise
# `EncodeError` when the task is sent. The codes stay the same; only the explanation changes.
SERIALIZERS = ("json", "msgpack", "pickle", "yaml")

# pattern -> codes (or prefixes) not reported in the files it matches
PerFileIgnores = Tuple[Tuple[str, Tuple[str, ...]], ...]


@dataclass(frozen=True)
class Settings:
    # Extra decorators that make a function a Celery task: dotted names (`proj.utils.task`),
    # matched against what the decorator resolves to; a bare name matches any module's.
    task_decorators: Tuple[str, ...] = ()
    # Extra base classes that make a class a Django model (for bases pkify cannot see).
    model_bases: Tuple[str, ...] = ()
    # Installed packages whose source is read with the project's (a pretix plugin: `pretix`):
    # their models, tasks, signals and helpers are known; nothing in them is reported or fixed.
    libraries: Tuple[str, ...] = ()
    exclude: Tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: Tuple[str, ...] = ()
    select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    # The task serializer (Celery's `task_serializer`): what the messages explain. None: what the
    # project configures (read from its settings), else json.
    serializer: Optional[str] = None
    # flake8's `per-file-ignores`: glob patterns (matched like `exclude`, relative to the
    # project root) and the codes not reported in the files they match.
    per_file_ignores: PerFileIgnores = ()
    root: Optional[Path] = field(default=None, compare=False)
    # The baseline file (pkify.baseline), an absolute path: what is reported, not what is found,
    # so it is left out of the settings' repr, which keys the cache.
    baseline: Optional[str] = field(default=None, compare=False, repr=False)

    @property
    def excludes(self) -> Tuple[str, ...]:
        return self.exclude + self.extend_exclude

    def wants(self, code: str) -> bool:
        """flake8's rule: the longest matching prefix of select / ignore decides."""

        def longest_match(prefixes: Tuple[str, ...]) -> int:
            return max((len(p) for p in prefixes if code.startswith(p)), default=-1)

        selected = longest_match(self.select) if self.select else 0
        return selected >= 0 and selected > longest_match(self.ignore)

    def for_file(self, path: Path, root: Path) -> "Settings":
        """The settings for one file: `ignore` extended with the codes of every
        `per-file-ignores` pattern that matches it (as flake8 extends its ignore list)."""
        extra = tuple(
            code
            for pattern, codes in self.per_file_ignores
            if Excluder([pattern], root).excluded(path)
            for code in codes
        )
        return replace(self, ignore=self.ignore + extra) if extra else self


LIST_KEYS = {
    "task-decorators": "task_decorators",
    "model-bases": "model_bases",
    "libraries": "libraries",
    "exclude": "exclude",
    "extend-exclude": "extend_exclude",
    "select": "select",
    "ignore": "ignore",
}


KNOWN_KEYS = (*LIST_KEYS, "serializer", "per-file-ignores", "baseline")


def split_list(value: str) -> Tuple[str, ...]:
    """A comma or whitespace separated list, as flake8 options are written."""
    return tuple(part for part in value.replace(",", " ").split() if part)


def check_serializer(value: Any, source: str) -> str:
    if not isinstance(value, str) or value.strip().lower() not in SERIALIZERS:
        raise ConfigError(f"{source}: `serializer` must be one of {', '.join(SERIALIZERS)}, not {value!r}")
    return value.strip().lower()


_CODE = re.compile(r"[A-Z]+[0-9]*\Z")


def parse_per_file_ignores(value: str, source: str = "per-file-ignores") -> PerFileIgnores:
    """flake8's syntax: `pattern[,pattern...]:CODE[,CODE...]` entries, separated by whitespace,
    e.g. `tests/*:CEL101 admin.py,views.py: CEL102, CEL103`."""
    entries = []
    patterns: list = []
    codes: list = []
    seen_colon = False

    def close() -> None:
        if patterns:
            if not seen_colon or not codes:
                raise ConfigError(f"{source}: expected `pattern: CODES` after {' '.join(patterns)!r} in {value!r}")
            entries.extend((p, tuple(codes)) for p in patterns)

    for token in re.findall(r":|[^\s,:]+", value):
        if token == ":":
            if not patterns or seen_colon:
                raise ConfigError(f"{source}: misplaced `:` in {value!r} (expected `pattern: CODES`)")
            seen_colon = True
        elif seen_colon and _CODE.match(token):
            codes.append(token)
        else:
            if seen_colon:
                close()
                patterns, codes, seen_colon = [], [], False
            patterns.append(token)
    close()
    return tuple(entries)


def check_per_file_ignores(value: Any, source: str) -> PerFileIgnores:
    """A TOML table `pattern = ["CODE", ...]` (a comma separated string works too), or a string
    in flake8's syntax."""
    if isinstance(value, str):
        return parse_per_file_ignores(value, f"{source}: `per-file-ignores`")
    if not isinstance(value, dict):
        raise ConfigError(
            f"{source}: `per-file-ignores` must be a table of pattern = [codes], not {value!r}"
        )
    entries = []
    for pattern, codes in value.items():
        if isinstance(codes, str):
            codes = split_list(codes)
        if not isinstance(codes, (list, tuple)) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(
                f"{source}: `per-file-ignores` entry {pattern!r} must be a list of codes, not {codes!r}"
            )
        bad = [c for c in codes if not _CODE.match(c)]
        if bad or not codes:
            raise ConfigError(
                f"{source}: `per-file-ignores` entry {pattern!r} must list codes like \"CEL101\", "
                f"not {list(codes)!r}"
            )
        entries.append((pattern, tuple(codes)))
    return tuple(entries)


def apply_mapping(settings: Settings, mapping: Mapping[str, Any], source: str) -> Settings:
    changes: Dict[str, Any] = {}
    for key, value in mapping.items():
        if key == "serializer":
            changes["serializer"] = check_serializer(value, source)
            continue
        if key == "per-file-ignores":
            changes["per_file_ignores"] = check_per_file_ignores(value, source)
            continue
        if key == "baseline":
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{source}: `baseline` must be a file path (a string), not {value!r}")
            changes["baseline"] = value.strip()
            continue
        attribute = LIST_KEYS.get(key)
        if attribute is None:
            known = ", ".join(sorted(KNOWN_KEYS))
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
    settings = apply_mapping(settings, table, f"{path} [tool.pkify]")
    if "baseline" in table and settings.baseline is not None:  # relative to the pyproject.toml's directory
        settings = replace(settings, baseline=str(absolute(path.parent / settings.baseline)))
    return settings


# Keys whose command-line or flake8 value adds to the file's instead of replacing it.
EXTENDING = ("extend_exclude", "per_file_ignores")


def resolve(root: Path, overrides: Optional[Mapping[str, Any]] = None, known_codes: Tuple[str, ...] = ()) -> Settings:
    """The one merge rule of every front end: `[tool.pkify]` of `root/pyproject.toml`, then the
    `overrides` given on the command line or in flake8's configuration (attribute names of
    `Settings`; None: not given). `extend_exclude` and `per_file_ignores` add to the file's;
    every other key replaces it. `baseline` in the file is relative to its directory; front ends
    give it absolute. Codes that name no rule (`known_codes`) are an error."""
    settings = read_pyproject(root)
    changes: Dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        changes[key] = getattr(settings, key) + tuple(value) if key in EXTENDING else value
    settings = replace(settings, **changes)
    if known_codes:
        check_codes(settings, known_codes)
    check_libraries(settings)
    return settings


def check_libraries(settings: Settings) -> None:
    """Every package named in `libraries` must be installed where pkify runs, with its source
    (else the results would differ from a run where it is, silently)."""
    for name in settings.libraries:
        if not name.isidentifier():
            raise ConfigError(f"`libraries`: {name!r} is not a top-level package name")
        kind, _ = find_library(name)
        if kind is None:
            raise ConfigError(
                f"`libraries`: no Python package {name!r} in the environment pkify runs in ({sys.executable}); "
                "install it there (pre-commit: `additional_dependencies`)"
            )
        if kind == "namespace":
            raise ConfigError(f"`libraries`: {name!r} is a namespace package (no __init__.py), which pkify cannot read")
        if kind == "compiled":
            raise ConfigError(f"`libraries`: {name!r} has no Python source to read")


def check_codes(settings: Settings, known: Tuple[str, ...]) -> None:
    """Every code in select / ignore / per-file-ignores must be a prefix of a known one."""

    def unknown(codes) -> list:
        return [c for c in codes if not any(k.startswith(c) for k in known)]

    bad = unknown((*settings.select, *settings.ignore))
    if bad:
        raise ConfigError(f"unknown code(s) in select/ignore: {', '.join(bad)}")
    bad = unknown([c for _, codes in settings.per_file_ignores for c in codes])
    if bad:
        raise ConfigError(f"unknown code(s) in per-file-ignores: {', '.join(bad)}")
