"""Statements in source order: which value each name holds at each point of a function.

`Walker` interprets a body statement by statement over an environment of abstract values.
Branches are walked separately and joined where they meet, so a name counts as an instance only
when it is one along every path that reaches its use; paths ended by
`return`/`raise`/`continue`/`break` do not reach. Loop bodies are walked once quietly to learn
what flows back to the top, then once for real. Every call met on the way is scanned by the
evaluator with the names bound as they are at that point, and recorded by the recorder when a
plugin recognises it (`with` blocks and loops are part of where a call stands).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, List, Optional, Tuple

import libcst as cst
from libcst.helpers import get_full_name_for_node

from .evaluator import Env, Evaluator, iter_children, literal_of, path_of
from .facts import WithItem
from .units import method_receiver
from .values import (
    NONE,
    UNKNOWN,
    Deferred,
    Entry,
    Joined,
    LocalDefinition,
    Mapping,
    Origin,
    Scalar,
    Value,
    join,
    join_returns,
)

if TYPE_CHECKING:  # pragma: no cover
    from .facts import Recorder
    from .focus import Focus

Dead = None  # an environment that no path reaches


class _Loop:
    def __init__(self) -> None:
        self.breaks: List[Env] = []
        self.continues: List[Env] = []


class Walker:
    def __init__(
        self,
        evaluator: Evaluator,
        on_function: Optional[Callable[[cst.CSTNode, Env, Evaluator], None]] = None,
        module_level: bool = False,
        focus: "Optional[Focus]" = None,
    ) -> None:
        self.ev = evaluator
        self.state = evaluator.state
        self.recorder: "Optional[Recorder]" = evaluator.recorder
        self.on_function = on_function  # analyses a nested def / class body (None: skip them)
        # At module and class level, definitions and imports are read from the project index.
        self.module_level = module_level
        self.quiet = 0  # > 0 while walking a loop body only to learn its back edge
        self.returns: List[Value] = []
        self.loops: List[_Loop] = []
        self.end: Optional[Env] = None  # the environment after the body, Dead if none reaches
        # The statements to run, when the walk needs only some (see `focus`); None: all of them.
        if focus is None and self.recorder is not None:
            focus = self.recorder.focus
        self.focus = focus

    # --- environments ----------------------------------------------------------------------------

    def merge(self, envs: List[Optional[Env]]) -> Optional[Env]:
        alive = [e for e in envs if e is not None]
        if not alive:
            return Dead
        if len(alive) == 1:
            return dict(alive[0])
        merged: Env = {}
        first, others = alive[0], alive[1:]
        for key in {k for e in alive for k in e}:
            same = first.get(key)
            if same is not None and all(e.get(key) is same for e in others):
                merged[key] = same  # the same value along every path (most names)
                continue
            values = [e.get(key) for e in alive]
            if "." in key and any(v is None for v in values):
                merged[key] = UNKNOWN  # an attribute path forgotten along one path
                continue
            present = [v for v in values if v is not None]
            if any(v is not present[0] for v in present) and any(isinstance(v, Deferred) for v in present):
                merged[key] = Joined(tuple(present))  # joined when used, if ever
                continue
            result: Optional[Value] = None
            for value in present:
                result = join(result, value)
            merged[key] = result if result is not None else UNKNOWN
        return merged

    def walk(self, statements, env: Optional[Env]) -> Optional[Env]:
        """Walk statements from `env`; the environment at their end, or Dead."""
        recorder = self.recorder
        focus = self.focus
        for statement in statements:
            if env is None:
                return Dead
            if focus is not None and focus.skips(statement):
                continue
            self.ev.env = env
            if recorder is not None and recorder.statement is not None and not recorder.quiet:
                recorder.statement(statement, self.ev)
            env = self.statement(statement, env)
        return env

    def _runs(self, node: cst.CSTNode) -> bool:
        """Whether the walk runs a statement (or a compound statement's header): see `focus`."""
        return self.focus is None or self.focus.runs(node)

    def walk_body(self, body, env: Optional[Env]) -> Optional[Env]:
        return self.walk(body.body, env)

    def scan(self, node: Optional[cst.CSTNode]) -> None:
        if node is not None:
            self.ev.scan(node)

    # --- statements ------------------------------------------------------------------------------

    def statement(self, node: cst.CSTNode, env: Env) -> Optional[Env]:
        if isinstance(node, cst.SimpleStatementLine):
            return self.walk(node.body, env)
        method = getattr(self, "_" + type(node).__name__, None)
        if method is not None:
            return method(node, env)
        # Statements without names to track: scan their expressions.
        for child in iter_children(node):
            if isinstance(child, cst.BaseExpression):
                self.scan(child)
        return env

    def _Expr(self, node: cst.Expr, env: Env) -> Env:
        self.scan(node.value)
        call = node.value
        if (  # `rows.append(row)`, `rows.extend(more)` on a list the function made
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Attribute)
            and call.func.attr.value in ("append", "extend")
            and len(call.args) == 1
            and call.args[0].keyword is None
            and not call.args[0].star
        ):
            path = path_of(call.func.value)
            if path is not None and path in self.ev.env:
                item = self.ev.value(call.args[0].value)
                if call.func.attr.value == "extend":
                    item = item.iterate(self.state)
                self.ev.assign(path, self.ev.force(self.ev.env[path]).appended(item))
        elif isinstance(call, cst.Call) and method_receiver(call, ("update",)) is not None:
            self._update(call)
        self._popped(call)
        return self.ev.env

    def _Assign(self, node: cst.Assign, env: Env) -> Env:
        self.scan(node.value)
        value = self.ev.lazy_value(node.value)
        for target in node.targets:
            if isinstance(target.target, cst.Subscript):
                self._set_item(target.target, value, node.value)
            else:
                self.ev.bind(target.target, value)
        self._popped(node.value)
        return self.ev.env

    # --- dicts a function fills: `d["order"] = order`, `d.update(...)`, `d.pop("order")` ---------

    def _dict_path(self, node: cst.BaseExpression) -> Optional[str]:
        path = path_of(node)
        return path if path is not None and path in self.ev.env else None

    def _set_item(self, target: cst.Subscript, value: Value, node: Optional[cst.BaseExpression]) -> None:
        """`d["order"] = order`: the entry's expression is where a fix writes `order.pk`, its key
        where it renames the key."""
        path = self._dict_path(target.value)
        if path is None:
            return
        key = _string_key(target)
        entry = Entry(key, self.ev.force(value), node, _key_node(target)) if key is not None else None
        self.ev.assign(path, self.ev.force(self.ev.env[path]).updated((entry,) if entry else None))

    def _update(self, call: cst.Call) -> None:
        """`d.update(other, key=value)`: the keys of `other` (a dict pkify reads to its last key),
        then the keywords."""
        assert isinstance(call.func, cst.Attribute)
        path = self._dict_path(call.func.value)
        if path is None:
            return
        entries: Optional[List[Entry]] = []
        for arg in call.args:
            if entries is None:
                break
            if arg.keyword is not None:
                entries.append(Entry(arg.keyword.value, self.ev.value(arg.value), arg.value, arg))
                continue
            other = self.ev.value(arg.value)
            readable = isinstance(other, Mapping) and other.closed and arg.star != "*"
            entries = [*entries, *other.entries] if isinstance(other, Mapping) and readable else None
        self.ev.assign(path, self.ev.force(self.ev.env[path]).updated(tuple(entries) if entries is not None else None))

    def _popped(self, node: cst.BaseExpression) -> None:
        """`d.pop("order")` (as a statement or the value assigned): the key is gone after it."""
        receiver = method_receiver(node, ("pop",))
        if receiver is None:
            return
        assert isinstance(node, cst.Call)
        path = self._dict_path(receiver)
        key = literal_of(node.args[0].value) if node.args and node.args[0].keyword is None else None
        if path is not None and isinstance(key, str):
            self.ev.assign(path, self.ev.force(self.ev.env[path]).without(key))

    def _AnnAssign(self, node: cst.AnnAssign, env: Env) -> Env:
        if node.value is None:
            return env
        self.scan(node.value)
        value = self.ev.lazy_value(node.value)
        annotated = self.state.annotated(self.ev.unit, node.annotation.annotation, _name(node.target))
        if annotated is not None and self.ev.force(value) in (UNKNOWN,):
            value = annotated
        self.ev.bind(node.target, value)
        return self.ev.env

    def _AugAssign(self, node: cst.AugAssign, env: Env) -> Env:
        self.scan(node.value)
        path = path_of(node.target)
        if isinstance(node.operator, cst.AddAssign) and path is not None and path in self.ev.env:
            # `rows += more`: the list with the elements of `more` appended
            more = self.ev.value(node.value).iterate(self.state)
            self.ev.assign(path, self.ev.force(self.ev.env[path]).appended(more))
        else:
            self.ev.bind(node.target, UNKNOWN)
        return self.ev.env

    def _Return(self, node: cst.Return, env: Env) -> Optional[Env]:
        if not self._runs(node):
            self.returns.append(UNKNOWN)
            return Dead
        if node.value is not None:
            self.scan(node.value)
            value = self.ev.lazy_value(node.value)
            self.returns.append(value)
            if self.recorder is not None:
                self.recorder.returned(self.ev, node, value)
        else:
            self.returns.append(NONE)
        return Dead

    def _Raise(self, node: cst.Raise, env: Env) -> Optional[Env]:
        if self._runs(node):
            self.scan(node.exc)
        return Dead

    def _Continue(self, node, env: Env) -> Optional[Env]:
        if self.loops:
            self.loops[-1].continues.append(env)
        return Dead

    def _Break(self, node, env: Env) -> Optional[Env]:
        if self.loops:
            self.loops[-1].breaks.append(env)
        return Dead

    def _Del(self, node: cst.Del, env: Env) -> Env:
        targets: List[cst.BaseExpression] = [node.target]
        while targets:
            target = targets.pop()
            if isinstance(target, (cst.Tuple, cst.List)):
                targets.extend(e.value for e in target.elements)
            elif isinstance(target, cst.Name):
                env.pop(target.value, None)
            elif isinstance(target, cst.Subscript):
                path = self._dict_path(target.value)
                key = _string_key(target)
                if path is not None:
                    current = self.ev.force(self.ev.env[path])
                    self.ev.assign(path, current.without(key) if key else current.updated(None))
        return self.ev.env

    def _Import(self, node: cst.Import, env: Env) -> Env:
        if self.module_level:
            return env
        for alias in node.names:
            dotted = self.ev.unit.code(alias.name)
            if alias.asname is not None:
                env[_name(alias.asname.name)] = self.state.import_value(self.ev.unit.summary, dotted)
            else:
                top = dotted.split(".")[0]
                env[top] = self.state.import_value(self.ev.unit.summary, top)
        return env

    def _ImportFrom(self, node: cst.ImportFrom, env: Env) -> Env:
        if self.module_level or isinstance(node.names, cst.ImportStar):
            return env
        base = "." * len(node.relative) + (self.ev.unit.code(node.module) if node.module else "")
        for alias in node.names:
            name = self.ev.unit.code(alias.name)
            local = _name(alias.asname.name) if alias.asname is not None else name
            target = f"{base}{name}" if base.endswith(".") else f"{base}.{name}"
            env[local] = self.state.import_value(self.ev.unit.summary, target)
        return env

    def _If(self, node: cst.If, env: Env) -> Optional[Env]:
        self.ev.env = env  # an `elif` starts from the environment where the `if` test failed
        focus = self.focus
        if self._runs(node):
            self.scan(node.test)
        env = self.ev.env
        body_env, other_env = dict(env), dict(env)
        for name, narrowed in self._narrowed(node.test):
            body_env[name] = narrowed
        tested, truthy = _none_test(node.test)
        # A name nothing needed reads: its narrowing does not matter.
        checked = tested if focus is None or focus.reads_path(tested) else None
        if checked is not None and checked in env:  # `if order:`, `if order is not None:`, `if order is None:`
            (body_env if truthy else other_env)[checked] = self.ev.force(env[checked]).not_none()
        body = self.walk_body(node.body, body_env)
        if node.orelse is None:
            other: Optional[Env] = other_env
        elif isinstance(node.orelse, cst.If):
            other = self._If(node.orelse, other_env)
        else:
            other = self.walk_body(node.orelse.body, other_env)
        merged = self.merge([body, other])
        normalised = _key_test(node.test) if node.orelse is None else None
        if focus is not None and not focus.reads_path(normalised):
            normalised = None
        if normalised is not None and body is not None and merged is not None and normalised in env:
            # `if isinstance(order, int): order = Order.objects.get(pk=order)`: a function that
            # takes a row or its key, and makes a row of a key. After it, the name is the row.
            before, after = self.ev.force(env[normalised]), body.get(normalised)
            if (before is UNKNOWN or isinstance(before, Scalar)) and after is not None:
                after = self.ev.force(after)
                if after is not UNKNOWN and not isinstance(after, Scalar):
                    merged[normalised] = after
        return merged

    def _narrowed(self, test: cst.BaseExpression) -> List[Tuple[str, Value]]:
        """`isinstance(name, Cls)`, alone or among the operands of `and`: inside the `if`, the
        name is what an instance of Cls is (when the class's value says: a model's instance)."""
        if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
            return [*self._narrowed(test.left), *self._narrowed(test.right)]
        if not (isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and test.func.value == "isinstance"):
            return []
        args = test.args
        path = path_of(args[0].value) if len(args) == 2 else None  # `x`, or `action.target`
        if path is None or (self.focus is not None and not self.focus.reads_path(path)):
            return []
        narrowed = self.ev.value(args[1].value).instance(Origin(test, "narrowed by"))
        return [(path, narrowed)] if narrowed is not UNKNOWN else []

    def _loop(self, node, env: Env, bind_target) -> Optional[Env]:
        recorder = self.recorder
        if recorder is not None:
            recorder.frame.loops += 1
        try:
            return self._loop_body(node, env, bind_target)
        finally:
            if recorder is not None:
                recorder.frame.loops -= 1

    def _loop_body(self, node, env: Env, bind_target) -> Optional[Env]:
        # Quietly, to learn what flows back from the end of the body to its top.
        self._be_quiet(+1)
        self.loops.append(_Loop())
        first = dict(env)
        self.ev.env = first
        bind_target()
        end = self.walk_body(node.body, first)
        quiet_loop = self.loops.pop()
        self._be_quiet(-1)
        top = self.merge([env, end, *quiet_loop.continues])
        if top is None:
            top = dict(env)
        # For real.
        loop = _Loop()
        self.loops.append(loop)
        body_env = dict(top)
        self.ev.env = body_env
        bind_target()
        end = self.walk_body(node.body, body_env)
        self.loops.pop()
        exit_env = self.merge([top, end, *loop.continues])
        if node.orelse is not None and exit_env is not None:
            exit_env = self.walk_body(node.orelse.body, exit_env)
        return self.merge([exit_env, *loop.breaks])

    def _be_quiet(self, step: int) -> None:
        self.quiet += step
        if self.recorder is not None:
            self.recorder.quiet += step

    def _For(self, node: cst.For, env: Env) -> Optional[Env]:
        if not self._runs(node):
            return self._loop(node, env, lambda: self.ev.bind(node.target, UNKNOWN))
        self.scan(node.iter)
        element = self.ev.iterate(node.iter)
        return self._loop(node, self.ev.env, lambda: self.ev.bind(node.target, element))

    def _While(self, node: cst.While, env: Env) -> Optional[Env]:
        if not self._runs(node):
            return self._loop(node, env, lambda: None)
        self.scan(node.test)
        return self._loop(node, self.ev.env, lambda: self.scan(node.test))

    def _Try(self, node, env: Env) -> Optional[Env]:
        body = self.walk_body(node.body, dict(env))
        anywhere = self.merge([env, body])
        ends = []
        for handler in node.handlers:
            handler_env = dict(anywhere) if anywhere is not None else dict(env)
            self.ev.env = handler_env
            if handler.type is not None and self._runs(handler):
                self.scan(handler.type)
            if handler.name is not None:
                self.ev.bind(handler.name.name, UNKNOWN)
            ends.append(self.walk_body(handler.body, handler_env))
        if node.orelse is not None and body is not None:
            body = self.walk_body(node.orelse.body, body)
        result = self.merge([body, *ends])
        if node.finalbody is not None:
            # `finally` also runs when an exception left the body at any point
            start = self.merge([anywhere, body, *ends]) or dict(env)
            after = self.walk_body(node.finalbody.body, start)
            return after if result is not None else Dead
        return result

    _TryStar = _Try

    def _With(self, node: cst.With, env: Env) -> Optional[Env]:
        if self.focus is not None and self.recorder is not None and not self.recorder.calls:
            # No facts, so no `with` blocks to record: only what is needed is bound.
            if self._runs(node):
                for item in node.items:
                    self.scan(item.item)
                    if item.asname is not None:
                        self.ev.bind(item.asname.name, self.ev.value(item.item).entered())
            else:
                for item in node.items:
                    if item.asname is not None:
                        self.ev.bind(item.asname.name, UNKNOWN)
            return self.walk_body(node.body, self.ev.env)
        entered = []
        for item in node.items:
            self.scan(item.item)
            manager = self.ev.value(item.item) if self.recorder is not None or item.asname is not None else UNKNOWN
            if self.recorder is not None:
                entered.append(WithItem(manager, item.item))
            if item.asname is not None:
                self.ev.bind(item.asname.name, manager.entered())
        if self.recorder is None:
            return self.walk_body(node.body, self.ev.env)
        withs = self.recorder.frame.withs
        withs.extend(entered)
        try:
            return self.walk_body(node.body, self.ev.env)
        finally:
            del withs[len(withs) - len(entered) :]

    def _Match(self, node, env: Env) -> Optional[Env]:
        if self._runs(node):
            self.scan(node.subject)
        ends: List[Optional[Env]] = [dict(env)]
        for case in node.cases:
            case_env = dict(env)
            for name in _pattern_names(case.pattern):
                case_env[name] = UNKNOWN
            self.ev.env = case_env
            if case.guard is not None and self._runs(case):
                self.scan(case.guard)
            ends.append(self.walk_body(case.body, case_env))
        return self.merge(ends)

    def _FunctionDef(self, node: cst.FunctionDef, env: Env) -> Env:
        if self.focus is not None and not self.focus.enters(node):
            if not self.module_level:
                env[node.name.value] = self._local_function(node)
            return env
        for decorator in node.decorators:
            self.scan(decorator.decorator)
        if self.on_function is not None and not self.quiet:
            self.on_function(node, env, self.ev)
        if not self.module_level:
            env[node.name.value] = self._local_function(node)
        return env

    def _local_function(self, node: cst.FunctionDef) -> LocalDefinition:
        """A function defined in the one walked: named, so that where it is handed (a signal
        receiver a factory returns) can be told."""
        outer = self.ev.scope.function
        qualname = f"{outer}.<locals>.{node.name.value}" if outer else ""
        return LocalDefinition("function", node.name.value, qualname)

    def _ClassDef(self, node: cst.ClassDef, env: Env) -> Env:
        if self.focus is not None and not self.focus.enters(node):
            if not self.module_level:
                env[node.name.value] = LocalDefinition("class", node.name.value)
            return env
        for decorator in node.decorators:
            self.scan(decorator.decorator)
        for arg in node.bases:
            self.scan(arg.value)
        if self.on_function is not None and not self.quiet:
            self.on_function(node, env, self.ev)
        if not self.module_level:
            env[node.name.value] = LocalDefinition("class", node.name.value)
        return env

    def _Global(self, node, env: Env) -> Env:
        return env

    _Nonlocal = _Global
    _Pass = _Global

    def result(self, end: Optional[Env]) -> Value:
        """What the function returns, over every `return` (see `join_returns`)."""
        values = [self.ev.force(v) for v in self.returns]
        if end is not None:
            values.append(NONE)  # falling off the end returns None
        return join_returns(values)


def _none_test(test: cst.BaseExpression):
    """(name, True) for `if name:` / `if name is not None:`, (name, False) for `if name is None:`
    and `if not name:` (the else branch rules None out); (None, True) otherwise."""
    negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
    if negated:
        test = test.expression  # type: ignore[attr-defined]
    if isinstance(test, cst.Name):
        return test.value, not negated
    if (
        not negated
        and isinstance(test, cst.Comparison)
        and isinstance(test.left, cst.Name)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
    ):
        operator = test.comparisons[0].operator
        if isinstance(operator, cst.IsNot):
            return test.left.value, True
        if isinstance(operator, cst.Is):
            return test.left.value, False
    return None, True


KEY_TYPES = {"int", "str", "UUID", "uuid.UUID"}


def _key_test(test: cst.BaseExpression) -> Optional[str]:
    """The name tested by `isinstance(name, int)` (or `str`, `UUID`, a tuple of them)."""
    if not (isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and test.func.value == "isinstance"):
        return None
    if len(test.args) != 2 or not isinstance(test.args[0].value, cst.Name):
        return None
    kinds = test.args[1].value
    elements = [e.value for e in kinds.elements] if isinstance(kinds, cst.Tuple) else [kinds]
    spelled = [get_full_name_for_node(e) for e in elements]
    if not spelled or any(name not in KEY_TYPES for name in spelled):
        return None
    return test.args[0].value.value


def _name(node: cst.CSTNode) -> str:
    return node.value if isinstance(node, cst.Name) else ""


def _pattern_names(pattern) -> List[str]:
    names = []
    stack = [pattern]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.MatchAs) and node.name is not None:
            names.append(node.name.value)
        if isinstance(node, cst.MatchStar) and node.name is not None:
            names.append(node.name.value)
        if isinstance(node, cst.MatchMapping) and node.rest is not None:
            names.append(node.rest.value)
        stack.extend(iter_children(node))
    return names


def _key_node(target: cst.Subscript) -> Optional[cst.SimpleString]:
    index = target.slice[0].slice if len(target.slice) == 1 else None
    if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
        return index.value
    return None


def _string_key(target: cst.Subscript) -> Optional[str]:
    """The key of `d["order"]` (a plain string); None for any other subscript."""
    key = _key_node(target)
    value = key.evaluated_value if key is not None else None
    return value if isinstance(value, str) else None
