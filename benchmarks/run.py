#!/usr/bin/env python3
"""pkify's benchmark: pkify next to flake8 and ruff on public Django applications, in one run.

    python benchmarks/run.py [--repeat N] [--corpus pretix,weblate,...] [--scale 1,2,4] [--quick]

Every command runs as a subprocess, in the same run, interleaved repetition by repetition, so
that they share the machine's state; the table gives the median wall time, its spread (min-max),
the median CPU time, the peak memory (max RSS of the largest process, from wait4) and the ratio
to plain flake8. See benchmarks/README.md for what each row means and the targets.

The corpora are the wheels that tests/corpus.py downloads (`pip download --no-deps
--only-binary :all:`) into ~/.cache/pkify-corpus; the tools run from virtualenvs under
~/.cache/pkify-bench (or $PKIFY_BENCH_CACHE), created on first use. Nothing is written into the
repository.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from corpus import CORPUS, package_root  # noqa: E402  (tests/corpus.py: fetches the wheels)

BENCH_CACHE = Path(os.environ.get("PKIFY_BENCH_CACHE", Path.home() / ".cache" / "pkify-bench"))
FLAKE8_SELECT = "--select=E9,F63,F7,F82"
RUFF_SELECT = "--select=E9,F"
MARKER = "pyproject.toml"  # a root marker for pkify; flake8 and ruff find no configuration in it
MARKER_TEXT = "# pkify benchmark: this directory is a project root\n"
QUICK_CORPUS = "saleor"  # the smallest

# The floor: walk the tree and read every .py file, in a fresh interpreter like the others.
FLOOR_SCRIPT = """\
import os, sys
files = size = 0
for directory, dirnames, filenames in os.walk(sys.argv[1]):
    dirnames.sort()
    for name in sorted(filenames):
        if name.endswith(".py"):
            with open(os.path.join(directory, name), "rb") as handle:
                size += len(handle.read())
            files += 1
print(files, size)
"""

# Targets, as (label, numerator key, denominator key, limit).
RATIO_TARGETS = (
    ("flake8+pkify / flake8-minimal", "flake8_pkify", "flake8", 1.15),
    # Not one of the targets (CEL is not selected there), the same limit for the real work:
    ("flake8+pkify,CEL / flake8-minimal", "flake8_cel", "flake8", 1.15),
    ("pkify cold / flake8-minimal", "pkify_cold", "flake8", 0.30),
    ("pkify warm / ruff", "pkify_warm", "ruff", 2.0),
    ("pkify after a body edit / ruff", "pkify_edited", "ruff", 2.0),
)
MEMORY_TARGET_MB = 300.0


class SetupError(Exception):
    """A tool could not be installed; the message says which and why, in one line."""


# --------------------------------------------------------------------------------------------
# Virtualenvs


def _last_lines(text: str, count: int = 3, width: int = 200) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]  # pip's own words, if any
    picked = (errors or lines)[-count:]
    return " | ".join(line if len(line) <= width else line[: width - 3] + "..." for line in picked) or "(no output)"


def _installed_version(distribution: str) -> Optional[str]:
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        return None
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def ensure_venv(name: str, requirements: Sequence[str], key: str) -> Path:
    """A virtualenv under the bench cache with these requirements; made again when `key`
    changes (the requirements, the Python, or the repository's pyproject.toml)."""
    path = BENCH_CACHE / name
    stamp = path / ".pkify-bench-key"
    python = path / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text() == key:
        return path
    print(f"  creating virtualenv {path} ({' '.join(requirements)}) ...", flush=True)
    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    made = subprocess.run([sys.executable, "-m", "venv", str(path)], capture_output=True, text=True)
    if made.returncode != 0 or not python.exists():
        raise SetupError(
            f"cannot create virtualenv {path} with {sys.executable} -m venv: "
            f"{_last_lines(made.stderr + made.stdout)} (on Debian: apt-get install python3-venv)"
        )
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements],
        capture_output=True,
        text=True,
    )
    if installed.returncode != 0:
        shutil.rmtree(path, ignore_errors=True)
        raise SetupError(
            f"cannot install {' '.join(requirements)} into {path}: {_last_lines(installed.stderr + installed.stdout)}"
        )
    stamp.write_text(key)
    return path


def _venv_version(venv: Path, distribution: str) -> str:
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         f"import importlib.metadata as m; print(m.version({distribution!r}))"],
        capture_output=True, text=True,
    )
    return probe.stdout.strip() or "?"


def _tool_version(argv: Sequence[str]) -> str:
    probe = subprocess.run(list(argv), capture_output=True, text=True)
    return (probe.stdout.strip() or probe.stderr.strip()).splitlines()[0] if probe.returncode == 0 else "?"


@dataclass
class Tools:
    """The virtualenvs: None where one could not be made (its rows say so)."""

    flake8: Optional[Path] = None  # flake8 alone: the baseline
    pkify: Optional[Path] = None  # flake8 + pkify (this repository, as it was when the run began)
    ruff: Optional[Path] = None
    problems: List[str] = field(default_factory=list)
    versions: Dict[str, str] = field(default_factory=dict)


def snapshot_repository(destination: Path) -> str:
    """A copy of what builds pkify (pyproject.toml, README.md, src/), taken once at the start,
    so that every row measures the same code even while the working tree is being edited.
    Returns a short description: the commit, whether the tree differs from it, and a digest of
    the copied sources."""
    destination.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE", "setup.cfg", "setup.py", "MANIFEST.in"):
        if (REPO / name).is_file():
            shutil.copyfile(REPO / name, destination / name)
    shutil.copytree(REPO / "src", destination / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
    digest = hashlib.sha256()
    for path in sorted((destination / "src").rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(destination)).encode() + b"\0" + path.read_bytes())
    described = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                               capture_output=True, text=True).stdout.strip() or "not a git checkout"
    return f"{described}, sources {digest.hexdigest()[:12]}"


def prepare_tools(flake8_version: Optional[str], ruff_version: Optional[str], work: Path) -> Tools:
    tools = Tools()
    python_key = f"{sys.executable} {sys.version}"
    pyproject = (REPO / "pyproject.toml").read_bytes()
    pin = flake8_version or _installed_version("flake8")

    # flake8 with pkify: a snapshot of the working tree, installed as a user installs it (not
    # editable); the virtualenv is kept, and pkify alone is reinstalled on every run.
    snapshot = work / "pkify-src"
    described = snapshot_repository(snapshot)
    requirements = [str(snapshot), "setuptools>=70.1"] + ([f"flake8=={pin}"] if pin else [])
    key = "\n".join([python_key, hashlib.sha256(pyproject).hexdigest(), *requirements[1:]])
    try:
        stamp = BENCH_CACHE / "venv-pkify" / ".pkify-bench-key"
        fresh = not (stamp.exists() and stamp.read_text() == key)
        tools.pkify = ensure_venv("venv-pkify", requirements, key)
        if not fresh:
            installed = subprocess.run(
                [str(tools.pkify / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                 "--no-deps", "--force-reinstall", "--no-build-isolation", str(snapshot)],
                capture_output=True, text=True,
            )
            if installed.returncode != 0:
                raise SetupError(f"cannot install pkify from {snapshot} into {tools.pkify}: "
                                 f"{_last_lines(installed.stderr + installed.stdout)}")
        pin = pin or _venv_version(tools.pkify, "flake8")
    except SetupError as error:
        tools.pkify = None
        tools.problems.append(str(error))

    # flake8 alone, the same version: flake8 runs every installed plugin whatever --select says,
    # so the baseline needs a virtualenv without pkify.
    requirements = [f"flake8=={pin}"] if pin else ["flake8"]
    try:
        tools.flake8 = ensure_venv("venv-flake8", requirements, "\n".join([python_key, *requirements]))
    except SetupError as error:
        tools.problems.append(str(error))

    requirements = [f"ruff=={ruff_version}"] if ruff_version else ["ruff"]
    try:
        tools.ruff = ensure_venv("venv-ruff", requirements, "\n".join([python_key, *requirements]))
    except SetupError as error:
        tools.problems.append(str(error))

    if tools.flake8:
        tools.versions["flake8 (baseline)"] = _tool_version([str(tools.flake8 / "bin" / "flake8"), "--version"])
    if tools.pkify:
        tools.versions["flake8 (with pkify)"] = _tool_version([str(tools.pkify / "bin" / "flake8"), "--version"])
        tools.versions["pkify"] = _tool_version([str(tools.pkify / "bin" / "pkify"), "--version"]) + f" ({described})"
    if tools.ruff:
        tools.versions["ruff"] = _tool_version([str(tools.ruff / "bin" / "ruff"), "--version"])
    return tools


# --------------------------------------------------------------------------------------------
# Trees: copies of the corpora's .py files, each under a root marker


@dataclass
class Tree:
    name: str
    path: Path
    files: int  # .py files
    checked: int  # .py files outside migrations/ (the ones pkify checks)
    lines: int
    manifest: frozenset  # every path in the tree as built: anything else is a cache to remove


def _copy_python_files(source: Path, destination: Path, strip_migrations: bool) -> None:
    for directory, dirnames, filenames in os.walk(source):
        dirnames[:] = sorted(d for d in dirnames if not (strip_migrations and d == "migrations")
                             and d != "__pycache__")
        relative = Path(directory).relative_to(source)
        python_files = [f for f in filenames if f.endswith(".py")]
        if python_files:
            (destination / relative).mkdir(parents=True, exist_ok=True)
        for filename in python_files:
            shutil.copyfile(os.path.join(directory, filename), destination / relative / filename)


def _finish_tree(name: str, path: Path) -> Tree:
    files = checked = lines = 0
    manifest = set()
    for directory, dirnames, filenames in os.walk(path):
        for entry in dirnames + filenames:
            manifest.add(os.path.relpath(os.path.join(directory, entry), path))
        for filename in filenames:
            if filename.endswith(".py"):
                files += 1
                checked += "migrations" not in Path(directory).relative_to(path).parts
                with open(os.path.join(directory, filename), "rb") as handle:
                    lines += handle.read().count(b"\n")
    return Tree(name, path, files, checked, lines, frozenset(manifest))


def build_tree(name: str, path: Path, parts: Sequence[Tuple[str, Path, bool]], strip_migrations: bool) -> Tree:
    """`parts`: (relative destination, source package, whether that destination gets its own
    root marker). A marker is always put at the top unless some part has its own."""
    path.mkdir(parents=True)
    if not any(own for _, _, own in parts):
        (path / MARKER).write_text(MARKER_TEXT)
    for destination, source, own_marker in parts:
        _copy_python_files(source, path / destination, strip_migrations)
        if own_marker:
            (path / destination).parent.joinpath(MARKER).write_text(MARKER_TEXT)
    return _finish_tree(name, path)


def reset_tree(tree: Tree) -> None:
    """Remove whatever a run left in the tree (a future pkify cache kept in the project), so
    that the next `pkify check` is cold again."""
    for directory, dirnames, filenames in os.walk(tree.path, topdown=True):
        keep = []
        for entry in dirnames:
            full = os.path.join(directory, entry)
            if os.path.relpath(full, tree.path) in tree.manifest:
                keep.append(entry)
            else:
                shutil.rmtree(full, ignore_errors=True)
        dirnames[:] = keep
        for entry in filenames:
            full = os.path.join(directory, entry)
            if os.path.relpath(full, tree.path) not in tree.manifest:
                os.unlink(full)


class BodyEdit:
    """One statement added inside a function body, the way a developer edits between two runs:
    `pkify_benchmark_edit = 1` before the first statement (after a docstring) of the first
    function, in the first file (by path) that sends a task. It changes no declaration and calls
    nothing, so only the file and the results that read it are analysed again."""

    SENDS = re.compile(r"\.\s*(?:delay|apply_async)\s*\(")

    def __init__(self, path: Path, original: str, line: int) -> None:
        self.path, self.original, self.line = path, original, line

    @classmethod
    def of(cls, tree: Tree) -> Optional["BodyEdit"]:
        for relative in sorted(tree.manifest):
            path = tree.path / relative
            if not relative.endswith(".py") or "migrations" in Path(relative).parts:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if not cls.SENDS.search(text):
                continue
            try:
                module = ast.parse(text)
            except (SyntaxError, ValueError):
                continue
            for node in ast.walk(module):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
                if not body or body[0].lineno <= node.lineno:
                    continue
                first = body[0]
                line = min([first.lineno, *(d.lineno for d in getattr(first, "decorator_list", []))])
                lines = text.splitlines(keepends=True)
                lines.insert(line - 1, " " * first.col_offset + "pkify_benchmark_edit = 1\n")
                cls._write(path, "".join(lines))
                return cls(path, text, line)
        return None

    def undo(self) -> None:
        self._write(self.path, self.original)

    @staticmethod
    def _write(path: Path, text: str) -> None:
        path.write_text(text, encoding="utf-8")
        stat = path.stat()  # a new mtime even within the file system's resolution
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


# --------------------------------------------------------------------------------------------
# Running and measuring


@dataclass
class Sample:
    wall: float  # seconds
    cpu: float  # user + system seconds of the process and every child it waited for
    max_rss_mb: float  # the largest process's peak resident set (the command and its children)
    returncode: int
    stdout_lines: int
    stderr_tail: str
    crashed: bool = False  # a traceback or "internal error" on stderr
    tree_mb: Optional[float] = None  # the highest sampled total PSS of the command's process tree


@dataclass
class Command:
    key: str
    label: str
    argv: Optional[List[str]]  # None: the tool is not available
    ok_codes: Tuple[int, ...] = (0, 1)


def _gnu_time() -> Optional[str]:
    """GNU time, to read a command's peak memory: wait4's own figure for a child of this
    process starts at this process's size (Linux records the old memory's high-water mark when
    the child execs), so small commands would all read as large as the runner."""
    path = shutil.which("time") or "/usr/bin/time"
    try:
        probe = subprocess.run([path, "--version"], capture_output=True, text=True)
    except OSError:
        return None
    return path if "GNU" in probe.stdout + probe.stderr else None


GNU_TIME = _gnu_time()
# Without GNU time, a peak below this is only known to be at most this (the runner's size).
RSS_FLOOR_MB = 0.0


class TreeMemory(threading.Thread):
    """Samples, ten times a second, the total proportional set size (PSS: shared pages split
    between the processes sharing them) of a process and all its descendants, so that a
    command that forks workers (flake8, pkify in parallel) is counted whole. A sample can miss
    a spike shorter than the interval. Linux only."""

    AVAILABLE = os.path.exists("/proc/self/smaps_rollup") and os.path.exists(f"/proc/{os.getpid()}/task")

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self._done = threading.Event()

    def run(self) -> None:
        while True:
            total = sum(self._pss(pid) for pid in self._tree())
            self.peak_kib = max(self.peak_kib, total)
            if self._done.wait(self.interval):
                return

    def stop(self) -> None:
        self._done.set()
        self.join()

    def _tree(self) -> List[int]:
        pending, found = [self.pid], []
        while pending:
            pid = pending.pop()
            found.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as handle:
                        pending.extend(int(child) for child in handle.read().split())
            except (OSError, ValueError):
                continue
        return found

    @staticmethod
    def _pss(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
        return 0


def measure(argv: Sequence[str], cwd: Path, env: Dict[str, str]) -> Sample:
    global RSS_FLOOR_MB
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        wrapped = [GNU_TIME, "-o", rss.name, "-f", "%M", *argv] if GNU_TIME else list(argv)
        if not GNU_TIME:
            RSS_FLOOR_MB = max(RSS_FLOOR_MB, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
        start = time.perf_counter()
        process = subprocess.Popen(wrapped, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        sampler = TreeMemory(process.pid) if TreeMemory.AVAILABLE else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(process.pid, 0)  # this child's rusage, its children included
        wall = time.perf_counter() - start
        if sampler:
            sampler.stop()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout_lines = sum(1 for _ in out)
        stderr = err.read().decode("utf-8", "replace")
        max_rss_kib = float(usage.ru_maxrss)  # KiB on Linux
        if GNU_TIME:
            reported = [line for line in rss.read().split() if line.isdigit()]
            if reported:
                max_rss_kib = float(reported[-1])
    return Sample(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        max_rss_mb=max_rss_kib / 1024.0,
        tree_mb=sampler.peak_kib / 1024.0 if sampler else None,
        returncode=process.returncode,
        stdout_lines=stdout_lines,
        stderr_tail=_last_lines(stderr, 4),
        crashed="Traceback (most recent call last)" in stderr or "internal error" in stderr,
    )


def format_mb(value: float) -> str:
    return f"<={RSS_FLOOR_MB:.0f}" if value <= RSS_FLOOR_MB else f"{value:.0f}"


def commands_for(tools: Tools) -> List[Command]:
    def tool(venv: Optional[Path], script: str) -> Optional[str]:
        return str(venv / "bin" / script) if venv else None

    floor_python = tool(tools.flake8 or tools.pkify, "python") or sys.executable
    flake8 = tool(tools.flake8, "flake8")
    flake8_pkify = tool(tools.pkify, "flake8")
    pkify = tool(tools.pkify, "pkify")
    ruff = tool(tools.ruff, "ruff")
    return [
        Command("floor", "read every .py file", [floor_python, "-c", FLOOR_SCRIPT, "."], ok_codes=(0,)),
        Command("flake8", "flake8-minimal", [flake8, FLAKE8_SELECT, "."] if flake8 else None),
        Command("flake8_pkify", "flake8-minimal + pkify", [flake8_pkify, FLAKE8_SELECT, "."] if flake8_pkify else None),
        # The same with CEL selected: the plugin's real work (with CEL not selected it does none).
        Command("flake8_cel", "flake8-minimal,CEL", [flake8_pkify, FLAKE8_SELECT + ",CEL", "."] if flake8_pkify else None),
        Command("pkify_cold", "pkify check (cold)", [pkify, "check", "."] if pkify else None),
        Command("pkify_warm", "pkify check (warm)", [pkify, "check", "."] if pkify else None),
        # The warm run's cache, after one function body was edited (see `BodyEdit`).
        Command("pkify_edited", "pkify check (body edited)", [pkify, "check", "."] if pkify else None),
        Command("ruff", "ruff --no-cache", [ruff, "check", "--no-cache", RUFF_SELECT, "."] if ruff else None),
    ]


class Runner:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.counter = 0
        self.problems: List[str] = []

    def fresh_env(self) -> Dict[str, str]:
        """The environment for a cold pkify run: a new, empty cache directory (pkify keeps its
        cache in $PKIFY_CACHE_DIR, else $XDG_CACHE_HOME/pkify)."""
        self.counter += 1
        cache = self.work / "xdg-cache" / str(self.counter)
        cache.mkdir(parents=True)
        env = dict(os.environ)
        env["XDG_CACHE_HOME"] = str(cache)
        env["PKIFY_CACHE_DIR"] = str(cache / "pkify")
        env.pop("PKIFY_NO_CACHE", None)
        # As installed for a user, the tools run from bytecode (pip compiles it at install
        # time; this keeps Python from skipping what pip did not compile).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return env

    def tiny_tree(self) -> Tree:
        path = self.work / "tiny"
        if not path.exists():
            (path / "app").mkdir(parents=True)
            (path / MARKER).write_text(MARKER_TEXT)
            (path / "app" / "__init__.py").write_text("")
            (path / "app" / "views.py").write_text("import os\n\n\ndef view(request):\n    return os.sep\n")
        return _finish_tree("warm-up", path)

    def run(self, command: Command, tree: Tree, env: Dict[str, str]) -> Sample:
        sample = measure(command.argv, tree.path, env)
        if sample.returncode not in command.ok_codes or sample.crashed:
            self.problems.append(
                f"{tree.name}: {command.label} exited {sample.returncode}: {sample.stderr_tail}"
            )
        return sample


def run_table(runner: Runner, trees: Sequence[Tree], commands: Sequence[Command], repeat: int,
              progress: str) -> Dict[str, Dict[str, List[Sample]]]:
    """Every command on every tree, `repeat` times; the order of the commands rotates from one
    repetition to the next, and `pkify check (warm)` always follows its cold run."""
    available = [c for c in commands if c.argv]
    units: List[List[Command]] = []
    for command in available:
        if command.key in ("pkify_warm", "pkify_edited") and units and units[-1][0].key == "pkify_cold":
            units[-1].append(command)
        else:
            units.append([command])
    results: Dict[str, Dict[str, List[Sample]]] = {t.name: {c.key: [] for c in available} for t in trees}

    # Warm-up, not timed: every command once on a one-file project (bytecode of the tools),
    # and every tree read once (the page cache).
    tiny = runner.tiny_tree()
    for command in available:
        runner.run(command, tiny, runner.fresh_env())
    floor = next((c for c in available if c.key == "floor"), None)
    for tree in trees:
        if floor:
            runner.run(floor, tree, runner.fresh_env())

    for index in range(repeat):
        for tree in trees:
            started = time.perf_counter()
            shift = index % len(units)
            for unit in units[shift:] + units[:shift]:
                env = runner.fresh_env()
                for command in unit:
                    if command.key == "pkify_cold":
                        reset_tree(tree)
                    edit = BodyEdit.of(tree) if command.key == "pkify_edited" else None
                    try:
                        results[tree.name][command.key].append(runner.run(command, tree, env))
                    finally:
                        if edit is not None:
                            edit.undo()
            print(f"  {progress}: repetition {index + 1}/{repeat} on {tree.name} "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
    return results


# --------------------------------------------------------------------------------------------
# Reporting


def median(samples: Sequence[Sample], attribute: str = "wall") -> float:
    return statistics.median(getattr(s, attribute) for s in samples)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells):
        return "  ".join(str(c).rjust(w) if r else str(c).ljust(w) for c, w, r in zip(cells, widths, right)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def corpus_report(tree: Tree, commands: Sequence[Command], results: Dict[str, List[Sample]]) -> str:
    header = (f"{tree.name}: {tree.files} .py files ({tree.checked} outside migrations/, which pkify "
              f"checks), {tree.lines:,} lines; {len(next(iter(results.values()), []))} repetition(s)")
    base = results.get("flake8")
    rows = []
    for command in commands:
        samples = results.get(command.key)
        if not samples:
            rows.append([command.label, "n/a", "tool unavailable", "", "", "", "", ""])
            continue
        walls = [s.wall for s in samples]
        ratio = f"{median(samples) / median(base):.2f}" if base else "n/a"
        rows.append([
            command.label,
            f"{median(samples):.2f}",
            f"{min(walls):.2f}-{max(walls):.2f}",
            f"{median(samples, 'cpu'):.2f}",
            format_mb(max(s.max_rss_mb for s in samples)),
            tree_mb(samples),
            ratio,
            str(samples[-1].stdout_lines),
        ])
    table = render_table(
        ["command", "median s", "spread (min-max)", "cpu s", "peak MB", "all procs MB", "x flake8-minimal",
         "out lines"],
        rows,
        [False, True, True, True, True, True, True, True],
    )
    return f"{header}\n{table}"


def target_report(tree: Tree, results: Dict[str, List[Sample]]) -> List[str]:
    lines = []
    for label, numerator, denominator, limit in RATIO_TARGETS:
        if results.get(numerator) and results.get(denominator):
            value = median(results[numerator]) / median(results[denominator])
            verdict = "met" if value <= limit else "NOT met"
            lines.append(f"  {label:<32} {value:7.2f}   target <= {limit:<5}  {verdict}")
        else:
            lines.append(f"  {label:<32}     n/a   target <= {limit:<5}  (tool unavailable)")
    return lines


def tree_mb(samples: Sequence[Sample]) -> str:
    values = [s.tree_mb for s in samples if s.tree_mb is not None]
    if not values:
        return "n/a"
    return f"{max(values):.0f}" if max(values) >= 1 else "-"  # "-": ended before a sample


def memory_report(tree: Tree, results: Dict[str, List[Sample]]) -> List[str]:
    """The target is on the whole command: the larger of the biggest process's peak RSS and the
    sampled total of all its processes."""
    lines = []
    for key, label in (("pkify_cold", "pkify check (cold)"), ("pkify_warm", "pkify check (warm)"),
                       ("flake8_pkify", "flake8-minimal + pkify")):
        if results.get(key):
            largest = max(s.max_rss_mb for s in results[key])
            total = max((s.tree_mb or 0.0) for s in results[key])
            peak = max(largest, total)
            verdict = "met" if peak < MEMORY_TARGET_MB else "NOT met"
            lines.append(f"  peak memory, {label:<24} {peak:7.0f} MB (largest process {largest:.0f}, all "
                         f"processes {tree_mb(results[key])})  target < {MEMORY_TARGET_MB:.0f} MB  {verdict}")
    return lines


# --------------------------------------------------------------------------------------------


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of every command (default 3)")
    parser.add_argument("--corpus", default=",".join(CORPUS),
                        help=f"comma-separated corpora (default: all of {', '.join(CORPUS)})")
    parser.add_argument("--scale", default="1,2,4", help="copies of one corpus for the linearity rows (default 1,2,4)")
    parser.add_argument("--scale-corpus", help="the corpus to copy (default: the first of --corpus)")
    parser.add_argument("--scale-mode", choices=("projects", "one", "both"), default="both",
                        help="copies as separate projects (copyN/pkg, each with its own root), as more "
                             "packages of one project (pkg, pkg_copy2, ...), or both (default)")
    parser.add_argument("--quick", action="store_true",
                        help=f"1 repetition, one corpus (the first of --corpus, else {QUICK_CORPUS}), scales 1,2")
    parser.add_argument("--no-migrations", action="store_true",
                        help="leave migrations/ out of the trees, so every tool reads the same files")
    parser.add_argument("--flake8-version", help="flake8 to pin in both flake8 virtualenvs "
                        "(default: the one installed beside this Python, else the newest)")
    parser.add_argument("--ruff-version", help="ruff to install (default: the newest, on first use)")
    parser.add_argument("--json", type=Path, help="also write every sample to this file")
    parser.add_argument("--keep-trees", action="store_true", help="do not delete the copied trees")
    parser.add_argument("--no-corpora", action="store_true", help="skip the per-corpus tables: linearity only")
    parser.add_argument("--no-scale", action="store_true", help="skip the linearity tables")
    args = parser.parse_args(argv)
    explicit_corpus = any(a == "--corpus" or a.startswith("--corpus=") for a in (argv or sys.argv[1:]))
    args.corpus = [c.strip() for c in args.corpus.split(",") if c.strip()]
    unknown = [c for c in args.corpus if c not in CORPUS]
    if unknown:
        parser.error(f"unknown corpus {', '.join(unknown)} (known: {', '.join(CORPUS)})")
    if args.quick:
        args.repeat = 1
        args.corpus = [args.corpus[0] if explicit_corpus else QUICK_CORPUS]
        if not any(a.startswith("--scale") and not a.startswith("--scale-") for a in (argv or sys.argv[1:])):
            args.scale = "1,2"
    try:
        args.scale = sorted({int(n) for n in args.scale.split(",") if n.strip()})
    except ValueError:
        parser.error("--scale takes comma-separated integers, e.g. 1,2,4")
    if not args.scale or min(args.scale) < 1:
        parser.error("--scale takes positive integers")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    args.scale_corpus = args.scale_corpus or args.corpus[0]
    if args.scale_corpus not in CORPUS:
        parser.error(f"unknown --scale-corpus {args.scale_corpus}")
    return args


def _interrupted(signum, frame):
    raise KeyboardInterrupt  # so that the scratch trees are removed


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)
    print(f"pkify benchmark: Python {sys.version.split()[0]} ({sys.executable}), {os.cpu_count()} CPU(s), "
          f"{args.repeat} repetition(s)", flush=True)

    print("peak memory: " + (f"{GNU_TIME} -f %M (max RSS of the largest process)" if GNU_TIME else
          "wait4 (no GNU time: a peak at or below this runner's own size shows as <=N MB)")
          + ("; all processes: total PSS sampled every 0.1 s" if TreeMemory.AVAILABLE else
             "; no /proc here: the all-processes column is n/a"), flush=True)
    BENCH_CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="run-", dir=BENCH_CACHE))
    try:
        return _run(args, work)
    finally:
        if not args.keep_trees:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"trees kept in {work}")


def _run(args: argparse.Namespace, work: Path) -> int:
    print("tools:", flush=True)
    tools = prepare_tools(args.flake8_version, args.ruff_version, work)
    for name, version in tools.versions.items():
        print(f"  {name}: {version}")
    for problem in tools.problems:
        print(f"  UNAVAILABLE: {problem}", file=sys.stderr)
    if tools.flake8 is None and tools.pkify is None and tools.ruff is None:
        print("benchmark: no tool could be installed; nothing to measure", file=sys.stderr)
        return 2
    if tools.pkify and "pkify" in tools.versions.get("flake8 (baseline)", ""):
        print("benchmark: the baseline flake8 has the pkify plugin; delete "
              f"{tools.flake8} and run again", file=sys.stderr)
        return 2

    print("corpora:", flush=True)
    sources: Dict[str, Path] = {}
    for name in dict.fromkeys([*args.corpus, args.scale_corpus]):
        try:
            _, sources[name] = package_root(name)
        except Exception as error:  # no network, pip failed
            print(f"benchmark: cannot fetch corpus {name}: {error}", file=sys.stderr)
            return 2
        print(f"  {name}: {sources[name]}")

    runner = Runner(work)
    strip = args.no_migrations
    commands = commands_for(tools)
    report: List[str] = []
    raw: Dict[str, object] = {"versions": tools.versions, "python": sys.version, "repeat": args.repeat}
    if not args.no_corpora:
        trees = [build_tree(name, work / "corpus" / name, [(name, sources[name], False)], strip)
                 for name in args.corpus]
        if len(args.corpus) > 1:
            trees.append(build_tree("combined", work / "combined",
                                    [(name, sources[name], False) for name in args.corpus], strip))
        results = run_table(runner, trees, commands, args.repeat, "corpora")
        raw["corpora"] = {t.name: {k: [asdict(s) for s in v] for k, v in results[t.name].items()} for t in trees}

        for tree in trees:
            report += ["", corpus_report(tree, commands, results[tree.name]), "targets:"]
            report += target_report(tree, results[tree.name])
        combined = trees[-1]
        report += ["", f"memory on {'the combined corpus' if combined.name == 'combined' else combined.name} "
                       f"({combined.files} .py files, one project):"]
        report += memory_report(combined, results[combined.name])

    # Linearity: pkify check (cold) on 1x, 2x, 4x copies of one corpus.
    cold = next(c for c in commands if c.key == "pkify_cold")
    if cold.argv and not args.no_scale:
        modes = ("projects", "one") if args.scale_mode == "both" else (args.scale_mode,)
        raw["scale"] = {}
        for mode in modes:
            scale_trees = []
            for copies in args.scale:
                name = f"{args.scale_corpus} x{copies} ({'separate projects' if mode == 'projects' else 'one project'})"
                path = work / f"scale-{mode}-{copies}"
                if mode == "projects":
                    parts = [(f"copy{k}/{args.scale_corpus}", sources[args.scale_corpus], True)
                             for k in range(1, copies + 1)]
                else:
                    parts = [(args.scale_corpus if k == 1 else f"{args.scale_corpus}_copy{k}",
                              sources[args.scale_corpus], False) for k in range(1, copies + 1)]
                scale_trees.append(build_tree(name, path, parts, strip))
            scaled = run_table(runner, scale_trees, [cold], args.repeat, f"linearity ({mode})")
            raw["scale"][mode] = {t.name: [asdict(s) for s in scaled[t.name]["pkify_cold"]] for t in scale_trees}
            report += ["", scale_report(mode, scale_trees, scaled)]

    print("\n".join(report))
    if runner.problems:
        print("\nproblems (a command exited with an unexpected status):")
        for problem in dict.fromkeys(runner.problems):
            print(f"  {problem}")
    if tools.problems:
        print("\nunavailable tools:")
        for problem in tools.problems:
            print(f"  {problem}")
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1))
        print(f"\nsamples written to {args.json}")
    return 0


def scale_report(mode: str, trees: Sequence[Tree], results: Dict[str, Dict[str, List[Sample]]]) -> str:
    title = ("linearity, pkify check (cold), copies as separate projects (copyN/pkg, each its own root):"
             if mode == "projects" else
             "linearity, pkify check (cold), copies as packages of one project (pkg, pkg_copy2, ...):")
    first = trees[0]
    first_samples = results[first.name]["pkify_cold"]
    first_median = median(first_samples) / max(first.checked, 1)
    first_min = min(s.wall for s in first_samples) / max(first.checked, 1)
    rows = []
    for tree in trees:
        samples = results[tree.name]["pkify_cold"]
        walls = [s.wall for s in samples]
        per_file = median(samples) / max(tree.checked, 1)
        per_file_min = min(walls) / max(tree.checked, 1)
        rows.append([
            tree.name.split(" ")[1],
            str(tree.checked),
            f"{median(samples):.2f}",
            f"{min(walls):.2f}-{max(walls):.2f}",
            f"{per_file * 1000:.2f}",
            f"{per_file / first_median:.2f}",
            f"{per_file_min / first_min:.2f}",
            format_mb(max(s.max_rss_mb for s in samples)),
            tree_mb(samples),
        ])
    return title + "\n" + render_table(
        ["scale", "files checked", "median s", "spread (min-max)", "ms/file", "ms/file vs first",
         "same, fastest runs", "peak MB", "all procs MB"],
        rows,
        [False, True, True, True, True, True, True, True, True],
    )


if __name__ == "__main__":
    sys.exit(main())
