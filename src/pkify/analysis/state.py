"""The inference state: one per project and run, the owner of every parsed source and of the
memo, and the entry of every query the analysis answers beyond one function.

Queries (`symbol_value`, `returns_of`, `module_names`, ...) are memoised with `@memoized`, keyed
on what they are asked about (a symbol, a receiver value), in the memo the symbol index and the
plugins' catalogs share (see `project.memo`). What the analysis knows of frameworks it asks the
plugins (`plugin.Plugin`), in order; the first answer wins.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple, Type, TypeVar

import libcst as cst

from ..project.files import SourceError, read_source
from ..settings import Settings
from ..project.index import Symbol, SymbolIndex, last
from ..project.memo import memoized
from ..project.summary import Call, Const, FunctionSummary, ModuleSummary, Ref, Str
from .evaluator import BUILTIN_CONTAINERS, SELF, Env, Evaluator, Scope, path_of
from .plugin import Plugin
from .units import Fragment, Unit, cut, parse_module
from .values import (
    UNKNOWN,
    Arg,
    Args,
    ClassValue,
    Entry,
    External,
    FunctionValue,
    Mapping,
    ModuleValue,
    ObjectValue,
    Origin,
    Pending,
    Scalar,
    Sequence as SequenceValue,
    Value,
    reorigin,
)

P = TypeVar("P", bound=Plugin)

BUILTINS = frozenset(dir(builtins))

# Decorators that leave a function a plain function, as far as Python goes (plugins add theirs).
TRANSPARENT_DECORATORS = frozenset(
    {
        "staticmethod",
        "classmethod",
        "property",
        "functools.wraps",
        "functools.cache",
        "functools.lru_cache",
        "functools.cached_property",
        "contextlib.contextmanager",
        "typing.overload",
        "abc.abstractmethod",
    }
)
PROPERTY_DECORATORS = frozenset({"property", "cached_property"})


@dataclass(frozen=True)
class Function:
    """A function being executed, as the plugins see it when they give its parameters values."""

    qualname: str
    name: str
    owner: Optional[str]  # the qualified name of its class, for a method
    module: ModuleSummary
    decorators: FrozenSet[str]  # as written: "staticmethod", "admin.action", ...


class SummaryArg(Arg):
    """An argument of a call read from a summary (a module-level `x = f(...)`)."""

    def __init__(self, state: "InferenceState", module: ModuleSummary, expr, keyword: Optional[str] = None) -> None:
        self.state = state
        self.module = module
        self.expr = expr
        self.keyword = keyword

    def value(self) -> Value:
        return self.state.expression_value(self.module, self.expr)

    def literal(self):
        return self.expr.value if isinstance(self.expr, (Str, Const)) else None


class InferenceState:
    def __init__(self, index: SymbolIndex, settings: Settings, plugins: Sequence[Type[Plugin]]) -> None:
        self.index = index
        self.settings = settings
        self.memo = index.memo
        self.plugins: List[Plugin] = []
        self._by_type: Dict[type, Plugin] = {}
        for kind in plugins:  # in order: a plugin may use those made before it
            plugin = kind(self)
            self.plugins.append(plugin)
            self._by_type[kind] = plugin
        self.transparent_decorators = TRANSPARENT_DECORATORS.union(*(p.transparent_decorators for p in self.plugins))

    def plugin(self, kind: Type[P]) -> P:
        found = self._by_type[kind]
        assert isinstance(found, kind)
        return found

    # --- sources and units -----------------------------------------------------------------------

    @memoized(default=None)
    def source(self, path: str) -> Optional[str]:
        self.memo.note_read(path)
        try:
            return read_source(Path(path))
        except SourceError:
            return None

    @memoized(default=None)
    def module_unit(self, summary: ModuleSummary) -> Optional[Unit]:
        """The whole module, parsed (None if it cannot be read)."""
        text = self.source(summary.path)
        if text is None:
            return None
        try:
            return Unit(summary, parse_module(text))
        except (SourceError, RecursionError):
            return None

    @memoized(default=None)
    def fragment_unit(self, summary: ModuleSummary, fragment: Fragment) -> Optional[Unit]:
        """One function of a module, parsed alone; None if it does not parse alone."""
        text = self.source(summary.path)
        if text is None:
            return None
        code, dedented = cut(text, fragment.start, fragment.end, fragment.indent)
        try:
            module = parse_module(code)
        except (SourceError, RecursionError):
            return None
        if len(module.body) != 1 or not isinstance(module.body[0], cst.FunctionDef):
            return None
        return Unit(summary, module, fragment, dedented)

    def function_unit(self, function: Symbol) -> Optional[Tuple[Unit, cst.FunctionDef, Optional[str]]]:
        """The unit holding a project function's definition (the function alone when its summary
        says where it is, else its whole module), the definition and its class."""
        summary = function.function_summary
        assert function.module is not None
        unit = None
        if summary.end:
            unit = self.fragment_unit(function.module, Fragment.of_function(summary))
        if unit is None:
            unit = self.module_unit(function.module)
        found = unit.function(summary.qualname) if unit is not None else None
        if unit is None or found is None:
            return None
        return unit, found[0], found[1]

    # --- names -----------------------------------------------------------------------------------

    def global_value(self, unit: Unit, name: str) -> Value:
        """A module-level name, as the functions of `unit` see it: what the module binds it to
        (the same whether the function was parsed alone or with its module)."""
        symbol = self.index.lookup(unit.summary, name)
        if symbol is None:
            return External(name) if name in BUILTINS else UNKNOWN
        return self.symbol_value(symbol)

    @memoized(default=UNKNOWN)
    def symbol_value(self, symbol: Optional[Symbol]) -> Value:
        if symbol is None:
            return UNKNOWN
        if symbol.kind == "external":
            return self.external(symbol.qualname)
        if symbol.kind == "module":
            return ModuleValue(symbol)
        if symbol.kind == "class":
            for plugin in self.plugins:
                found = plugin.class_value(symbol)
                if found is not None:
                    return found
            return ClassValue(symbol)
        if symbol.kind == "function":
            for plugin in self.plugins:
                found = plugin.function_value(symbol)
                if found is not None:
                    return found
            return FunctionValue(symbol, self.is_plain_function(symbol))
        if symbol.kind == "assignment":
            return self.assignment_value(symbol)
        return UNKNOWN

    def is_plain_function(self, symbol: Symbol) -> bool:
        """A project function that stays a function: no decorators, or only ones that keep a
        function a function."""
        assert symbol.module is not None
        for decorator in symbol.function_summary.decorators:
            core = decorator.func if isinstance(decorator, Call) else decorator
            if self.index.expr_qualname(symbol.module, core) not in self.transparent_decorators:
                return False
        return True

    def assignment_value(self, symbol: Symbol) -> Value:
        """A module- or class-level assignment, from its summary form; one the form does not
        settle (a module-level call of something else than a class) from its statement."""
        assert symbol.module is not None
        expr = symbol.expression
        if symbol.qualname[len(symbol.module.name) + 1 :] in symbol.module.reassigned:
            return UNKNOWN  # assigned more than once at module level: which one a function sees is not known
        for plugin in self.plugins:
            found = plugin.assignment_value(symbol.module, expr)
            if found is not None:
                return found
        if isinstance(expr, (Str, Const)):
            return Scalar()
        if isinstance(expr, (Ref, Call)):
            value = self.expression_value(symbol.module, expr)
            if value is not UNKNOWN or isinstance(expr, Ref):
                return value
        return self.statement_value(symbol)

    def expression_value(self, module: ModuleSummary, expr) -> Value:
        """A summary expression's value: names resolved, calls of classes and library functions
        made (their arguments read the same way)."""
        if isinstance(expr, Ref):
            return self.symbol_value(self.index.resolve(module, expr.name))
        if isinstance(expr, (Str, Const)):
            return Scalar()
        if isinstance(expr, Call) and isinstance(expr.func, Ref):
            callee = self.symbol_value(self.index.expr_symbol(module, expr.func))
            if isinstance(callee, (FunctionValue, Pending)) or callee is UNKNOWN:
                return UNKNOWN  # what a function returns: read from the statement instead
            args: List[Arg] = [SummaryArg(self, module, a) for a in expr.args]
            args += [SummaryArg(self, module, v, k) for k, v in expr.kwargs]
            return callee.call(self, Args(args), Origin())
        return UNKNOWN

    def statement_value(self, symbol: Symbol) -> Value:
        """A module-level assignment read with the engine: its statement alone is parsed and its
        value evaluated (`FIRST = Order.objects.first()` is an instance)."""
        module = symbol.module
        assert module is not None
        name = symbol.qualname[len(module.name) + 1 :]
        lines = module.assignment_lines.get(name)
        source = self.source(module.path) if lines else None
        if source is None or lines is None:
            return UNKNOWN
        start, end, indent = lines
        text, _ = cut(source, start, end, indent)
        try:
            line = parse_module(text).body[0]
        except (SourceError, RecursionError, IndexError):
            return UNKNOWN
        statement = line.body[0] if isinstance(line, cst.SimpleStatementLine) and line.body else None
        if not isinstance(statement, (cst.Assign, cst.AnnAssign)) or statement.value is None:
            return UNKNOWN
        unit = Unit(module, cst.Module(body=[]))
        return Evaluator(self, unit, Scope({})).value(statement.value)

    def external(self, qualname: str) -> Value:
        for plugin in self.plugins:
            found = plugin.external_value(qualname)
            if found is not None:
                return found
        return External(qualname)

    def import_value(self, module: ModuleSummary, target: str) -> Value:
        """A function-local import (`from .tasks import send` inside a view)."""
        absolute = self.index.absolute(module, target)
        return self.symbol_value(self.index.resolve_qualname(absolute, module))

    # --- behaviour the plugins take part in ------------------------------------------------------

    def call(self, callee: Value, args: Args, origin: Origin) -> Value:
        return callee.call(self, args, origin)

    def attribute(self, base: Value, name: str, origin: Origin) -> Value:
        for plugin in self.plugins:
            found = plugin.attribute(base, name, origin)
            if found is not None:
                return found
        return base.attribute(self, name, origin)

    def library_call(self, qualname: str, args: Args, origin: Origin) -> Value:
        for plugin in self.plugins:
            found = plugin.library_call(qualname, args, origin)
            if found is not None:
                return found
        return self._builtin_call(qualname, args, origin)

    def _builtin_call(self, qualname: str, args: Args, origin: Origin) -> Value:
        positional = args.positional()
        sort_options = all(a.keyword in ("key", "reverse") for a in args.items[1:])
        if qualname in BUILTIN_CONTAINERS and len(positional) == 1 and args.items[0] is positional[0] and sort_options:
            inner = positional[0].value()
            if isinstance(inner, SequenceValue):
                return SequenceValue(inner.items, "list" if qualname != "tuple" else "tuple")
            return inner.iterate(self).collected(origin)
        if qualname == "dict":
            entries = [Entry(a.keyword, a.value(), a.node, getattr(a, "arg", None)) for a in args.items if a.keyword]
            for a in args.items:
                if a.star == "**" or (a.keyword is None and not a.star):
                    inner = a.value()
                    if isinstance(inner, Mapping):
                        entries[:0] = inner.entries
            return Mapping(tuple(entries))
        if qualname in ("str", "int", "len", "repr", "bool", "float", "hash", "id"):
            return Scalar()
        return UNKNOWN

    def instance_of(self, class_qualname: str, origin: Origin) -> Value:
        """What calling a project class gives."""
        for plugin in self.plugins:
            found = plugin.instance_value(class_qualname, origin)
            if found is not None:
                return found
        return ObjectValue(class_qualname)

    def self_of(self, class_qualname: str, origin: Origin) -> Value:
        """What `self` is in a method of a project class."""
        for plugin in self.plugins:
            found = plugin.self_value(class_qualname, origin)
            if found is not None:
                return found
        return self.instance_of(class_qualname, origin)

    def property_value(self, class_qualname: Optional[str], name: str, owner: Value, origin: Origin) -> Value:
        """`obj.name` where `name` is a `@property` (or cached) of the object's class: what it
        returns."""
        function = self.index.class_method(class_qualname, name)
        if function is None:
            return UNKNOWN
        for decorator in function.function_summary.decorators:
            if isinstance(decorator, Ref) and last(decorator.name) in PROPERTY_DECORATORS:
                return Pending(function, owner, origin)
        return UNKNOWN

    def annotated(self, unit: Unit, annotation: cst.BaseExpression, name: str) -> Optional[Value]:
        """What a parameter's or variable's annotation says it is."""
        text = unit.code(annotation)
        if isinstance(annotation, cst.SimpleString) and isinstance(annotation.evaluated_value, str):
            text = annotation.evaluated_value
        origin = Origin(annotation, "annotated", f"{name}: {' '.join(text.split())}" if name else text)
        return self.annotation_value(unit.summary, text, origin, UNKNOWN)

    def annotation_value(self, module: ModuleSummary, text: str, origin: Origin, receiver: Value) -> Optional[Value]:
        form = self.index.annotation(module, text)
        if form is None:
            return None
        for plugin in self.plugins:
            found = plugin.annotation_value(form, origin, receiver)
            if found is not None:
                return found
        if not form.args and self.index.class_symbol(form.qualname) is not None:
            assert form.qualname is not None
            return self.instance_of(form.qualname, origin)  # an instance of another project class
        return None

    # --- what project functions return -----------------------------------------------------------

    def call_result(self, pending: Pending) -> Value:
        """A call of a project function, as the call site sees it (with itself as evidence)."""
        return self.returns_of(pending.function, pending.receiver).with_origin(pending.origin)

    @memoized(default=UNKNOWN)
    def returns_of(self, function: Symbol, receiver: Value) -> Value:
        """What a project function returns when called on `receiver` (UNKNOWN for a function):
        from its return annotation, else from its `return` statements."""
        from .execution import walk_function

        summary: FunctionSummary = function.function_summary
        assert function.module is not None
        if summary.returns:
            value = self.annotation_value(function.module, summary.returns, Origin(text=summary.returns), receiver)
            return value if value is not None else UNKNOWN
        if not summary.returns_value:
            return Scalar()
        located = self.function_unit(function)
        if located is None:
            return UNKNOWN
        unit, node, owner = located
        walker = walk_function(self, unit, node, (), owner, function.qualname, receiver, None, nested=False)
        return walker.result(walker.end)

    # --- parameters ------------------------------------------------------------------------------

    def parameters(
        self, unit: Unit, node: cst.FunctionDef, owner: Optional[str], qualname: str, receiver: Optional[Value]
    ) -> Env:
        """The values of a function's parameters when it starts: `self`, annotations, and what
        the plugins know from where the function is used."""
        params = node.params
        ordered = [*params.posonly_params, *params.params]
        decorators = frozenset(_decorator_name(d) for d in node.decorators)
        function = Function(qualname, node.name.value, owner, unit.summary, decorators)
        env: Env = {}
        first: Optional[str] = None
        if ordered:
            if owner is not None and "staticmethod" not in decorators:
                first = ordered[0].name.value
                if "classmethod" in decorators:
                    env[first] = self.symbol_value(self.index.resolve_qualname(owner))
                elif receiver is not None and receiver is not UNKNOWN:
                    env[first] = receiver
                else:
                    env[first] = self.self_of(owner, Origin(node, f"`{first}` in a method of", last(owner)))
            elif owner is None:
                value = next((v for v in (p.first_parameter(function) for p in self.plugins) if v is not None), None)
                if value is not None:
                    first = ordered[0].name.value
                    env[first] = value
        roles: Dict[str, Value] = {}
        for plugin in self.plugins:
            for name, value in plugin.parameter_values(function).items():
                roles.setdefault(name, value)
        for param in [*ordered, *params.kwonly_params]:
            name = param.name.value
            if name == first:
                continue
            found: Optional[Value] = None
            if param.annotation is not None:
                found = self.annotated(unit, param.annotation.annotation, name)
            if found is None and name in roles:
                found = _with_how(roles[name], Origin(param, _how(roles[name]), name))
            env[name] = found if found is not None else UNKNOWN
        if isinstance(params.star_arg, cst.Param):
            env[params.star_arg.name.value] = UNKNOWN
        if params.star_kwarg is not None:
            # A receiver declared `(sender, **kwargs)` finds its instance in `kwargs["instance"]`.
            star = params.star_kwarg
            entries = tuple(
                Entry(name, _with_how(value, Origin(star, _how(value), f"{star.name.value}[{name!r}]")))
                for name, value in roles.items()
                if name not in env and _how(value)
            )
            env[star.name.value] = Mapping(entries) if entries else UNKNOWN
        if first is not None:
            env[SELF] = env[first]  # what `super()` stands for
        return env

    # --- facts -----------------------------------------------------------------------------------

    def call_fact(self, evaluator: Evaluator, node: cst.Call):
        for plugin in self.plugins:
            fact = plugin.call_fact(evaluator, node)
            if fact is not None:
                return fact
        return None


def _how(value: Value) -> str:
    origin = getattr(value, "origin", None)
    return origin.how if isinstance(origin, Origin) and origin.how != "from" else ""


def _with_how(value: Value, origin: Origin) -> Value:
    return reorigin(value, origin)


def _decorator_name(decorator: cst.Decorator) -> str:
    node = decorator.decorator
    if isinstance(node, cst.Call):
        node = node.func
    return path_of(node) or ""
