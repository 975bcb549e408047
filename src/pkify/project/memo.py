"""The one memo facility: queries memoised on the object that owns them, keyed on their arguments.

A method decorated with `@memoized(...)` keeps its answers in the `Memo` of its owner (`self.memo`):
one table per query, keyed on the arguments themselves, so the key of a query is what it is
asked about, never a key built by hand. The same facility

- guards recursion: a query asked again while it is being answered (a cycle in the code under
  analysis) gets the query's `default` instead of looping, and so does a query asked deeper than
  `Memo.depth_limit` (the one recursion limit);
- records what each answer read (`Memo.note_read`, the files whose text the analysis read), so
  that a cached answer still adds its reads to the query that asks for it: the result cache
  keeps, for each checked file, every other file its findings depend on;
- forgets everything at once (`Memo.clear`), when what it was computed from changed.

Modelled on jedi's `inference_state_method_cache` (jedi/inference/cache.py) and
`recursion.py`.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, FrozenSet, Hashable, List, Set, Tuple, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_NO_DEFAULT: Any = object()


class Memo:
    def __init__(self, depth_limit: int = 200) -> None:
        self.depth_limit = depth_limit
        self.tables: Dict[Callable[..., Any], Dict[Hashable, Any]] = {}
        self.reads: Dict[Tuple[Callable[..., Any], Hashable], FrozenSet[str]] = {}
        self._active: Set[Tuple[Callable[..., Any], Hashable]] = set()
        self._collecting: List[Set[str]] = []
        self.answers: Dict[str, str] = {}  # the probes' answers, by key

    def clear(self) -> None:
        self.tables.clear()
        self.reads.clear()
        self.answers.clear()

    def note_read(self, path: str) -> None:
        """The answer being computed depends on the text of `path`."""
        if self._collecting:
            self._collecting[-1].add(path)

    def note_probe(self, key: str, answer: str) -> None:
        """The answer being computed depends on a probe's answer (see `project.probes`)."""
        self.answers[key] = answer
        self.note_read(key)

    def collect_reads(self) -> "_Collector":
        """`with memo.collect_reads() as reads:` the files read inside, cached answers included."""
        return _Collector(self)


class _Collector:
    def __init__(self, memo: Memo) -> None:
        self.memo = memo
        self.paths: Set[str] = set()

    def __enter__(self) -> Set[str]:
        self.memo._collecting.append(self.paths)
        return self.paths

    def __exit__(self, *exc: object) -> None:
        self.memo._collecting.pop()
        if self.memo._collecting:
            self.memo._collecting[-1].update(self.paths)


def memoized(default: Any = _NO_DEFAULT) -> Callable[[F], F]:
    """Memoise a method of an object with a `memo` attribute. `default`: the answer while the
    same question is being answered (a cycle) or beyond the depth limit; without one, a cycle
    raises RecursionError."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def query(owner: Any, *args: Hashable) -> Any:
            memo: Memo = owner.memo
            table = memo.tables.get(function)
            if table is None:
                table = memo.tables[function] = {}
            try:
                answer = table[args]
            except KeyError:
                pass
            else:
                if memo._collecting:
                    reads = memo.reads.get((function, args))
                    if reads:
                        memo._collecting[-1].update(reads)
                return answer
            key = (function, args)
            if key in memo._active or len(memo._active) >= memo.depth_limit:
                if default is _NO_DEFAULT:
                    raise RecursionError(f"{function.__qualname__} asked again while answering it")
                return default
            memo._active.add(key)
            memo._collecting.append(set())
            try:
                answer = function(owner, *args)
            finally:
                memo._active.discard(key)
                reads = memo._collecting.pop()
                if memo._collecting:
                    memo._collecting[-1].update(reads)
            table[args] = answer
            if reads:
                memo.reads[key] = frozenset(reads)
            return answer

        return query  # type: ignore[return-value]

    return decorate
