"""`pkify ...` run in the test process: the command line's `main(argv)`, with the working directory,
standard input, output and error of a subprocess, and its result as a `CompletedProcess`.

A subprocess starts an interpreter and imports libcst and the engine for each run (about 0.8 s of
CPU, which was most of the test suite's time); here they are imported once. Tests whose subject is
the process itself (the `python -m pkify` entry point, pipes and signals, hangs caught by a
timeout, what flake8 or pre-commit run) keep starting one.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

from pkify.frontends.cli import main


def _decoded(data: bytes) -> str:
    # As `subprocess.run(..., text=True)` reads a pipe: universal newlines.
    return data.decode("utf-8", "strict").replace("\r\n", "\n").replace("\r", "\n")


def run(
    args: Sequence[str],
    *,
    cwd: Union[str, Path],
    stdin: bytes = b"",
    text: bool = False,
    env: Optional[Mapping[str, Optional[str]]] = None,
) -> subprocess.CompletedProcess:
    """`pkify *args` in `cwd`; `env` sets (or, with None, removes) environment variables for the run."""
    out, err = io.BytesIO(), io.BytesIO()
    replaced = (
        io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"),
        io.TextIOWrapper(out, encoding="utf-8", write_through=True),
        io.TextIOWrapper(err, encoding="utf-8", write_through=True),
    )
    streams = (sys.stdin, sys.stdout, sys.stderr)
    saved = {name: os.environ.get(name) for name in (env or {})}
    directory = os.getcwd()
    try:
        sys.stdin, sys.stdout, sys.stderr = replaced
        for name, value in (env or {}).items():
            _set(name, value)
        os.chdir(cwd)
        with warnings.catch_warnings(record=True) as caught:
            _fresh_interpreter_filters()
            try:
                status = main(list(args))
            except SystemExit as exit:  # argparse's usage errors
                if isinstance(exit.code, str):
                    print(exit.code, file=sys.stderr)
                    status = 1
                else:
                    status = exit.code or 0
        for warning in caught:  # on standard error, as a subprocess would print them
            sys.stderr.write(warnings.formatwarning(warning.message, warning.category, warning.filename, warning.lineno))
        replaced[1].flush()
        replaced[2].flush()
    finally:
        os.chdir(directory)
        for name, value in saved.items():
            _set(name, value)
        sys.stdin, sys.stdout, sys.stderr = streams
    stdout, stderr = out.getvalue(), err.getvalue()
    for stream in replaced:
        stream.detach()  # a wrapper closes its buffer when it goes
    if text:
        return subprocess.CompletedProcess(["pkify", *args], status, _decoded(stdout), _decoded(stderr))
    return subprocess.CompletedProcess(["pkify", *args], status, stdout, stderr)


def _fresh_interpreter_filters() -> None:
    """The warning filters of `python -m pkify` (not pytest's): shown once per place, but for
    the categories Python ignores by default."""
    warnings.resetwarnings()
    warnings.simplefilter("default")
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.simplefilter("ignore", category)


def _set(name: str, value: Optional[str]) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
