"""Running the work: in parallel worker processes, and with room for deeply nested code.

libcst and the engine walk syntax trees recursively: a 1,000-term `a + a + ...` or 500 nested
`not`s exceed Python's default recursion limit of 1,000. pkify runs its work in a thread with a
large stack and a higher recursion limit, so that such code is analysed rather than refused.
"""

from __future__ import annotations

import gc
import sys
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, List, Optional, TypeVar

T = TypeVar("T")

STACK_BYTES = 512 * 1024 * 1024  # virtual memory; only the pages used are ever touched
RECURSION_LIMIT = 50_000


def with_deep_stack(function: Callable[..., T], *args, **kwargs) -> T:
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as error:  # re-raised in the calling thread
            outcome["error"] = error

    old_stack = threading.stack_size()
    old_limit = sys.getrecursionlimit()
    try:
        threading.stack_size(STACK_BYTES)
        sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
        worker = threading.Thread(target=target, name="pkify")
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# A run makes many objects that live to its end (a summary of every module, then syntax trees,
# values and answers): Python's cyclic collector, run every 700 allocations, walks them again
# and again (a sixth of a cold run on pretix, half of summarising its modules). pkify runs it
# far less often, as mypy does.
FEW_COLLECTIONS = (200_000, 30, 30)


@contextmanager
def few_collections() -> Iterator[None]:
    """The cyclic collector run rarely while pkify works inside another program (flake8), as
    it itself always runs; the program's own setting is put back after."""
    before = gc.get_threshold()
    gc.set_threshold(*FEW_COLLECTIONS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def project_loaded() -> None:
    """The project's summaries stay to the end of the run: the collector need not look at them
    again, nor touch their pages in forked workers (`gc.freeze`)."""
    gc.freeze()


def too_deep(error: BaseException) -> bool:
    """Whether an error comes from running out of recursion (libcst may raise another error
    while unwinding from a RecursionError)."""
    seen = 0
    current = error
    while current is not None and seen < 20:
        if isinstance(current, RecursionError):
            return True
        current = current.__context__ or current.__cause__
        seen += 1
    return False


_work: Optional[Callable[[list], list]] = None  # what forked workers run (a fork inherits it)


def _run_work(chunk: list) -> list:
    assert _work is not None
    return with_deep_stack(_work, chunk)


def in_parallel(function: Callable[[list], List[Any]], items: list, jobs: int, chunks_per_job: int = 4) -> List[Any]:
    """`function(items)`, computed chunk by chunk in `jobs` forked worker processes when there
    is enough work; in this process on platforms without fork. A closure works: workers are
    forked, not spawned, so nothing is pickled but the chunks and their results."""
    global _work
    if jobs <= 1 or len(items) < 2 * jobs:
        return function(items)
    import concurrent.futures
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return function(items)
    size = max(1, len(items) // (jobs * chunks_per_job))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    _work = function
    try:
        context = multiprocessing.get_context("fork")
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            return [result for part in pool.map(_run_work, chunks) for result in part]
    finally:
        _work = None
