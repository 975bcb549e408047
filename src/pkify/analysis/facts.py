"""Facts: what the walker records about the calls it meets, once, for the rules to read.

A plugin recognises a call (a task call) or a `return` statement (what a task returns) as one
it cares about and returns a `Fact`; the recorder stamps it with where it stands
(`CallContext`): the enclosing function and class, their decorators, the `with` blocks open
around it, the calls it is passed to (a lambda or `functools.partial` given to
`transaction.on_commit`, a local function given to it by name), the loops around it, and the
context of the function that defines a nested one. Rules read facts; they never walk syntax.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

from .values import Value

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from .evaluator import Evaluator
    from .focus import Focus
    from .state import InferenceState
    from .units import Unit


@dataclass(frozen=True)
class WithItem:
    """A `with` block open around a call: what it entered (`node`: the expression, for its
    line: `fact.unit.line(item.node)`)."""

    value: Value
    node: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class CallContext:
    function: Optional[str] = None  # the qualified name of the innermost enclosing function
    owner: Optional[str] = None  # the class of that function, when it is a method
    decorators: Tuple[Value, ...] = ()  # that function's decorators
    withs: Tuple[WithItem, ...] = ()  # `with` blocks open around the call in that function, outermost first
    loops: int = 0  # loops around the call in that function
    # The callees the call is handed to, innermost last: a call (or a lambda holding it) that is
    # an argument of `f(...)` has f's value here; so does a call inside a local function that
    # its enclosing function passes to `f` by name.
    passed_to: Tuple[Value, ...] = ()
    parent: Optional["CallContext"] = None  # where the nested function holding the call is defined


Observer = Callable[["Fact", "Evaluator"], None]  # sees each fact with the evaluator where it stands


class Fact:
    """Something a plugin recognised in the code (a task call). The recorder fills in where it
    stands."""

    node: Any
    unit: "Unit"
    context: CallContext


@dataclass
class Frame:
    """The recorder's view of the function being walked."""

    function: Optional[str] = None
    owner: Optional[str] = None
    decorators: Tuple[Value, ...] = ()
    withs: List[WithItem] = field(default_factory=list)
    loops: int = 0
    passed_to: Tuple[Value, ...] = ()
    parent: Optional[CallContext] = None
    body: Any = None  # the function's statements, for the local functions it passes by name
    _callbacks: Optional[Dict[str, List[Any]]] = None


class Recorder:
    """Collects the facts of the calls the walker meets, each once (a loop body is walked
    twice), never while the walker only learns a loop's back edge (`quiet`)."""

    def __init__(
        self, state: "InferenceState", unit: "Unit", observe: "Optional[Observer]" = None, calls: bool = True
    ) -> None:
        self.state = state
        self.unit = unit
        self.observe = observe
        self.calls = calls  # False: only statements are observed (no facts are looked for)
        # Sees every call (not only those that make facts), with the evaluator where it stands.
        self.on_call: "Optional[Callable[[Evaluator, Any], None]]" = None
        # Sees each statement before it runs, with the evaluator where it stands (pkify.analysis.explain).
        self.statement: "Optional[Callable[[Any, Evaluator], None]]" = None
        self.facts: List[Fact] = []
        # Only these statements are run (a walk that needs a few calls or assignments).
        self.focus: "Optional[Focus]" = None
        self.quiet = 0
        self.frame = Frame()
        self._seen: Set[int] = set()
        self._calls: List[Tuple["Evaluator", "cst.Call"]] = []

    def call(self, evaluator: "Evaluator", node: "cst.Call") -> None:
        if self.on_call is not None and not self.quiet:
            self.on_call(evaluator, node)
        if self.quiet or not self.calls or id(node) in self._seen:
            return
        self._record(self.state.call_fact(evaluator, node), node, evaluator)

    def returned(self, evaluator: "Evaluator", node: "cst.Return", value: Value) -> None:
        """A `return` statement met with the value it returns (still lazy): a plugin may record
        it (what a task returns)."""
        if self.quiet or not self.calls or id(node) in self._seen:
            return
        self._record(self.state.return_fact(evaluator, node, value), node, evaluator)

    def _record(self, fact: "Optional[Fact]", node: Any, evaluator: "Evaluator") -> None:
        """Keep a fact a plugin made of `node`, stamped with where it stands (once per node)."""
        if fact is None:
            return
        self._seen.add(id(node))
        fact.unit = self.unit
        fact.context = self.context()
        self.facts.append(fact)
        if self.observe is not None:
            self.observe(fact, evaluator)

    @contextlib.contextmanager
    def inside_call(self, evaluator: "Evaluator", node: "cst.Call") -> Iterator[None]:
        """While the arguments of `node` are scanned: what they hold is passed to its callee."""
        self._calls.append((evaluator, node))
        try:
            yield
        finally:
            self._calls.pop()

    def context(self) -> CallContext:
        frame = self.frame
        callees = tuple(evaluator.lazy_value(node.func) for evaluator, node in self._calls)
        return CallContext(
            frame.function,
            frame.owner,
            frame.decorators,
            tuple(frame.withs),
            frame.loops,
            frame.passed_to + callees,
            frame.parent,
        )

    @contextlib.contextmanager
    def entering(self, frame: Frame) -> Iterator[None]:
        """While a function is walked (a nested one included)."""
        outer, calls = self.frame, self._calls
        self.frame, self._calls = frame, []
        try:
            yield
        finally:
            self.frame, self._calls = outer, calls

    def callbacks(self, name: str) -> List[Any]:
        """The callee expressions to which the function being walked passes its local
        function `name` (`transaction.on_commit(notify)`)."""
        frame = self.frame
        if frame._callbacks is None:
            frame._callbacks = _callbacks(frame.body) if frame.body is not None else {}
        return frame._callbacks.get(name, [])


def _callbacks(body: Any) -> Dict[str, List[Any]]:
    import libcst as cst

    found: Dict[str, List[Any]] = {}

    class Visitor(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            for arg in node.args:
                if isinstance(arg.value, cst.Name):
                    found.setdefault(arg.value.value, []).append(node.func)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False  # its own callbacks are its own

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

    for statement in body:
        statement.visit(Visitor())
    return found
