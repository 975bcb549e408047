"""What an expression is: the evaluator over libcst expressions.

`Evaluator.value(node)` answers with a `Value` from the names bound so far (`Scope`, kept in
source order by the walker), the module and the project, asking the inference state for
everything beyond the function (what a name of another module is, what a call returns). It
never guesses: anything it cannot decide is `UNKNOWN`. The behaviour of each kind of value is
the value's own (`values.py`, and the plugins' values): the evaluator reads syntax and
dispatches.

`Evaluator.scan(node)` visits every call inside an expression with the names bound where it
stands (comprehension variables, lambda parameters) and records the facts the plugins find
there (`facts.Recorder`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Tuple

import libcst as cst

from .values import (
    NONE,
    UNKNOWN,
    Arg,
    Args,
    AttributeOf,
    Entry,
    External,
    Item,
    LambdaValue,
    Mapping,
    Origin,
    Deferred,
    Pending,
    Scalar,
    Sequence,
    SetValue,
    Subscript,
    Value,
    join,
    last_wins,
)

from .units import path_of

if TYPE_CHECKING:  # pragma: no cover
    from .facts import Recorder
    from .state import InferenceState
    from .units import Unit

Env = Dict[str, Value]

SELF = "<self>"  # the environment key of a method's first parameter, for `super()`
BUILTIN_CONTAINERS = frozenset({"list", "tuple", "set", "frozenset", "sorted", "reversed"})


@dataclass
class Scope:
    """The names visible where an expression stands: the function's own (`env`, updated as the
    walker goes), the enclosing functions' (innermost first), and the class a method belongs to.
    Module-level names come from the inference state."""

    env: Env
    outer: Tuple[Env, ...] = ()
    owner: Optional[str] = None  # the qualified name of the class of a method
    function: Optional[str] = None  # the qualified name of the function

    def inner(self, env: Env) -> "Scope":
        """A comprehension's or lambda's scope: its own names over this one's."""
        return Scope(env, (self.env, *self.outer), self.owner, self.function)


def _is_super(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "super"


def literal_of(node: Optional[cst.CSTNode]):
    """The Python value of a string, integer or negative integer literal, else None."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.Integer):
        return int(node.value, 0) if not node.value.startswith("0") or node.value == "0" else None
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = literal_of(node.expression)
        return -inner if isinstance(inner, int) else None
    return None


class NodeArg(Arg):
    """An argument written in a call: evaluated when a plugin asks (a name, or a path of
    attributes the function bound, is read at once: `x = f(x)` passes the old `x`)."""

    def __init__(self, evaluator: "Evaluator", arg: cst.Arg) -> None:
        self.evaluator = evaluator
        self.node = arg.value
        self.arg = arg
        self.keyword = arg.keyword.value if arg.keyword is not None else None
        self.star = arg.star if isinstance(arg.star, str) else ""
        self._value: Optional[Value] = None
        path = path_of(self.node)
        self._bound = evaluator.scope.env.get(path) if path is not None else None

    def value(self) -> Value:
        if self._value is None:
            self._value = self.evaluator.force(self._bound) if self._bound is not None else self.evaluator.value(self.node)
        return self._value

    def literal(self):
        return literal_of(self.node)


class Evaluator:
    def __init__(
        self,
        state: "InferenceState",
        unit: "Unit",
        scope: Scope,
        recorder: "Optional[Recorder]" = None,
    ) -> None:
        self.state = state
        self.unit = unit
        self.scope = scope
        self.recorder = recorder  # None: calls are not recorded (inferring what a function returns)

    @property
    def env(self) -> Env:
        return self.scope.env

    @env.setter
    def env(self, env: Env) -> None:
        self.scope.env = env

    def inner(self, env: Env) -> "Evaluator":
        """An evaluator for a comprehension or lambda: its own names over this one's."""
        return Evaluator(self.state, self.unit, self.scope.inner(env), self.recorder)

    # --- names -----------------------------------------------------------------------------------

    def lookup(self, name: str) -> Value:
        if name in self.scope.env:
            return self.scope.env[name]
        for env in self.scope.outer:
            if name in env:
                return env[name]
        if name in ("None", "False"):  # "no row": `return False` where a row is not found
            return NONE
        if name == "True":
            return Scalar()
        return self.state.global_value(self.unit, name)

    # --- expressions -----------------------------------------------------------------------------

    def value(self, node: cst.BaseExpression) -> Value:
        return self.force(self.lazy_value(node))

    def force(self, value: Value) -> Value:
        if isinstance(value, Deferred):
            return value.resolve(self.state)
        return value

    def origin(self, node: cst.CSTNode, how: str = "from") -> Origin:
        return Origin(node, how)

    def lazy_value(self, node: cst.BaseExpression) -> Value:
        """The value, leaving the result of a project function call `Pending`."""
        if isinstance(node, cst.Name):
            return self.lookup(node.value)
        if isinstance(node, cst.Attribute):
            path = path_of(node)
            if path is not None and path in self.scope.env:
                return self.scope.env[path]
            base = self.lazy_value(node.value)
            if isinstance(base, Deferred):
                return AttributeOf(base, node.attr.value, self.origin(node))
            return self.state.attribute(base, node.attr.value, self.origin(node))
        if isinstance(node, cst.Call):
            return self.call(node)
        if isinstance(node, cst.Subscript):
            return self.subscript(node)
        if isinstance(node, cst.Await):
            return self.lazy_value(node.expression)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            kind = {cst.List: "list", cst.Tuple: "tuple", cst.Set: "set"}[type(node)]
            return Sequence(tuple(self.elements(node.elements)), kind, self.origin(node))
        if isinstance(node, cst.Dict):
            return self.dict_display(node)
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            return self.comprehension(node)
        if isinstance(node, cst.Lambda):
            return self.lambda_value(node)
        if isinstance(node, cst.DictComp):
            env = self.comprehension_env(node.for_in)
            inner = self.inner(env)
            return Mapping((), inner.value(node.value), inner.value(node.key))
        if isinstance(node, cst.IfExp):
            return join(self.value(node.body), self.value(node.orelse)) or UNKNOWN
        if isinstance(node, cst.BooleanOperation):
            if isinstance(node.operator, cst.Or):
                return join(self.value(node.left), self.value(node.right)) or UNKNOWN
            return UNKNOWN
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.BitOr, cst.BitAnd)):
            operator = "|" if isinstance(node.operator, cst.BitOr) else "&"
            left, right = self.value(node.left), self.value(node.right)
            return left.binary(operator, right, self.origin(node)) if type(left) is type(right) else UNKNOWN
        if isinstance(node, cst.NamedExpr):
            value = self.lazy_value(node.value)
            if isinstance(node.target, cst.Name):
                self.scope.env[node.target.value] = value
            return value
        if isinstance(
            node,
            (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.Integer, cst.Float, cst.Imaginary),
        ):
            return Scalar()
        if isinstance(node, (cst.Comparison, cst.UnaryOperation)):
            return Scalar()
        return UNKNOWN

    def lambda_value(self, node: cst.Lambda) -> Value:
        params = node.params
        if isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None:
            return UNKNOWN
        own = {p.name.value for p in _lambda_params(params)}
        scopes = (self.scope.env, *self.scope.outer)
        for name in _names_read(node.body):
            if name not in own and any(name in env for env in scopes):
                return UNKNOWN  # it reads a local name: what it returns depends on where it is
        return LambdaValue(node, self)

    def lambda_result(self, node: cst.Lambda, args: Args) -> Value:
        """What the lambda returns when called with `args`."""
        if any(a.star for a in args.items):
            return UNKNOWN
        params = node.params
        ordered = [*params.posonly_params, *params.params]
        env: Env = {}
        positional = args.positional()
        for index, param in enumerate([*ordered, *params.kwonly_params]):
            passed = positional[index] if index < len(ordered) and index < len(positional) else None
            passed = passed or args.keyword(param.name.value)
            if passed is not None:
                env[param.name.value] = passed.value()
            elif param.default is not None:
                env[param.name.value] = self.lazy_value(param.default)
            else:
                return UNKNOWN
        return Evaluator(self.state, self.unit, Scope(env, (), self.scope.owner, self.scope.function)).value(node.body)

    def elements(self, elements) -> Iterator[Item]:
        for element in elements:
            if isinstance(element, cst.StarredElement):
                inner = self.value(element.value)
                if isinstance(inner, Sequence):
                    yield from inner.items
                else:  # `[*orders]`: the elements, collected again
                    each = inner.iterate(self.state)
                    yield Item(each.collected(getattr(inner, "origin", None)), element.value)
            else:
                yield Item(self.value(element.value), element.value)

    def dict_display(self, node: cst.Dict) -> Mapping:
        entries: List[Entry] = []
        closed = True
        for element in node.elements:
            if isinstance(element, cst.StarredDictElement):
                inner = self.value(element.value)
                # `{**other}`: its entries; one pkify cannot read may replace any key before it
                entries = [*entries, *inner.entries] if isinstance(inner, Mapping) else []
                closed = closed and isinstance(inner, Mapping) and inner.closed
                continue
            assert isinstance(element, cst.DictElement)
            key = literal_of(element.key)
            closed = closed and isinstance(key, str)
            entries.append(
                Entry(key if isinstance(key, str) else None, self.value(element.value), element.value, element)
            )
        return Mapping(last_wins(entries), closed=closed)

    def comprehension_env(self, for_in: cst.CompFor) -> Env:
        env: Env = {}
        evaluator = self.inner(env)
        clause: Optional[cst.CompFor] = for_in
        while clause is not None:
            evaluator.bind(clause.target, evaluator.iterate(clause.iter))
            clause = clause.inner_for_in
        return env

    def comprehension(self, node) -> Value:
        env = self.comprehension_env(node.for_in)
        element = self.inner(env).value(node.elt)
        if isinstance(node, cst.SetComp):  # `{t.name for t in tags}`: a set, unless of rows
            return SetValue.of(self._collected(element), element, self.origin(node))
        return self._collected(element)

    def _collected(self, element: Value) -> Value:
        if isinstance(element, Sequence):  # `[(o, 1) for o in orders]`: the first element that counts
            element = next(
                (
                    i.value
                    for i in element.items
                    if not isinstance(i.value, Scalar) and i.value.collected(None) is not UNKNOWN
                ),
                element,
            )
        return element.collected(None)

    # --- binding ---------------------------------------------------------------------------------

    def bind(self, target: cst.BaseExpression, value: Value) -> None:
        if isinstance(target, cst.Name):
            self.assign(target.value, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            value = self.force(value)
            items = value.items if isinstance(value, Sequence) else None
            starred = any(isinstance(e, cst.StarredElement) for e in elements)
            each = value.unpack(self.state) if items is None and not starred else UNKNOWN
            for i, element in enumerate(elements):
                if isinstance(element, cst.StarredElement):
                    self.bind(element.value, UNKNOWN)
                elif items is not None and not starred and len(items) == len(elements):
                    self.bind(element.value, items[i].value)
                else:
                    self.bind(element.value, each)
        elif isinstance(target, cst.Attribute):
            path = path_of(target)
            if path is not None:
                self.assign(path, value)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, UNKNOWN)

    def assign(self, name: str, value: Value) -> None:
        env = self.scope.env
        prefix = name + "."
        for key in [k for k in env if k.startswith(prefix)]:
            del env[key]
        env[name] = value

    # --- iteration -------------------------------------------------------------------------------

    def iterate(self, node: cst.BaseExpression) -> Value:
        """The value of each element when iterating over `node`."""
        if isinstance(node, cst.Call):
            callee = self.value(node.func)
            args = [a for a in node.args if a.keyword is None and not a.star]
            name = callee.qualname if isinstance(callee, External) else None
            if name == "enumerate" and args:
                return Sequence((Item(Scalar()), Item(self.iterate(args[0].value))))
            if name == "zip" and args:
                return Sequence(tuple(Item(self.iterate(a.value)) for a in args))
            if name in BUILTIN_CONTAINERS and args:
                return self.iterate(args[0].value)
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "items":
                owner = self.value(node.func.value)
                if isinstance(owner, Mapping):
                    return Sequence((Item(owner.keys), Item(owner.values)))
        return self.value(node).iterate(self.state)

    # --- subscripts ------------------------------------------------------------------------------

    def subscript(self, node: cst.Subscript) -> Value:
        base = self.value(node.value)
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, (cst.Index, cst.Slice)):
            return UNKNOWN
        inside = node.slice[0].slice
        if isinstance(inside, cst.Slice):
            key = Subscript(is_slice=True, step=inside.step is not None)
        else:
            key = Subscript(literal=literal_of(inside.value))
        return base.subscript(self.state, key, self.origin(node))

    # --- calls -----------------------------------------------------------------------------------

    def args(self, node: cst.Call) -> Args:
        return Args([NodeArg(self, arg) for arg in node.args])

    def call(self, node: cst.Call) -> Value:
        func = node.func
        origin = self.origin(node)
        if isinstance(func, cst.Attribute):
            path = path_of(func)
            if path is not None and path in self.scope.env:
                return self.state.call(self.scope.env[path], self.args(node), origin)
            if _is_super(func.value):  # the next class's method, else the framework's
                method = self.state.called_function(self, func)
                if method is not None:
                    return Pending(method, self.lookup(SELF), origin, self.args(node))
                base = self.lookup(SELF).inherited()
                result = base.method_call(self.state, func.attr.value, self.args(node), origin)
                return result if result is not None else UNKNOWN
            base = self.value(func.value)
            result = base.method_call(self.state, func.attr.value, self.args(node), origin)
            if result is not None:
                return result
            return self.state.call(
                self.state.attribute(base, func.attr.value, self.origin(func)), self.args(node), origin
            )
        callee = self.value(func)
        if isinstance(callee, External) and callee.qualname == "super" and not node.args:
            return self.lookup(SELF)  # `super().save()` acts on the same object
        return self.state.call(callee, self.args(node), origin)

    # --- walking every call in an expression -----------------------------------------------------

    def scan(self, node: cst.CSTNode) -> None:
        """Visit every call in `node` with the names bound where it stands (comprehension
        variables, lambda parameters, walrus targets), recording what the plugins find."""
        kind = type(node)
        if kind not in _SCANNED_APART:  # most nodes: their children (checked by type: cheap)
            for child in iter_children(node):
                self.scan(child)
            return
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            self.scan_comprehension(node)
            return
        if isinstance(node, cst.Lambda):
            env: Env = {
                p.name.value: self.lazy_value(p.default) if p.default is not None else UNKNOWN
                for p in _lambda_params(node.params)
            }
            self.inner(env).scan(node.body)
            return
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return
        if isinstance(node, cst.NamedExpr):
            self.scan(node.value)
            self.lazy_value(node)
            return
        if isinstance(node, cst.Call) and self.recorder is not None:
            self.scan(node.func)
            with self.recorder.inside_call(self, node):  # what its arguments hold is passed to it
                for arg in node.args:
                    self.scan(arg.value)
            self.recorder.call(self, node)
            return
        for child in iter_children(node):
            self.scan(child)

    def scan_comprehension(self, node) -> None:
        env: Env = {}
        evaluator = self.inner(env)
        clause: Optional[cst.CompFor] = node.for_in
        first = True
        while clause is not None:
            (self if first else evaluator).scan(clause.iter)
            first = False
            evaluator.bind(clause.target, evaluator.iterate(clause.iter))
            for condition in clause.ifs:
                evaluator.scan(condition.test)
            clause = clause.inner_for_in
        if isinstance(node, cst.DictComp):
            evaluator.scan(node.key)
            evaluator.scan(node.value)
        else:
            evaluator.scan(node.elt)


# The nodes `scan` handles by themselves (libcst's node classes are final: compared by type).
_SCANNED_APART = frozenset(
    {cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp, cst.Lambda, cst.FunctionDef, cst.ClassDef,
     cst.NamedExpr, cst.Call}
)

_NOT_CHILDREN = ("whitespace", "lpar", "rpar", "comma", "semicolon", "colon", "equal", "operator", "dot")
_child_fields: Dict[type, Tuple[str, ...]] = {}


def iter_children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The child nodes that can hold expressions, in source order, without whitespace and
    punctuation. Much cheaper than `CSTNode.children`, which runs a visitor."""
    names = _child_fields.get(type(node))
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(node) if not any(word in f.name for word in _NOT_CHILDREN))
        _child_fields[type(node)] = names
    for name in names:
        value = getattr(node, name)
        kind = type(value)
        if kind is list or kind is tuple:
            for item in value:
                if _is_node(type(item)):
                    yield item
        elif _is_node(kind):
            yield value


_node_types: Dict[type, bool] = {}


def _is_node(kind: type) -> bool:
    """`issubclass(kind, cst.CSTNode)`, remembered per type (libcst's node classes are ABCs,
    whose checks are slow, and this is asked millions of times)."""
    known = _node_types.get(kind)
    if known is None:
        known = _node_types[kind] = issubclass(kind, cst.CSTNode)
    return known


def _names_read(node: cst.CSTNode) -> Iterator[str]:
    """Every name an expression reads (those of nested lambdas and comprehensions included)."""
    stack: List[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            yield current.value
        elif isinstance(current, cst.Attribute):
            stack.append(current.value)  # `x.attr`: `attr` is not a name
        elif isinstance(current, cst.Arg):
            stack.append(current.value)  # `f(key=x)`: `key` is not a name
        else:
            stack.extend(current.children)


def _lambda_params(params: cst.Parameters):
    yield from params.posonly_params
    yield from params.params
    if isinstance(params.star_arg, cst.Param):
        yield params.star_arg
    yield from params.kwonly_params
    if params.star_kwarg is not None:
        yield params.star_kwarg
