#!/usr/bin/env python3
"""pkify's recall on real code: plant the bug in public Django + Celery applications and count
how many of the planted bugs `pkify check` reports.

    python benchmarks/recall.py [--corpus pretix weblate ...] [--json FILE] [--keep]

The corpora are those of tests/corpus.py: by default RECALL_CORPUS (pretix, weblate, mayan,
openwisp_controller, openwisp_monitoring, geonode); nautobot, saleor and RECALL_NAMED's (arches,
misago, pretalx, allianceauth) can be named.

pkify runs as `python -m pkify check --format json --no-cache --select CEL101,CEL102,CEL103 --root
COPY COPY/PACKAGE` (the codes a planted bug makes; for a corpus that tests/corpus.py's LIBRARIES
says is installed beside other corpora, with `--libraries` naming them and their unpacked wheels
on PYTHONPATH, as its users' configuration would name them), with
the Python that runs this script, from a copy of the repository's src/ taken at the start (so
that edits to src/ during a run do not mix two versions). For each corpus (the wheels that
tests/corpus.py downloads into ~/.cache/pkify-corpus):

1. Its `.py` files are copied to a temporary directory, with an empty `pyproject.toml` at the
   root (a root marker), and pkify runs once on that unmodified copy.
2. Planting. Every argument of a task call written `X.pk` or `X.id` becomes `X`, in place; only
   the `.pk` / `.id` characters go, the rest of each file is kept byte for byte (libcst).
   - A task call is a method call `something.m(...)` with m one of delay, s, si,
     delay_on_commit (every positional and keyword argument is a task argument), apply_async,
     apply_async_on_commit, signature (the elements of the `args=` tuple or list literal, or of
     a first positional one; the values of the `kwargs=` dict literal or `dict(...)` call, or of
     a second positional one; nothing else, so `countdown=` or `task_id=` are left alone).
   - X is a name or a chain of attributes on a name (`order`, `self.order`,
     `request.event`), without parentheses and with no space around the dot before pk / id.
   - Left out, since they are not model primary keys: X being `request` or ending in
     `.request` (Celery's `self.request.id` is the running task's id), and `X.id` where the
     last name of X contains `task`, `result` or `job` (`task.id`, `async_result.id`,
     `job.id`: Celery task, result and job ids). `X.pk` is always planted: only Django models
     have a `pk` (`job.pk` is a model's).
   - Only the package pkify checks is planted, not its `migrations/` (pkify skips them).
   Each planted site is recorded with its path, its line and 1-based column in the planted
   file (where pkify reports an argument), the original text and the enclosing function.
3. pkify runs on the planted copy. A planted site counts as reported when a finding has its
   path, line and column (any code). Recall is reported sites over planted sites.

Printed for each corpus: the counts and recall; every planted site that was not reported;
every finding that is not at a planted site (marked when the unmodified copy has it too); the
findings on the unmodified copy; the files pkify could not read (its standard error when it
exits 0 or 1); any problem (another exit status, a traceback, output that is not JSON, a file
libcst cannot parse). A summary table follows. This is a measurement, not a test: it passes
or fails nothing, and it writes nothing into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import corpus  # noqa: E402  (tests/corpus.py: fetches and unpacks the wheels)

PLAIN_SENDERS = {"delay", "s", "si", "delay_on_commit"}
PACKED_SENDERS = {"apply_async", "apply_async_on_commit", "signature"}
SENDER_HINT = re.compile(r"\.\s*(?:%s)\b" % "|".join(sorted(PLAIN_SENDERS | PACKED_SENDERS)))
PRIMARY_KEYS = {"pk", "id"}
NOT_MODEL_ID = re.compile(r"task|result|job", re.IGNORECASE)
NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass
class Site:
    """One planted argument: where it is in the planted file, and what it was."""

    path: str
    line: int
    column: int
    original: str
    function: str
    code: Optional[str] = None  # the code pkify reported there, if it did


@dataclass
class Finding:
    """One finding of `pkify check`, its path relative to the copy's root."""

    path: str
    line: int
    column: int
    code: str
    message: str

    def at(self) -> Tuple[str, int, int]:
        return self.path, self.line, self.column

    def same(self) -> Tuple[str, int, str, str]:
        """What identifies it across the unmodified and planted runs (planting moves columns)."""
        return self.path, self.line, self.code, self.message


@dataclass
class Result:
    """Everything measured on one corpus."""

    corpus: str
    files: int = 0
    sites: List[Site] = field(default_factory=list)
    outside: List[Finding] = field(default_factory=list)
    unmodified: List[Finding] = field(default_factory=list)
    not_checked: List[str] = field(default_factory=list)  # files pkify could not read, from stderr
    problems: List[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def reported(self) -> int:
        return sum(1 for site in self.sites if site.code)

    @property
    def recall(self) -> str:
        return f"{self.reported / len(self.sites):.2f}" if self.sites else "n/a"


# --------------------------------------------------------------------------------------------
# Planting


def _chain_names(expression: cst.BaseExpression) -> Optional[List[str]]:
    """`a.b.c` -> ['a', 'b', 'c'] for a name or an unparenthesised attribute chain; else None."""
    names: List[str] = []
    while isinstance(expression, cst.Attribute):
        if expression.lpar or not _tight_dot(expression.dot):
            return None
        names.append(expression.attr.value)
        expression = expression.value
    if not isinstance(expression, cst.Name) or expression.lpar:
        return None
    names.append(expression.value)
    return names[::-1]


def _tight_dot(dot: cst.Dot) -> bool:
    return dot.whitespace_before.empty and dot.whitespace_after.empty


def is_plantable(expression: cst.BaseExpression) -> bool:
    """Whether `expression` is `X.pk` / `X.id` to plant (see the module docstring for the rule)."""
    names = _chain_names(expression)
    if names is None or len(names) < 2 or names[-1] not in PRIMARY_KEYS:
        return False
    owner = names[-2]
    if owner == "request":
        return False
    return names[-1] == "pk" or not NOT_MODEL_ID.search(owner)


def _sequence_elements(expression: cst.BaseExpression) -> List[cst.BaseExpression]:
    if isinstance(expression, (cst.Tuple, cst.List)):
        return [element.value for element in expression.elements if isinstance(element, cst.Element)]
    return []


def _mapping_values(expression: cst.BaseExpression) -> List[cst.BaseExpression]:
    if isinstance(expression, cst.Dict):
        return [element.value for element in expression.elements if isinstance(element, cst.DictElement)]
    if isinstance(expression, cst.Call) and isinstance(expression.func, cst.Name) and expression.func.value == "dict":
        return [argument.value for argument in expression.args if argument.keyword is not None]
    return []


def task_arguments(call: cst.Call) -> List[cst.BaseExpression]:
    """The expressions a task call sends as task arguments; [] for any other call."""
    if not isinstance(call.func, cst.Attribute):
        return []
    method = call.func.attr.value
    arguments = [argument for argument in call.args if not argument.star]
    if method in PLAIN_SENDERS:
        return [argument.value for argument in arguments]
    if method not in PACKED_SENDERS:
        return []
    positional = [argument.value for argument in arguments if argument.keyword is None]
    keywords = {argument.keyword.value: argument.value for argument in arguments if argument.keyword}
    args = keywords.get("args", positional[0] if positional else None)
    kwargs = keywords.get("kwargs", positional[1] if len(positional) > 1 else None)
    return (_sequence_elements(args) if args else []) + (_mapping_values(kwargs) if kwargs else [])


class SiteFinder(cst.CSTVisitor):
    """Collects the plantable arguments of a module, with the qualified name of their function."""

    def __init__(self) -> None:
        self.scopes: List[Tuple[str, bool]] = []  # (name, is a function)
        self.found: Dict[cst.Attribute, str] = {}

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.append((node.name.value, False))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes.append((node.name.value, True))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.pop()

    def visit_Call(self, node: cst.Call) -> None:
        for expression in task_arguments(node):
            if is_plantable(expression):
                self.found[expression] = self.qualname()

    def qualname(self) -> str:
        """As Python's __qualname__ (a lambda counts as its enclosing def); <module> at the top."""
        parts: List[str] = []
        for name, is_function in self.scopes:
            parts.append(name)
            if is_function:
                parts.append("<locals>")
        if parts and parts[-1] == "<locals>":
            parts.pop()
        return ".".join(parts) or "<module>"


class Strip(cst.CSTTransformer):
    """Replaces each chosen `X.pk` by its `X`, remembering the node that takes its place."""

    def __init__(self, chosen: Set[cst.Attribute]) -> None:
        self.chosen = chosen
        self.replaced: Dict[cst.Attribute, cst.BaseExpression] = {}

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        if original_node in self.chosen:
            self.replaced[original_node] = updated_node.value
            return updated_node.value
        return updated_node


def plant_file(path: Path, relative: str) -> List[Site]:
    """Plant the bug in one file, in place; the sites planted (none: the file is left alone)."""
    data = path.read_bytes()
    if not SENDER_HINT.search(data.decode("utf-8", "replace")):
        return []
    module = cst.parse_module(data)
    finder = SiteFinder()
    module.visit(finder)
    if not finder.found:
        return []
    strip = Strip(set(finder.found))
    planted = module.visit(strip)
    path.write_bytes(planted.bytes)
    assert len(planted.bytes) == len(data) - 3 * len(finder.found), f"{relative}: more than `.pk` changed"

    positions = MetadataWrapper(planted, unsafe_skip_copy=True).resolve(PositionProvider)
    lines = NEWLINE.split(planted.code)
    sites = []
    for original, function in finder.found.items():
        stripped = strip.replaced[original]
        start = positions[stripped].start
        text = planted.code_for_node(stripped)
        assert lines[start.line - 1][start.column:].startswith(text), f"{relative}:{start.line}: not {text}"
        sites.append(Site(relative, start.line, start.column + 1, module.code_for_node(original), function))
    return sorted(sites, key=lambda site: (site.line, site.column))


def plant_tree(root: Path, package: Path, problems: List[str]) -> List[Site]:
    """Plant the bug in every file of `package` but migrations; the sites, paths relative to `root`."""
    sites: List[Site] = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(root)
        if "migrations" in relative.parts:
            continue
        try:
            sites.extend(plant_file(path, relative.as_posix()))
        except cst.ParserSyntaxError as error:
            problems.append(f"{relative}: not planted, libcst cannot parse it: {str(error).splitlines()[0]}")
    return sites


# --------------------------------------------------------------------------------------------
# Running pkify

# What planting a bug makes: an instance, a QuerySet or a container of them where a key was sent.
# Other rules (CEL104, CEL105, CEL201) report other things and are not measured here.
PLANTED_CODES = "CEL101,CEL102,CEL103"


def copy_tree(source: Path, destination: Path) -> int:
    """Copy the `.py` files of `source` and add a root marker; how many files were copied."""
    files = sorted(source.rglob("*.py"))
    for path in files:
        target = destination / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (destination / "pyproject.toml").write_text("")
    return len(files)


def snapshot_pkify(work: Path) -> Dict[str, str]:
    """Copy the repository's src/ under `work`; the environment that runs pkify from that copy,
    so that every run measures the same code even if src/ is edited meanwhile."""
    shutil.copytree(REPO / "src", work / "src", ignore=shutil.ignore_patterns("__pycache__"))
    path = [str(work / "src")] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
    return dict(os.environ, PYTHONPATH=os.pathsep.join(path))


def run_pkify(root: Path, package: Path, env: Dict[str, str], label: str, result: Result) -> List[Finding]:
    """`pkify check --format json` on `package`; its findings, with paths relative to `root`.

    Standard error lines go to `result.not_checked` when pkify exits 0 or 1 without a traceback
    (files it could not read), to `result.problems` otherwise.
    """
    argv = [sys.executable, "-m", "pkify", "check", "--format", "json", "--no-cache", "--select", PLANTED_CODES]
    libraries = corpus.LIBRARIES.get(result.corpus, ())
    if libraries:  # installed beside it, named in its configuration
        argv += ["--libraries", ",".join(libraries)]
        installed = [str(corpus.fetch(name)) for name in libraries]
        env = dict(env, PYTHONPATH=os.pathsep.join([env.get("PYTHONPATH", ""), *installed]).strip(os.pathsep))
    argv += ["--root", str(root), str(package)]
    process = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True)
    errors = [line.replace(f"{root}{os.sep}", "") for line in process.stderr.splitlines()]
    if process.returncode in (0, 1) and "Traceback" not in process.stderr:
        result.not_checked += [line for line in errors if line not in result.not_checked]
    else:
        result.problems.append("\n    ".join([f"pkify on the {label} copy: exit status {process.returncode}"] + errors))
    try:
        rows = json.loads(process.stdout)
    except ValueError:
        result.problems.append(f"pkify on the {label} copy: standard output is not JSON: {process.stdout[:200]!r}")
        return []
    return [
        Finding((root / row["path"]).resolve().relative_to(root).as_posix(),
                row["line"], row["column"], row["code"], row["message"])
        for row in rows
    ]


def measure(name: str, work: Path, env: Dict[str, str]) -> Result:
    """Copy, check, plant and check again one corpus, in a directory under `work`."""
    started = time.perf_counter()
    result = Result(name)
    wheel, package = corpus.package_root(name)
    copy = (work / name).resolve()
    result.files = copy_tree(wheel, copy)
    checked = copy / package.relative_to(wheel)
    result.unmodified = run_pkify(copy, checked, env, "unmodified", result)

    result.sites = plant_tree(copy, checked, result.problems)
    sites = {(site.path, site.line, site.column): site for site in result.sites}
    for finding in run_pkify(copy, checked, env, "planted", result):
        site = sites.get(finding.at())
        if site is None:
            result.outside.append(finding)
        else:
            site.code = finding.code if site.code is None else f"{site.code},{finding.code}"
    result.seconds = time.perf_counter() - started
    return result


# --------------------------------------------------------------------------------------------
# Report


def format_finding(finding: Finding) -> str:
    return f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {finding.message}"


def corpus_report(result: Result) -> List[str]:
    """The lines printed for one corpus."""
    missed = [site for site in result.sites if not site.code]
    lines = [
        f"== {result.corpus}: {result.files} files, {len(result.sites)} planted, {result.reported} reported, "
        f"recall {result.recall} ({result.seconds:.1f} s)",
        f"missed ({len(missed)}):",
    ]
    lines += [f"  {site.path}:{site.line}:{site.column}: {site.original.rsplit('.', 1)[0]}"
              f"  (in function {site.function})" for site in missed]
    unmodified = {finding.same() for finding in result.unmodified}
    lines.append(f"findings not at a planted site ({len(result.outside)}):")
    for finding in result.outside:
        also = "  (also on the unmodified corpus)" if finding.same() in unmodified else ""
        lines.append(f"  {format_finding(finding)}{also}")
    lines.append(f"findings on the unmodified corpus ({len(result.unmodified)}):")
    lines += [f"  {format_finding(finding)}" for finding in result.unmodified]
    if result.not_checked:
        lines.append(f"not checked: pkify could not read ({len(result.not_checked)}):")
        lines += [f"  {line}" for line in result.not_checked]
    if result.problems:
        lines.append(f"problems ({len(result.problems)}):")
        lines += [f"  {problem}" for problem in result.problems]
    return lines


def summary_table(results: Sequence[Result]) -> List[str]:
    """One row per corpus and a total row, in aligned columns."""
    headers = ("corpus", "planted", "reported", "recall", "outside planted sites", "on unmodified",
               "not checked", "problems")
    total = Result("total", sites=[site for result in results for site in result.sites])
    rows = [headers]
    for result in results:
        rows.append((result.corpus, len(result.sites), result.reported, result.recall, len(result.outside),
                     len(result.unmodified), len(result.not_checked), len(result.problems)))
    rows.append(("total", len(total.sites), total.reported, total.recall,
                 *(sum(row[column] for row in rows[1:]) for column in range(4, len(headers)))))
    cells = [[str(value) for value in row] for row in rows]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    return ["  ".join([row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])])
            for row in cells]


def revision() -> str:
    """The repository's `git describe --always --dirty`: which pkify was measured."""
    process = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True)
    return process.stdout.strip() or "unknown"


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", nargs="+", choices=sorted({**corpus.CORPUS, **corpus.RECALL_ONLY, **corpus.RECALL_NAMED}),
                        default=list(corpus.RECALL_CORPUS), metavar="NAME",
                        help=f"corpora from tests/corpus.py (default: {' '.join(corpus.RECALL_CORPUS)})")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every result to FILE as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the planted copies (their directory is printed)")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    pkify = f"{REPO / 'src'} at {revision()}"
    work = Path(tempfile.mkdtemp(prefix="pkify-recall-"))
    results = []
    try:
        env = snapshot_pkify(work)
        print(f"pkify: {pkify}, copied to {work / 'src'}", flush=True)
        for name in args.corpus:
            results.append(measure(name, work, env))
            print("\n".join(corpus_report(results[-1])) + "\n", flush=True)
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("\n".join(summary_table(results)))
    print(f"\n{time.perf_counter() - started:.1f} s in all")
    if args.json:
        document = {
            "pkify": pkify,
            "seconds": round(time.perf_counter() - started, 1),
            "corpora": [dict(asdict(result), reported=result.reported, recall=result.recall) for result in results],
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
