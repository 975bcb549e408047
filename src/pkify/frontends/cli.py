"""The `pkify` command.

Exit codes: 0 nothing found; 1 findings, or files that could not be checked (syntax errors,
undecodable files); 2 usage or configuration errors; 3 an internal error in pkify.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

from .. import __version__
from ..api import (
    RULES,
    Baseline,
    BaselineError,
    FixOptions,
    Session,
    coverage,
    fixed_message,
    relative_path,
    shown,
    unified_diff,
    write_atomically,
)
from ..diagnostics import FileResult
from ..fix.apply import WriteError, read_only
from ..fix.options import display
from ..project.files import (
    Excluder,
    SourceError,
    absolute,
    decode_source,
    find_root,
    is_python_file,
    read_source,
    walk_python_files,
)
from ..project.parallel import FEW_COLLECTIONS, project_loaded, with_deep_stack
from ..project.regions import split_lines
from ..settings import SERIALIZERS, ConfigError, Settings, parse_per_file_ignores, resolve, split_list
from . import reporters

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
    check.add_argument("--format", choices=reporters.FORMATS, default="text",
                       help="text (flake8's), json, sarif (SARIF 2.1.0) or github (Actions annotations)")
    check.add_argument("--exit-zero", action="store_true",
                       help="exit 0 even when there are findings (2 and 3 still mean usage and internal errors)")
    check.add_argument("--statistics", action="store_true", help="count the findings of each code, after them")
    check.add_argument("--show-source", action="store_true",
                       help="show each finding's line, with a caret under its column (text format)")
    check.add_argument("--baseline", type=Path, metavar="FILE",
                       help="report only the findings that are not in this baseline file (also: `baseline` in "
                       "[tool.pkify])")
    baseline = check.add_mutually_exclusive_group()
    baseline.add_argument("--write-baseline", type=Path, metavar="FILE",
                          help="write the findings to this baseline file (its entries for files not checked "
                          "are kept) and report none of them")
    baseline.add_argument("--prune-baseline", action="store_true",
                          help="remove the findings fixed since from the baseline file; it never grows")
    _project_options(check)
    check.add_argument("--stdin-filename", help="the file name to use for standard input")

    rule = commands.add_parser("rule", help="explain a code (or list them all)")
    rule.add_argument("code", nargs="?", metavar="CODE", help="e.g. CEL101; without it, every code")

    commands.add_parser("lsp", help="run the language server for editors, over standard input and output "
                        "(needs the lsp extra: pip install 'pkify[lsp]')")

    fix = commands.add_parser(
        "fix",
        help="rewrite call sites to pass primary keys and make each task fetch its rows",
        description="Rewrite the tasks that the named files send model instances or QuerySets to, "
        "together with every call site of those tasks in the project, and defer the sends that "
        "stand in an open transaction to its commit. Exit status 1 when files "
        "were (or, with --diff/--check, would be) changed.",
    )
    fix.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    mode = fix.add_mutually_exclusive_group()
    mode.add_argument("--diff", action="store_true", help="print a unified diff and write nothing")
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 if anything would change")
    fix.add_argument("--missing", choices=("raise", "skip"), default="raise",
                     help="when the row is gone by the time the task runs: raise DoesNotExist (default), "
                     "or skip: return early")
    fix.add_argument("--imports", choices=("local", "top"), default="local",
                     help="import the model inside the task (default; avoids circular imports) or at the "
                     "top of its module")
    fix.add_argument("--compat", action="store_true",
                     help="for a rolling deploy: each task also accepts the messages sent before the fix "
                     "(the old parameter, instances where keys are now expected); a later plain fix removes "
                     "that code")
    _project_options(fix)
    return parser


def _project_options(parser: argparse.ArgumentParser) -> None:
    """The options `check` and `fix` share: what is reported (and so what is fixed), and how the
    project is read."""
    parser.add_argument("--select", type=split_list, metavar="CODES", help="report only these codes (prefixes)")
    parser.add_argument("--ignore", type=split_list, metavar="CODES", help="do not report these codes (prefixes)")
    parser.add_argument("--per-file-ignores", type=_per_file_ignores, metavar="PATTERN:CODES",
                        help="codes not reported in some files, as flake8's: 'tests/*:CEL101 admin.py:CEL102'")
    parser.add_argument("--serializer", choices=SERIALIZERS, help="Celery's task serializer (default: json)")
    parser.add_argument("-j", "--jobs", type=int, metavar="N",
                        help="worker processes for files not in the cache (default: the number of CPUs)")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write the cache (also: PKIFY_NO_CACHE=1)")
    parser.add_argument("--root", type=Path, help="the project root (default: nearest pyproject.toml, "
                        "setup.cfg, setup.py, manage.py or .git above each path)")
    parser.add_argument("--exclude", type=split_list, metavar="PATTERNS", help="replace the default excludes")
    parser.add_argument("--extend-exclude", type=split_list, metavar="PATTERNS", help="add to the excludes")
    parser.add_argument("--task-decorators", type=split_list, metavar="NAMES",
                        help="extra decorators that make a function a Celery task")
    parser.add_argument("--model-bases", type=split_list, metavar="NAMES",
                        help="extra base classes that make a class a Django model")
    parser.add_argument("--libraries", type=split_list, metavar="PACKAGES",
                        help="installed packages whose source is read with the project's (a pretix plugin: pretix)")


def _per_file_ignores(value: str):
    try:
        return parse_per_file_ignores(value, "per-file-ignores")
    except ConfigError as error:  # argparse names the option itself
        raise argparse.ArgumentTypeError(str(error).replace("per-file-ignores: ", "", 1)) from None


def _settings(root: Path, args: argparse.Namespace) -> Settings:
    overrides = {
        key: getattr(args, key, None)
        for key in ("select", "ignore", "exclude", "extend_exclude", "task_decorators", "model_bases",
                    "libraries", "serializer", "per_file_ignores")
    }
    baseline = getattr(args, "baseline", None)
    overrides["baseline"] = str(absolute(baseline)) if baseline is not None else None
    return resolve(root, overrides, tuple(RULES))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "check" and args.show_source and args.format != "text":
        parser.error("--show-source works with --format text only")
    if args.command == "check" and args.write_baseline and args.baseline:
        parser.error("--write-baseline FILE writes the baseline; it cannot be given with --baseline")
    try:
        if args.command == "lsp":
            return _lsp()
        if args.command == "rule":
            status = _rule(args.code)
        else:
            gc.set_threshold(*FEW_COLLECTIONS)  # for the whole run
            status = with_deep_stack(_fix if args.command == "fix" else _check, args)
        sys.stdout.flush()  # here, not at exit, where a closed pipe could no longer be caught
        return status
    except (ConfigError, BaselineError) as error:
        print(f"pkify: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `pkify check . | head`: the reader has gone, and that is fine
        devnull = os.open(os.devnull, os.O_WRONLY)  # what is still buffered goes nowhere
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FINDINGS


def _named_paths(raws: Sequence[str]) -> Optional[List[Path]]:
    """The paths `fix` was given, or None when one cannot be (said on stderr)."""
    paths = []
    for raw in raws:
        if raw == "-":
            print("pkify: error: fix cannot read standard input; give file or directory paths", file=sys.stderr)
            return None
        path = Path(raw)
        if not _usable(path, raw):
            return None
        paths.append(path)
    return paths


def _usable(path: Path, raw: str) -> bool:
    """A path named on the command line exists and, when a file, is Python (said on stderr if
    not). Within a directory only `.py` files are read, but a file named explicitly is read
    whatever its name, as flake8 does, so that scripts are too: `README.md` is refused rather
    than reported as a syntax error."""
    if not path.exists():
        print(f"pkify: error: no such file or directory: {raw}", file=sys.stderr)
        return False
    if path.is_file() and not is_python_file(path):
        print(f"pkify: error: not a Python file: {raw}", file=sys.stderr)
        return False
    return True


def _fix(args: argparse.Namespace) -> int:
    paths = _named_paths(args.paths)
    if paths is None:
        return EXIT_USAGE
    named: Dict[Path, List[Path]] = {}  # root -> the paths named in it
    for target in paths:
        root = absolute(args.root or find_root(target))
        named.setdefault(root, []).append(target)
    options = FixOptions(missing=args.missing, imports=args.imports, progress=sys.stderr.isatty(), compat=args.compat)
    changes: Dict[str, Tuple[str, str]] = {}
    together: List[Set[str]] = []  # the files each changed task's rewrite spans
    failed = False
    jobs = args.jobs or os.cpu_count() or 1
    for root, paths in named.items():
        session = Session.open(root, _settings(root, args), use_cache=not args.no_cache, jobs=jobs)
        project_loaded()
        try:
            plan = session.plan_fix(paths, options, jobs)
        except Exception as error:  # a bug in pkify: nothing is written
            print(f"pkify: internal error: {type(error).__name__}: {error}", file=sys.stderr)
            print("pkify: an internal error is a bug in pkify; please report it", file=sys.stderr)
            return EXIT_INTERNAL
        session.save()
        for line in plan.describe():
            print(f"pkify: {line}", file=sys.stderr)
        for message in _once_per_file(plan.errors):
            print(message, file=sys.stderr)
        failed |= bool(plan.errors)
        changes.update(plan.changed)
        together.extend(d.paths for d in plan.decisions if d.reason is None)
    for path, (old, new) in sorted(changes.items()):
        if args.diff:
            print(unified_diff(path, old, new), end="")
    written = len(changes)
    if changes and not (args.diff or args.check):
        held = _held_back(changes, together)
        failed |= bool(held)
        files = {Path(path): new for path, (_, new) in changes.items() if path not in held}
        try:
            write_atomically(files)
        except WriteError as error:  # nothing was written, unless a rename failed half-way
            where = f"{display(error.filename)}: " if error.filename else ""
            done = f"{len(error.replaced)} file(s) were rewritten first" if error.replaced else "no file was changed"
            print(f"pkify: error: {where}cannot write: {error.strerror}; {done}", file=sys.stderr)
            return EXIT_FINDINGS
        written = len(files)
    verb = "would be rewritten" if args.diff or args.check else "rewritten"
    if written:
        print(f"pkify: {written} file(s) {verb}", file=sys.stderr)
    return EXIT_FINDINGS if changes or failed else EXIT_CLEAN


def _once_per_file(errors: List[str]) -> List[str]:
    """One error per file (`path: error: ...`), the first: the check's, as `pkify check` words
    it, when the rewrite read the file again and failed too."""
    seen: Set[str] = set()
    kept = []
    for error in errors:
        path = error.split(": error: ", 1)[0]
        if path not in seen:
            seen.add(path)
            kept.append(error)
    return kept


def _held_back(changes: Dict[str, Tuple[str, str]], together: List[Set[str]]) -> Set[str]:
    """The changed files not to write, said on stderr: the read-only ones (or in a read-only
    directory), and every file that a task's rewrite changes together with one of them, for a
    task's signature never changes without all its call sites. The other tasks are rewritten."""
    blocked: Dict[str, str] = {}
    for path in changes:
        kind = read_only(Path(path))
        if kind is not None:
            blocked[path] = kind
    if not blocked:
        return set()
    group = {path: {path} for path in changes}  # the files that must be written together
    for paths in together:
        members = set().union(*(group.get(p, {p}) for p in paths)) & set(changes)
        for member in members:
            group[member] = members
    held: Set[str] = set()
    in_directory: Dict[str, List[str]] = {}
    for path, kind in blocked.items():
        held |= group[path]
        if kind == "directory":
            in_directory.setdefault(os.path.dirname(path), []).append(path)
    for path, kind in sorted(blocked.items()):
        others = len(group[path] - set(blocked))
        also = f"; {others} other file(s) the same tasks change are left unchanged too" if others else ""
        if kind == "file":
            print(f"{display(path)}: error: cannot rewrite a read-only file{also}", file=sys.stderr)
    for directory, inside in sorted(in_directory.items()):
        others = len(set().union(*(group[p] for p in inside)) - set(blocked))
        also = f"; {others} other file(s) the same tasks change are left unchanged too" if others else ""
        names = ", ".join(sorted(os.path.basename(p) for p in inside))
        print(f"{display(directory) or '.'}: error: cannot rewrite {names} in a read-only directory{also}",
              file=sys.stderr)
    return held


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
        if not _usable(path, raw):
            return EXIT_USAGE
        targets.append((path, raw))

    # Each file belongs to the project of its nearest root marker (a monorepo holds several).
    roots: Dict[Path, Path] = {}
    settings_of: Dict[Path, Settings] = {}

    def settings_for(root: Path) -> Settings:
        if root not in settings_of:
            settings_of[root] = _settings(root, args)
        return settings_of[root]

    directories: Dict[str, Tuple[bool, bool]] = {}  # what find_root learnt of each directory

    def root_of(path: Path) -> Path:
        if args.root is not None:
            return absolute(args.root)
        directory = path.parent
        if directory not in roots:
            roots[directory] = find_root(path, directories)
        return roots[directory]

    # root -> [(order, file, display, source given on stdin, the root its walk excluded from)]
    groups: Dict[Path, List[Tuple[int, Path, str, Optional[str], Optional[Path]]]] = {}
    # root -> its project's files, when a walk of the root itself found them (not walked again)
    walked: Dict[Path, List[Path]] = {}
    counter = itertools.count()
    for path, raw in targets:
        if stdin_source is not None and raw == (args.stdin_filename or "stdin"):
            groups.setdefault(root_of(absolute(path)), []).append((0, path, raw, stdin_source, None))
            continue
        walk_root = absolute(args.root) if args.root else find_root(path, directories)
        whole = absolute(path) == walk_root and directories.get(str(walk_root), (False, False))[1]
        found = []
        for file in walk_python_files([path], Excluder(settings_for(walk_root).excludes, walk_root)):
            display = os.path.join(raw, os.path.relpath(file, absolute(path))) if path.is_dir() else raw
            root = root_of(file)
            groups.setdefault(root, []).append((next(counter), file, display, None, walk_root))
            if whole and root == walk_root:
                found.append(file)
        if whole:
            walked[walk_root] = found

    baselines = _baselines(args, {root: settings_for(root) for root in groups})  # read before the work
    results: List[Tuple[int, FileResult]] = []
    where: Dict[int, Tuple[Path, Path]] = {}  # order -> (root, absolute file)
    jobs = args.jobs or os.cpu_count() or 1
    for root, files in groups.items():
        settings = settings_for(root)
        session = Session.open(root, settings, use_cache=not args.no_cache, jobs=jobs, files=walked.get(root))
        project_loaded()
        excluder = Excluder(settings.excludes, root)
        on_disk = []
        for order, file, display, source, walked_from in files:
            where[order] = (root, absolute(file))
            if source is not None:
                results.append((order, session.check(file, source, display)))
            elif walked_from == root or not excluder.excluded_anywhere(file):
                on_disk.append((order, file, display))
        checked = session.check_many([(file, display) for _, file, display in on_disk], jobs=jobs)
        results.extend((order, result) for (order, _, _), result in zip(on_disk, checked))
        session.save()
    results.sort(key=lambda r: r[0])
    if baselines:
        results = _against_baselines(results, where, baselines, settings_for, args)
    ordered = [result for _, result in results]
    return _report(ordered, args, stdin_source)


def _baselines(args: argparse.Namespace, settings: Dict[Path, Settings]) -> Dict[Path, Tuple[Path, Baseline]]:
    """root -> (the baseline file, its findings) for the roots that have one: `--write-baseline`'s
    for every root (an empty one when the file does not exist yet), else `--baseline` or
    `[tool.pkify]`'s. Read once per file; BaselineError when one cannot be used."""
    read: Dict[Path, Baseline] = {}
    found: Dict[Path, Tuple[Path, Baseline]] = {}
    for root, root_settings in settings.items():
        if args.write_baseline is not None:
            path = absolute(args.write_baseline)
        elif root_settings.baseline is not None:
            path = Path(root_settings.baseline)
        else:
            continue
        if path not in read:
            read[path] = Baseline.read(path, missing_ok=args.write_baseline is not None)
        found[root] = (path, read[path])
    if args.prune_baseline and not found:
        raise ConfigError("--prune-baseline needs a baseline: --baseline FILE, or `baseline` in [tool.pkify]")
    return found


def _against_baselines(
    results: List[Tuple[int, FileResult]],
    where: Dict[int, Tuple[Path, Path]],
    baselines: Dict[Path, Tuple[Path, Baseline]],
    settings_for: Callable[[Path], Settings],
    args: argparse.Namespace,
) -> List[Tuple[int, FileResult]]:
    """The results less the findings their baseline holds; what was fixed since, said on
    stderr; with --write-baseline or --prune-baseline, the file rewritten first."""
    kept: Dict[int, FileResult] = dict(results)
    files: Dict[Path, Dict[str, Callable[[str], bool]]] = {}  # baseline -> checked file -> wants(code)
    findings: Dict[Path, List[Tuple[int, int, str]]] = {}  # baseline -> (order, index, file)
    for order, result in results:
        root, file = where[order]
        if root not in baselines or result.error is not None:
            continue  # a file that could not be checked says nothing of its entries
        path = baselines[root][0]
        relative = relative_path(file, root)
        files.setdefault(path, {})[relative] = settings_for(root).for_file(file, root).wants
        findings.setdefault(path, []).extend((order, index, relative) for index in range(len(result.diagnostics)))
    for path, baseline in dict(baselines.values()).items():
        roots = [root for root, (other, _) in baselines.items() if other == path]
        covered = coverage(files.get(path, {}), roots)
        entries = findings.get(path, [])
        pairs = [(relative, kept[order].diagnostics[index]) for order, index, relative in entries]
        comparison = baseline.compare(pairs)
        if args.write_baseline is not None:
            baseline = comparison.updated(covered)
            baseline.write(path)
            comparison = baseline.compare(pairs)
            print(f"pkify: baseline: wrote {len(baseline)} finding(s) to {shown(path)}", file=sys.stderr)
        elif args.prune_baseline:
            fixed = comparison.fixed(covered)
            if fixed:
                comparison.pruned(covered).write(path)
            print(f"pkify: baseline: removed {fixed} fixed finding(s) from {shown(path)}", file=sys.stderr)
        else:
            fixed = comparison.fixed(covered)
            if fixed:
                print(fixed_message(fixed, path, "run with --prune-baseline"), file=sys.stderr)
        known: Dict[int, Set[int]] = {}
        for number in comparison.known:
            order, index, _ = entries[number]
            known.setdefault(order, set()).add(index)
        for order, indexes in known.items():
            result = kept[order]
            kept[order] = replace(result, diagnostics=[d for i, d in enumerate(result.diagnostics) if i not in indexes])
    return [(order, kept[order]) for order, _ in results]


def _report(results: List[FileResult], args: argparse.Namespace, stdin_source: Optional[str] = None) -> int:
    findings = reporters.diagnostics_of(results)
    show_source = _line_reader(args.stdin_filename or "stdin", stdin_source) if args.show_source else None
    sys.stdout.write(reporters.render(args.format, results, show_source))
    if args.statistics and findings:
        # After the findings, as flake8 prints them; on stderr when stdout is a JSON document.
        machine = args.format in ("json", "sarif")
        (sys.stderr if machine else sys.stdout).write(reporters.statistics(findings))
    errors = [r for r in results if r.error]
    for result in errors:
        print(f"{result.path}: error: {result.error}", file=sys.stderr)
    if any(r.internal for r in errors):
        print("pkify: an internal error is a bug in pkify; please report it with the file", file=sys.stderr)
        return EXIT_INTERNAL
    if args.exit_zero:
        return EXIT_CLEAN
    return EXIT_FINDINGS if findings or errors else EXIT_CLEAN


def _line_reader(stdin_name: str, stdin_source: Optional[str]) -> reporters.LineReader:
    cache: Dict[str, List[str]] = {}

    def line(path: str, number: int) -> Optional[str]:
        if path not in cache:
            try:
                source = stdin_source if path == stdin_name and stdin_source is not None else read_source(Path(path))
            except SourceError:
                source = ""
            cache[path] = [line.rstrip("\r\n") for line in split_lines(source)]
        lines = cache[path]
        return lines[number - 1] if 0 < number <= len(lines) else None

    return line


def _lsp() -> int:
    try:
        from .lsp import serve
    except ImportError as error:
        if (error.name or "").split(".")[0] not in ("pygls", "lsprotocol"):
            raise
        print("pkify lsp needs the lsp extra: pip install 'pkify[lsp]'", file=sys.stderr)
        return EXIT_USAGE
    return serve()


def _rule(code: Optional[str]) -> int:
    if code is None:
        from .rules_doc import rule_list

        sys.stdout.write(rule_list())
        return EXIT_CLEAN
    found = RULES.get(code.upper())
    if found is None:
        print(f"pkify: error: unknown code {code} (known: {', '.join(RULES)})", file=sys.stderr)
        return EXIT_USAGE
    from .rules_doc import rule_markdown

    sys.stdout.write(rule_markdown(found))
    return EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
