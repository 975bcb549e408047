"""A walk that only needs a few statements: the slice of a unit that can change them.

Looking for a function's callers walks every unit that may call it, to learn what each call
passes; reading what a method assigns to `self.name` walks each writer. Either needs the values at
a handful of statements (the seeds), not at all of them. A `Focus` holds the statements a walk
must run: the seeds, and every statement that binds a name (or attribute path: `self.order`)
a needed statement reads, transitively. The walker skips the others (their names are never read
where it matters), and the functions and classes that hold nothing needed.

The slice is computed over names, not flow: a name bound anywhere in the unit and read by a
needed statement anywhere counts (nested scopes alike), so that it can only keep too much.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Callable, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

import libcst as cst

from .evaluator import iter_children, path_of
from .units import method_receiver

if TYPE_CHECKING:  # pragma: no cover
    from .units import Unit

# The statements of each unit, read once (a unit is walked for many functions' callers).
_STEPS: "weakref.WeakKeyDictionary[Unit, List[Step]]" = weakref.WeakKeyDictionary()

# The small statements the walker may skip: what they do is bind names (or nothing it tracks).
SKIPPABLE = (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Expr)
DEFINITIONS = (cst.FunctionDef, cst.ClassDef)


class Step:
    """One statement of a unit (a small statement, or a compound statement's header: an `if`
    test, a `for` target and iterable, a `with` item): the paths it binds and reads, the names
    it calls."""

    __slots__ = ("node", "binds", "reads", "calls", "scopes", "function")

    def __init__(self, node: cst.CSTNode, binds: Set[str], reads: Set[str], calls: Set[str], scopes: "Scopes"):
        self.node = node
        self.binds = frozenset(binds)
        self.reads = frozenset(reads)
        self.calls = frozenset(calls)
        self.scopes = scopes[0]  # the ids of the definitions around it, outermost first
        self.function: Optional[cst.FunctionDef] = scopes[1]  # the innermost function around it


class Focus:
    """The statements of a unit a walk runs (see the module's docstring)."""

    def __init__(self, needed: Set[int], definitions: Set[int], reads: FrozenSet[str]) -> None:
        self.needed = needed  # ids of the statements that run
        self.definitions = definitions  # ids of the functions and classes that hold one
        self.reads = reads  # the paths needed statements read

    @classmethod
    def of(cls, unit: "Unit", seed: Callable[[Step], bool]) -> "Focus":
        """The slice of a unit that the statements `seed` picks need."""
        needed: List[Step] = []
        rest: List[Step] = []  # the others that bind something: needed once a needed one reads it
        for step in cls.steps(unit):
            if seed(step):
                needed.append(step)
            elif step.binds:
                rest.append(step)
        reads: Set[str] = set()
        for step in needed:
            reads |= step.reads
        changed = True
        while changed:
            changed = False
            keep = []
            for step in rest:
                if any(_reaches(bound, reads) for bound in step.binds):
                    needed.append(step)
                    reads |= step.reads
                    changed = True
                else:
                    keep.append(step)
            rest = keep
        definitions = {scope for step in needed for scope in step.scopes}
        return cls({id(step.node) for step in needed}, definitions, frozenset(reads))

    @staticmethod
    def steps(unit: "Unit") -> List[Step]:
        """The statements of a unit, read once (a unit is walked for many functions' callers)."""
        steps = _STEPS.get(unit)
        if steps is None:
            steps = _STEPS[unit] = _steps(unit.module)
        return steps

    def skips(self, statement: cst.CSTNode) -> bool:
        """Whether the walker may pass over a statement: a small one nothing needed reads."""
        return isinstance(statement, SKIPPABLE) and id(statement) not in self.needed

    def runs(self, statement: cst.CSTNode) -> bool:
        return id(statement) in self.needed

    def enters(self, definition: cst.CSTNode) -> bool:
        """Whether a nested function or class holds a statement the walk needs."""
        return id(definition) in self.definitions

    def reads_path(self, path: Optional[str]) -> bool:
        """Whether a needed statement reads the value bound to `path` (a narrowing of it matters)."""
        return path is not None and _reaches(path, self.reads)


def calling(names: FrozenSet[str]) -> Callable[[Step], bool]:
    """Seeds: the statements that call one of `names` (`f(...)`, `x.f(...)`)."""
    return lambda step: not step.calls.isdisjoint(names)


def making_facts(
    unit: "Unit", names: FrozenSet[str], returns: Callable[[cst.FunctionDef], bool]
) -> Callable[[Step], bool]:
    """Seeds of a walk for facts: the statements that call one of `names` or a local alias of
    one (`send = send_receipt.delay; send(order)`), and the `return` statements of the functions
    `returns` picks."""
    aliases = {
        bound
        for step in Focus.steps(unit)
        if step.binds and any(read.rpartition(".")[2] in names for read in step.reads)
        for bound in step.binds
    }
    called = names | aliases
    returning: Dict[int, bool] = {}

    def seed(step: Step) -> bool:
        if not step.calls.isdisjoint(called):
            return True
        function = step.function
        if not isinstance(step.node, cst.Return) or function is None:
            return False
        if id(function) not in returning:
            returning[id(function)] = returns(function)
        return returning[id(function)]

    return seed


def _reaches(bound: str, reads: Iterable[str]) -> bool:
    """Whether binding `bound` changes what one of `reads` evaluates to: the same path, or one
    under it (`self.order` for a read of `self.order.customer`)."""
    if bound in reads:
        return True
    prefix = bound + "."
    return any(read.startswith(prefix) for read in reads)


Scopes = Tuple[Tuple[int, ...], Optional[cst.FunctionDef]]  # the definitions around, the innermost function


def _steps(module: cst.Module) -> List[Step]:
    steps: List[Step] = []
    _collect(module.body, ((), None), steps)
    return steps


def _collect(statements: Iterable[cst.CSTNode], scopes: Scopes, steps: List[Step]) -> None:
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                steps.append(_small(small, scopes))
        elif isinstance(statement, DEFINITIONS):
            header: List[cst.CSTNode] = [d.decorator for d in statement.decorators]
            if isinstance(statement, cst.ClassDef):
                header += [arg.value for arg in statement.bases]
            steps.append(_step(statement, header, (), scopes))
            inner = statement if isinstance(statement, cst.FunctionDef) else scopes[1]
            _collect(statement.body.body, ((*scopes[0], id(statement)), inner), steps)
        elif isinstance(statement, cst.If):
            # `if isinstance(order, Order):` narrows `order` inside: a binding, for the slice
            step = _step(statement, [statement.test], (), scopes)
            step.binds = frozenset(step.binds | _narrowed(statement.test))
            steps.append(step)
            _collect(statement.body.body, scopes, steps)
            if isinstance(statement.orelse, cst.If):
                _collect([statement.orelse], scopes, steps)
            elif statement.orelse is not None:
                _collect(statement.orelse.body.body, scopes, steps)
        elif isinstance(statement, (cst.For, cst.While)):
            if isinstance(statement, cst.For):
                steps.append(_step(statement, [statement.iter], [statement.target], scopes))
            else:
                steps.append(_step(statement, [statement.test], (), scopes))
            _collect(statement.body.body, scopes, steps)
            if statement.orelse is not None:
                _collect(statement.orelse.body.body, scopes, steps)
        elif isinstance(statement, cst.With):
            targets = [item.asname.name for item in statement.items if item.asname is not None]
            steps.append(_step(statement, [item.item for item in statement.items], targets, scopes))
            _collect(statement.body.body, scopes, steps)
        elif isinstance(statement, (cst.Try, cst.TryStar)):
            _collect(statement.body.body, scopes, steps)
            for handler in statement.handlers:
                names = [handler.name.name] if handler.name is not None else []
                steps.append(_step(handler, [handler.type] if handler.type is not None else [], names, scopes))
                _collect(handler.body.body, scopes, steps)
            for block in (statement.orelse, statement.finalbody):
                if block is not None:
                    _collect(block.body.body, scopes, steps)
        elif isinstance(statement, cst.Match):
            steps.append(_step(statement, [statement.subject], (), scopes))
            for case in statement.cases:
                steps.append(_step(case, [case.guard] if case.guard is not None else [], (), scopes))
                _collect(case.body.body, scopes, steps)
        else:  # a compound statement pkify does not walk into
            steps.append(_step(statement, [statement], (), scopes))


def _narrowed(test: cst.BaseExpression) -> FrozenSet[str]:
    """The paths an `if` test narrows with `isinstance(path, ...)` (see `Walker._narrowed`)."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _narrowed(test.left) | _narrowed(test.right)
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and test.func.value == "isinstance" and test.args:
        path = path_of(test.args[0].value)
        return frozenset({path}) if path is not None else frozenset()
    return frozenset()


def _small(statement: cst.CSTNode, scopes: Scopes) -> Step:
    targets: List[cst.CSTNode] = []
    values: List[cst.CSTNode] = []
    if isinstance(statement, cst.Assign):
        targets = [t.target for t in statement.targets]
        values = [statement.value]
        popped = method_receiver(statement.value, ("pop",))
        if popped is not None:  # `x = d.pop("order")` changes `d`
            targets.append(popped)
    elif isinstance(statement, (cst.AnnAssign, cst.AugAssign)):
        targets = [statement.target]
        values = [statement.value] if statement.value is not None else []
    elif isinstance(statement, cst.Expr):
        values = [statement.value]
        call = statement.value
        # `rows.append(row)`, `d.update(...)`, `d.pop(key)`: bind `rows`, `d` (see `Walker._Expr`)
        changed = method_receiver(call, ("append", "extend", "update", "pop"))
        if changed is not None:
            targets = [changed]
    elif isinstance(statement, (cst.Import, cst.ImportFrom)):
        return Step(statement, set(), set(), set(), scopes)  # always run (see `Walker`)
    else:
        values = [statement]
    return _step(statement, values, targets, scopes)


def _step(
    node: cst.CSTNode, values: Iterable[cst.CSTNode], targets: Iterable[cst.CSTNode], scopes: Scopes
) -> Step:
    binds: Set[str] = set()
    reads: Set[str] = set()
    calls: Set[str] = set()
    for target in targets:
        _bound(target, binds, reads)
    for value in values:
        _read(value, reads, calls, binds)
    return Step(node, binds, reads, calls, scopes)


def _bound(target: cst.CSTNode, binds: Set[str], reads: Set[str]) -> None:
    """The paths an assignment target binds; what a target reads (`rows[i] = x` reads `i`)."""
    path = path_of(target)
    if path is not None:
        binds.add(path)
    elif isinstance(target, cst.Subscript):
        changed = path_of(target.value)
        if changed is not None:
            binds.add(changed)  # `d["order"] = order` changes `d`
        _read(target, reads, set(), binds)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _bound(element.value, binds, reads)
    elif isinstance(target, cst.StarredElement):
        _bound(target.value, binds, reads)
    else:
        _read(target, reads, set(), binds)


def _read(node: cst.CSTNode, reads: Set[str], calls: Set[str], binds: Set[str]) -> None:
    """The paths an expression reads (`self.order.customer`, `x`), the names it calls, and what
    a walrus in it binds."""
    stack: List[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.Name, cst.Attribute)):
            path = path_of(current)
            if path is not None:
                reads.add(path)
            elif isinstance(current, cst.Attribute):
                stack.append(current.value)  # `f().attr`: what `f()` reads
            continue
        if isinstance(current, cst.Call):
            func = current.func
            if isinstance(func, cst.Attribute):
                calls.add(func.attr.value)
            elif isinstance(func, cst.Name):
                calls.add(func.value)
        elif isinstance(current, cst.NamedExpr):
            _bound(current.target, binds, reads)
            stack.append(current.value)
            continue
        elif isinstance(current, cst.Arg):
            stack.append(current.value)  # `f(key=x)`: `key` is not a name
            continue
        elif isinstance(current, DEFINITIONS):
            continue  # its own statements are steps of their own
        stack.extend(iter_children(current))
