"""The `pkify` command.

Exit codes: 0 nothing found; 1 findings, or files that could not be checked (syntax errors,
undecodable files); 2 usage or configuration errors; 3 an internal error in pkify.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from . import __version__
from .codes import CODES
from .project import FileResult, Project
from .settings import ConfigError, Settings, read_pyproject, split_list
from .sources import Excluder, SourceError, decode_source, find_root, walk_python_files

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pkify",
        description="Find Django model instances and QuerySets passed to Celery tasks.",
    )
    parser.add_argument("--version", action="version", version=f"pkify {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    check = commands.add_parser("check", help="report task calls that pass model instances or QuerySets")
    check.add_argument("paths", nargs="+", metavar="PATH", help="files or directories; - for standard input")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--select", type=split_list, metavar="CODES", help="report only these codes (prefixes)")
    check.add_argument("--ignore", type=split_list, metavar="CODES", help="do not report these codes (prefixes)")
    check.add_argument("--root", type=Path, help="the project root (default: nearest pyproject.toml, "
                       "setup.cfg, setup.py, manage.py or .git above each path)")
    check.add_argument("--exclude", type=split_list, metavar="PATTERNS", help="replace the default excludes")
    check.add_argument("--extend-exclude", type=split_list, metavar="PATTERNS", help="add to the excludes")
    check.add_argument("--task-decorators", type=split_list, metavar="NAMES",
                       help="extra decorators that make a function a Celery task")
    check.add_argument("--model-bases", type=split_list, metavar="NAMES",
                       help="extra base classes that make a class a Django model")
    check.add_argument("--stdin-filename", help="the file name to use for standard input")
    return parser


def _settings(root: Path, args: argparse.Namespace) -> Settings:
    settings = read_pyproject(root)
    overrides = {
        key: getattr(args, key)
        for key in ("select", "ignore", "exclude", "extend_exclude", "task_decorators", "model_bases")
        if getattr(args, key) is not None
    }
    return replace(settings, **overrides)


def _unknown_codes(settings: Settings) -> List[str]:
    return [c for c in (*settings.select, *settings.ignore) if not any(k.startswith(c) for k in CODES)]


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _check(args)
    except ConfigError as error:
        print(f"pkify: error: {error}", file=sys.stderr)
        return EXIT_USAGE


def _check(args: argparse.Namespace) -> int:
    stdin_source: Optional[str] = None
    targets: List[Tuple[Path, str]] = []  # (path, as the user wrote it)
    for raw in args.paths:
        if raw == "-":
            name = args.stdin_filename or "stdin"
            try:
                stdin_source = decode_source(sys.stdin.buffer.read())
            except SourceError as error:
                print(f"{name}: error: {error}", file=sys.stderr)
                return EXIT_FINDINGS
            targets.append((Path(name), name))
            continue
        path = Path(raw)
        if not path.exists():
            print(f"pkify: error: no such file or directory: {raw}", file=sys.stderr)
            return EXIT_USAGE
        targets.append((path, raw))

    # Each file belongs to the project of its nearest root marker (a monorepo holds several).
    roots: Dict[Path, Path] = {}
    settings_of: Dict[Path, Settings] = {}

    def settings_for(root: Path) -> Settings:
        if root not in settings_of:
            settings_of[root] = _settings(root, args)
            unknown = _unknown_codes(settings_of[root])
            if unknown:
                raise ConfigError(f"unknown code(s) in select/ignore: {', '.join(unknown)}")
        return settings_of[root]

    def root_of(path: Path) -> Path:
        if args.root is not None:
            return args.root.resolve()
        directory = path.parent
        if directory not in roots:
            roots[directory] = find_root(path)
        return roots[directory]

    # root -> [(order, file, display, source given on stdin)]
    groups: Dict[Path, List[Tuple[int, Path, str, Optional[str]]]] = {}
    counter = itertools.count()
    for path, raw in targets:
        if stdin_source is not None and raw == (args.stdin_filename or "stdin"):
            groups.setdefault(root_of(path.resolve()), []).append((0, path, raw, stdin_source))
            continue
        walk_root = args.root.resolve() if args.root else find_root(path)
        for file in walk_python_files([path], Excluder(settings_for(walk_root).excludes, walk_root)):
            display = raw if path.is_file() else os.path.join(raw, os.path.relpath(file, path.resolve()))
            groups.setdefault(root_of(file), []).append((next(counter), file, display, None))

    results: List[Tuple[int, FileResult]] = []
    for root, files in groups.items():
        settings = settings_for(root)
        project = Project.load(root, settings)
        excluder = Excluder(settings.excludes, root)
        for order, file, display, source in files:
            if source is None and excluder.excluded_anywhere(file):
                continue
            results.append((order, project.check(file, source, display)))
    return _report([result for _, result in sorted(results, key=lambda r: r[0])], args.format)


def _report(results: List[FileResult], output_format: str) -> int:
    findings = [f for r in results for f in r.findings]
    if output_format == "json":
        rows = [
            {"path": f.path, "line": f.line, "column": f.column, "code": f.code, "message": f.message}
            for f in findings
        ]
        print(json.dumps(rows, indent=2))
    else:
        for f in findings:
            print(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}")
    errors = [r for r in results if r.error]
    for result in errors:
        print(f"{result.path}: error: {result.error}", file=sys.stderr)
    if any(r.internal for r in errors):
        print("pkify: an internal error is a bug in pkify; please report it with the file", file=sys.stderr)
        return EXIT_INTERNAL
    return EXIT_FINDINGS if findings or errors else EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
