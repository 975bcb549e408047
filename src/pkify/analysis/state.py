"""The inference state: one per project and run, the owner of every parsed source and of the
memo, and the entry of every query the analysis answers beyond one function.

Queries (`symbol_value`, `returns_of`, `module_names`, ...) are memoised with `@memoized`, keyed
on what they are asked about (a symbol, a receiver value), in the memo the symbol index and the
plugins' catalogs share (see `project.memo`). What the analysis knows of frameworks it asks the
plugins (`plugin.Plugin`), in order; the first answer wins.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, FrozenSet, Iterator, List, Optional, Sequence, Set, Tuple, Type, TypeVar

import libcst as cst

from ..project.files import SourceError, read_source
from ..settings import Settings
from ..project.index import Symbol, SymbolIndex, last
from ..project.memo import memoized
from ..project.probes import probe_key, uses_as_value, value_use_lines
from ..project.regions import called_lines, region_spans, regions_holding, split_lines
from ..project.project import EVERY_FILE
from ..project.summary import Call, Const, FunctionSummary, ModuleSummary, Ref, Str
from .evaluator import BUILTIN_CONTAINERS, SELF, Env, Evaluator, Scope, iter_children, path_of
from .facts import Recorder
from .focus import Focus, calling, making_facts
from .plugin import Plugin
from .units import Fragment, Unit, cut, fragments, parse_module
from .values import (
    NONE,
    NOT_CALLED,
    UNKNOWN,
    Arg,
    Args,
    BoundMethod,
    ClassValue,
    Deferred,
    Entry,
    External,
    FunctionValue,
    Keywords,
    Mapping,
    ModuleValue,
    ObjectValue,
    Origin,
    Parameter,
    Pending,
    Scalar,
    Sequence as SequenceValue,
    SetValue,
    Sharpened,
    LibraryInstance,
    Value,
    join_assigned,
    join_returns,
    last_wins,
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
SCALAR_TYPES = frozenset({"bool", "int", "str", "float", "bytes"})
# `str`, `int | None`, `Optional[bool]`: an annotation that says a parameter holds no row.
_SCALAR = "(?:%s)" % "|".join(sorted(SCALAR_TYPES))
SCALAR_ANNOTATION = re.compile(
    rf"^(?:(?:typing\.)?Optional\[\s*{_SCALAR}\s*\]|(?:None\s*\|\s*)?{_SCALAR}(?:\s*\|\s*None)?)$"
)
# Parameter names that say they hold keys, not rows: not looked up at their callers.
KEY_NAME = re.compile(r"^(?:pk|id|pks|ids)$|_(?:id|pk|ids|pks)$")
# `name = value` written as an assignment (a keyword argument on a line of its own is written
# `name=value`): what tells `callback_parameters` a use is not an argument before it parses.
ASSIGNMENT_LINE = re.compile(r"\s*\w+\s+=\s")
CALLER_DEPTH = 3  # callers of callers ... followed this deep
CALLER_SITES = 60  # a function called from more places than this is not followed
# ... nor is one whose name more lines than this call (a method named `save`): which of those
# calls are its own would take walking every one
CALLER_LINES = 150


@dataclass(frozen=True)
class Function:
    """A function being executed, as the plugins see it when they give its parameters values."""

    qualname: str
    name: str
    owner: Optional[str]  # the qualified name of its class, for a method
    module: ModuleSummary
    decorators: FrozenSet[str]  # as written: "staticmethod", "admin.action", ...
    params: Tuple[str, ...] = ()  # the names of its parameters (not `*args` / `**kwargs`)


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
        self._recent: Dict[str, Tuple[Optional[str], Optional[Tuple[str, ...]]]] = {}
        self.plugins: List[Plugin] = []
        self._by_type: Dict[type, Plugin] = {}
        for kind in plugins:  # in order: a plugin may use those made before it
            plugin = kind(self)
            self.plugins.append(plugin)
            self._by_type[kind] = plugin
        self._caller_depth = 0
        self._units: Dict[Tuple[str, Optional[Fragment]], Optional[Unit]] = {}
        self._resolving: Set[int] = set()  # the calls whose arguments are being evaluated
        self.transparent_decorators = TRANSPARENT_DECORATORS.union(*(p.transparent_decorators for p in self.plugins))

    def plugin(self, kind: Type[P]) -> P:
        found = self._by_type[kind]
        assert isinstance(found, kind)
        return found

    # --- sources and units -----------------------------------------------------------------------

    @memoized(default=None)
    def source(self, path: str) -> Optional[str]:
        self.memo.note_read(path)
        return self._read(path)[0]

    def text(self, path: str) -> Optional[str]:
        """A file's text, not recorded as read: the caller notes what it depends on (a region,
        a probe's answer)."""
        return self._read(path)[0]

    def same_on_disk(self, path: str, text: str) -> bool:
        """Whether `text` is the file's text on disk (read, not recorded as read)."""
        return self.text(path) == text

    def note_region(self, summary: ModuleSummary, qualname: str) -> None:
        """The answer being computed read one function of a module (its whole text when the
        function is not one of its regions: see `project.regions`)."""
        if any(span[0] == qualname for span in self._region_spans(summary)):
            self.memo.note_read(probe_key(summary.path, "region", qualname))
        else:
            self.memo.note_read(summary.path)

    def note_calls(self, summary: ModuleSummary, name: str) -> None:
        """The answer being computed depends on which functions of a module call `name` (not
        on the rest of its text: the functions it goes on to read are noted as they are)."""
        lines = self.call_lines(summary).get(name, ())
        answer = regions_holding(self._region_spans(summary), lines)
        self.memo.note_probe(probe_key(summary.path, "call-regions", name), answer)

    def note_mentions(self, summary: ModuleSummary, word: str) -> bool:
        """Whether a module's text holds a word; the answer being computed depends on that."""
        text = self.text(summary.path)
        if text is None:
            self.memo.note_read(summary.path)
            return False
        found = word in text
        self.memo.note_probe(probe_key(summary.path, "mentions", word), "1" if found else "0")
        return found

    @memoized(default=())
    def _region_spans(self, summary: ModuleSummary) -> Tuple[Tuple[str, int, int], ...]:
        return region_spans(summary)

    def source_lines(self, path: str) -> Optional[Tuple[str, ...]]:
        """The source split into lines (kept ends), split once for the many cuts of one file.
        Not recorded as read: the caller says which part it reads."""
        text, lines = self._read(path)
        if text is not None and lines is None:
            lines = tuple(split_lines(text))
            self._recent[path] = (text, lines)
        return lines

    def _read(self, path: str) -> Tuple[Optional[str], Optional[Tuple[str, ...]]]:
        """A file's text (and its lines once split), the last `RECENT_FILES` read kept: the
        files of a project are not all held in memory."""
        found = self._recent.pop(path, None)
        if found is None:
            try:
                found = (read_source(Path(path)), None)
            except SourceError:
                found = (None, None)
        self._recent[path] = found
        while len(self._recent) > RECENT_FILES:
            self._recent.pop(next(iter(self._recent)))
        return found

    def module_unit(self, summary: ModuleSummary) -> Optional[Unit]:
        """The whole module, parsed (None if it cannot be read)."""
        return self._unit(summary, None)

    def fragment_unit(self, summary: ModuleSummary, fragment: Fragment) -> Optional[Unit]:
        """One function of a module, parsed alone; None if it does not parse alone."""
        return self._unit(summary, fragment)

    def _unit(self, summary: ModuleSummary, fragment: Optional[Fragment]) -> Optional[Unit]:
        """A parsed unit, the last `RECENT_UNITS` kept: a caller search parses many functions
        it needs once, and their syntax trees need not stay for the whole run."""
        if fragment is None:
            self.memo.note_read(summary.path)
        else:
            self.note_region(summary, fragment.qualname)
        key = (summary.path, fragment)
        if key in self._units:
            unit = self._units.pop(key)
        else:
            unit = self._parse_module(summary) if fragment is None else self._parse_fragment(summary, fragment)
        self._units[key] = unit
        while len(self._units) > RECENT_UNITS:
            self._units.pop(next(iter(self._units)))
        return unit

    def _parse_module(self, summary: ModuleSummary) -> Optional[Unit]:
        text = self.source(summary.path)
        if text is None:
            return None
        try:
            return Unit(summary, parse_module(text))
        except (SourceError, RecursionError):
            return None

    def _parse_fragment(self, summary: ModuleSummary, fragment: Fragment) -> Optional[Unit]:
        lines = self.source_lines(summary.path)
        if lines is None:
            return None
        code, dedented = cut(lines, fragment.start, fragment.end, fragment.indent)
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
            found = plugin.assignment_value(symbol)
            if found is not None:
                return found
        if isinstance(expr, (Str, Const)):
            return NONE if isinstance(expr, Const) and expr.value is None else Scalar()
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
            return NONE if isinstance(expr, Const) and expr.value is None else Scalar()
        if isinstance(expr, Call) and isinstance(expr.func, Ref):
            args: List[Arg] = [SummaryArg(self, module, a) for a in expr.args]
            args += [SummaryArg(self, module, v, k) for k, v in expr.kwargs]
            if "." in expr.func.name:  # `Place.objects.filter(...)`: a method of a value
                owner, _, method = expr.func.name.rpartition(".")
                base = self._attribute_path(module, owner)
                result = base.method_call(self, method, Args(args), Origin()) if base is not UNKNOWN else None
                if result is not None:
                    return result if not isinstance(result, Deferred) else UNKNOWN
            callee = self.symbol_value(self.index.expr_symbol(module, expr.func))
            if isinstance(callee, (FunctionValue, Pending)) or callee is UNKNOWN:
                return UNKNOWN  # what a function returns: read from the statement instead
            return callee.call(self, Args(args), Origin())
        return UNKNOWN

    def _attribute_path(self, module: ModuleSummary, dotted: str) -> Value:
        """`Place.objects` in a summary expression: the longest prefix that names something,
        then attribute by attribute."""
        parts = dotted.split(".")
        for end in range(1, len(parts) + 1):
            symbol = self.index.resolve(module, ".".join(parts[:end]))
            if symbol is None or symbol.kind not in ("class", "module"):
                continue
            value = self.symbol_value(symbol)
            for name in parts[end:]:
                if value is UNKNOWN or isinstance(value, Deferred):
                    return UNKNOWN
                value = self.attribute(value, name, Origin())
            return value if not isinstance(value, Deferred) else UNKNOWN
        return UNKNOWN

    def statement_value(self, symbol: Symbol) -> Value:
        """A module-level assignment read with the engine: its statement alone is parsed and its
        value evaluated (`FIRST = Order.objects.first()` is an instance)."""
        module = symbol.module
        assert module is not None
        name = symbol.qualname[len(module.name) + 1 :]
        lines = module.assignment_lines.get(name)
        self.memo.note_read(probe_key(module.path, "skeleton"))  # module-level: outside every function
        source = self.source_lines(module.path) if lines else None
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
        if qualname in CASTS and len(positional) == 2:  # `cast("Order", value)`: what the type says
            written = positional[0]
            evaluator = getattr(written, "evaluator", None)
            if evaluator is not None:
                found = self.annotated(evaluator.unit, written.node, "")
                return found if found is not None else positional[1].value()
            return positional[1].value()
        sort_options = all(a.keyword in ("key", "reverse") for a in args.items[1:])
        if qualname in SETS and not args.items:  # `set()`
            return SetValue(UNKNOWN, origin, qualname)
        if qualname in BUILTIN_CONTAINERS and len(positional) == 1 and args.items[0] is positional[0] and sort_options:
            inner = positional[0].value()
            if isinstance(inner, SequenceValue):
                kind = qualname if qualname in SETS else "list" if qualname != "tuple" else "tuple"
                return SequenceValue(inner.items, kind, origin)
            element = inner.iterate(self)
            collected = element.collected(origin)
            return SetValue.of(collected, element, origin, qualname) if qualname in SETS else collected
        if qualname in LIBRARY_CLASSES:  # `timedelta(days=1)`
            return LibraryInstance(LIBRARY_CLASSES[qualname], origin)
        if qualname == "dict":  # `dict(other, key=value)`: the keywords replace what `other` holds
            entries: List[Entry] = []
            closed = not any(a.star == "*" for a in args.items)
            for a in args.items:
                if a.star == "**" or (a.keyword is None and not a.star):
                    inner = a.value()
                    entries = [*entries, *inner.entries] if isinstance(inner, Mapping) else []
                    closed = closed and isinstance(inner, Mapping) and inner.closed
            entries += [Entry(a.keyword, a.value(), a.node, getattr(a, "arg", None)) for a in args.items if a.keyword]
            return Mapping(last_wins(entries), closed=closed)
        if qualname == "type" and len(args.items) == 1 and positional:  # `type(x)` is `x.__class__`
            return self.attribute(positional[0].value(), "__class__", origin)
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

    def object_attribute(self, class_qualname: Optional[str], name: str, owner: Value, origin: Origin) -> Value:
        """`obj.name` for an instance of a project class: a property's result, else what its
        methods assign to the attribute."""
        value = self.property_value(class_qualname, name, owner, origin)
        if value is UNKNOWN and class_qualname:
            value = self.instance_attribute(class_qualname, name)
        if value is UNKNOWN and class_qualname:
            value = self._bound_method(class_qualname, name, owner)
        return value

    def _bound_method(self, class_qualname: str, name: str, owner: Value) -> Value:
        """A method read off an object: only when no method of the class sets an attribute of that
        name, and its decorators keep it a method."""
        method = self.index.class_method(class_qualname, name)
        if method is None or not self.is_plain_function(method):
            return UNKNOWN
        for ancestor in self.index.ancestry(class_qualname):
            symbol = self.index.class_symbol(ancestor)
            if symbol is not None and name in symbol.class_summary.attribute_writes:
                return UNKNOWN
        return BoundMethod(method, owner)

    @memoized(default=UNKNOWN)
    def instance_attribute(self, class_qualname: str, name: str) -> Value:
        """What every assignment `self.name = ...` in the methods of the class and its ancestors,
        and a class-level default, say the attribute holds (see `join_assigned`); the methods run
        on an instance of this very class."""
        index = self.index
        values: List[Value] = []
        writers: List[str] = []
        receiver: Optional[Value] = None
        for ancestor in index.ancestry(class_qualname):
            symbol = index.class_symbol(ancestor)
            if symbol is None:
                continue
            cls = symbol.class_summary
            if name in cls.attributes:
                values.append(self.symbol_value(index.member(symbol, name)))
            for method_name in cls.attribute_writes.get(name, ()):
                method = index.member(symbol, method_name)
                if method is None or method.kind != "function":
                    continue
                if receiver is None:
                    receiver = self.self_of(class_qualname, Origin())
                values.extend(self.assigned(method, receiver, _self_attribute(name)))
                writers.append(f"{last(ancestor)}.{method_name}")
        value = join_assigned(values)
        if writers and value is not UNKNOWN:
            return value.with_origin(Origin(how="the attribute set in", text=", ".join(writers[:2])))
        return value

    @memoized(default=UNKNOWN)
    def request_attribute(self, name: str) -> Value:
        """`request.name` where the project sets it (a middleware, a decorator, a view): what
        every such assignment says (see `join_assigned`)."""
        index = self.index
        values: List[Value] = []
        writers: List[str] = []
        for module in index.modules():
            for qualname in module.request_writes.get(name, ()):
                function = index.resolve(module, qualname)
                if function is None or function.kind != "function":
                    continue
                values.extend(self.assigned(function, None, _request_attribute(name)))
                writers.append(qualname)
        value = join_assigned(values)
        if writers and value is not UNKNOWN:
            return value.with_origin(Origin(how="the request attribute set in", text=", ".join(writers[:2])))
        return value

    def assigned(self, function: Symbol, receiver: Optional[Value], wanted) -> List[Value]:
        """The values a function assigns to the targets `wanted(target, first_parameter)` picks,
        each as it stands where it is assigned (the function walked, nested ones included)."""
        from .execution import walk_function

        located = self.function_unit(function)
        if located is None:
            return [UNKNOWN]
        unit, node, owner = located
        params = [*node.params.posonly_params, *node.params.params]
        first = params[0].name.value if params else ""
        values: List[Value] = []

        def statement(statement: cst.CSTNode, evaluator: Evaluator) -> None:
            for target, value in _assignments(statement):
                if wanted(target, first):
                    values.append(evaluator.value(value) if value is not None else UNKNOWN)
            for target, added, single in _growths(statement):
                if wanted(target, first):  # a list the attribute holds gets these elements
                    element = evaluator.value(added)
                    values.append((element if single else element.iterate(self)).collected(None))

        recorder = Recorder(self, unit, calls=False)
        recorder.statement = statement
        recorder.focus = Focus.of(unit, lambda step: _assigns(step.node, wanted, first))
        walk_function(self, unit, node, (), owner, function.qualname, receiver, recorder)
        return values

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
        symbol = self.index.class_symbol(form.qualname) if not form.args else None
        if symbol is not None:
            assert form.qualname is not None
            if self.index.has_ancestor(form.qualname, TYPED_DICTS):
                return self.typed_dict(symbol, origin)
            return self.instance_of(form.qualname, origin)  # an instance of another project class
        named = self.index.resolve_qualname(form.qualname) if form.qualname and not form.args else None
        if named is not None and named.kind == "assignment":  # `User = get_user_model()`
            found = self.symbol_value(named).instance(origin)
            return found if found is not UNKNOWN else None
        return None

    def typed_dict(self, symbol: Symbol, origin: Origin) -> Value:
        """A dict of a project `TypedDict`: each key what its annotation says."""
        entries: List[Entry] = []
        for ancestor in reversed(self.index.ancestry(symbol.qualname)):
            cls = self.index.class_symbol(ancestor)
            if cls is None or cls.module is None:
                continue
            for key, text in cls.class_summary.annotations.items():
                text = _required(text)
                value = Scalar() if text in SCALAR_TYPES else self.annotation_value(cls.module, text, origin, UNKNOWN)
                entries = [e for e in entries if e.key != key]
                entries.append(Entry(key, value if value is not None else UNKNOWN))
        return Mapping(tuple(entries))

    # --- what project functions return -----------------------------------------------------------

    def call_result(self, pending: Pending) -> Value:
        """A call of a project function, as the call site sees it (with itself as evidence)."""
        if id(pending) in self._resolving:  # an argument of the call is the call itself
            return UNKNOWN
        self._resolving.add(id(pending))
        try:
            bindings = _bindings(pending)
        finally:
            self._resolving.discard(id(pending))
        return self.returns_of(pending.function, pending.receiver, bindings).with_origin(pending.origin)

    @memoized(default=UNKNOWN)
    def returns_of(self, function: Symbol, receiver: Value, bindings: Bindings = ()) -> Value:
        """What a project function returns when called on `receiver` (UNKNOWN for a function)
        with these arguments (`bindings`, by parameter name; the others as at its definition):
        from its return annotation, else from its `return` statements."""
        from .execution import walk_function

        summary: FunctionSummary = function.function_summary
        assert function.module is not None
        if summary.returns:
            value = self.annotation_value(function.module, summary.returns, Origin(text=summary.returns), receiver)
            return value if value is not None else UNKNOWN
        if not summary.returns_value:
            return NONE
        located = self.function_unit(function)
        if located is None:
            return UNKNOWN
        unit, node, owner = located
        focus = Focus.of(unit, lambda step: step.function is node and isinstance(step.node, cst.Return))
        walker = walk_function(
            self, unit, node, (), owner, function.qualname, receiver, None, False, bindings=dict(bindings), focus=focus
        )
        return walker.result(walker.end)

    # --- parameters ------------------------------------------------------------------------------

    def parameters(
        self,
        unit: Unit,
        node: cst.FunctionDef,
        owner: Optional[str],
        qualname: str,
        receiver: Optional[Value],
        bindings: Optional[Dict[str, Value]] = None,
    ) -> Env:
        """The values of a function's parameters when it starts: what a call passes
        (`bindings`), else `self`, annotations, what the plugins know from where the function is
        used, what its callers pass."""
        params = node.params
        ordered = [*params.posonly_params, *params.params]
        decorators = frozenset(_decorator_name(d) for d in node.decorators)
        names = tuple(p.name.value for p in [*ordered, *params.kwonly_params])
        function = Function(qualname, node.name.value, owner, unit.summary, decorators, names)
        symbol = self.index.resolve_qualname(qualname) if "<locals>" not in qualname else None
        if symbol is not None and symbol.kind != "function":
            symbol = None
        # What the function hands to a method of another of its parameters (a dispatch helper's
        # `task.delay(obj)`) is judged where the function is called, not from its callers; what
        # a method hands to its own (`self.execute(log_entry=log_entry)`) is not.
        bound = ordered[0].name.value if ordered and owner is not None and "staticmethod" not in decorators else None
        handed_on = {
            name.lstrip("*")
            for call in (symbol.function_summary.param_calls if symbol is not None else ())
            if call.receiver != bound
            for name in (*call.args, *(value for _, value in call.keywords))
        }
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
            found: Optional[Value] = bindings.get(name) if bindings else None
            if found is LEFT_OUT:
                assert param.default is not None
                found = Evaluator(self, unit, Scope({})).value(param.default)
            if found is None and param.annotation is not None:
                found = self.annotated(unit, param.annotation.annotation, name)
                if found is None and SCALAR_ANNOTATION.match(unit.code(param.annotation.annotation)):
                    found = UNKNOWN  # `service: str`: not a row, whatever its callers pass
                if found is not None and found.leaves_model_open() and symbol is not None and name not in handed_on:
                    origin = Origin(param, "every caller passes it to", f"{node.name.value}({name})")
                    found = Sharpened(found, Parameter(symbol, name, origin))
            if found is None and name in roles:
                found = _with_how(roles[name], Origin(param, _how(roles[name]), name))
            if found is None and symbol is not None and not KEY_NAME.search(name) and name not in handed_on:
                found = Parameter(symbol, name, Origin(param, "every caller passes it to", f"{node.name.value}({name})"))
            env[name] = found if found is not None else UNKNOWN
        if isinstance(params.star_arg, cst.Param):
            env[params.star_arg.name.value] = UNKNOWN
        if params.star_kwarg is not None and bindings and params.star_kwarg.name.value in bindings:
            env[params.star_kwarg.name.value] = bindings[params.star_kwarg.name.value]
        elif params.star_kwarg is not None:
            # A receiver declared `(sender, **kwargs)` finds its instance in `kwargs["instance"]`.
            star = params.star_kwarg
            entries = tuple(
                Entry(name, _with_how(value, Origin(star, _how(value), f"{star.name.value}[{name!r}]")))
                for name, value in roles.items()
                if name not in env and _how(value)
            )
            if symbol is not None:
                origin = Origin(star, "every caller passes it to", f"{node.name.value}(**{star.name.value})")
                env[star.name.value] = Keywords(symbol, entries, origin)
            else:
                env[star.name.value] = Mapping(entries) if entries else UNKNOWN
        if first is not None:
            env[SELF] = env[first]  # what `super()` stands for
        return env

    def after_in_order(self, owner: Optional[str], receiver: Value) -> Tuple[str, ...]:
        """The classes `super()` in a method of `owner` looks in: those after it in the order of
        the object's own class (a mixin's `super()._create_device()` reaches the class the object
        mixes it with), else after it in its own ancestry."""
        if not owner:
            return ()
        for cls in receiver.classes():
            order = self.index.ancestry(cls)
            if owner in order:
                return order[order.index(owner) + 1 :]
        return self.index.ancestry(owner)[1:]

    def called_function(self, evaluator: Evaluator, func: cst.BaseExpression) -> Optional[Symbol]:
        """The project function a call calls: a name or module attribute bound to it, a method
        found from the receiver's classes, the next class's method for `super().name(...)`."""
        index = self.index
        if isinstance(func, cst.Attribute):
            receiver, name = func.value, func.attr.value
            if isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Name) and receiver.func.value == "super":
                owner = evaluator.scope.owner
                for ancestor in self.after_in_order(owner, evaluator.lookup(SELF)):
                    symbol = index.class_symbol(ancestor)
                    if symbol is not None and name in symbol.class_summary.methods:
                        return index.member(symbol, name)
                return None
            for cls in evaluator.value(receiver).classes():
                method = index.class_method(cls, name)
                if method is not None:
                    return method
        value = evaluator.value(func)
        return value.symbol if isinstance(value, FunctionValue) else None

    # --- what callers pass --------------------------------------------------------------------------

    @memoized(default=UNKNOWN)
    def parameter_from_callers(self, function: Symbol, name: str) -> Value:
        """What a parameter of a project function is, from every call of the function in the
        project that pkify resolves to it (through any import spelling, as a method of an object
        of its class, through `super()`): an instance when every one passes one (or None); one
        caller passing something else or something unknown keeps it unknown. Callers of callers
        are followed a few levels deep (`CALLER_DEPTH`); a function called from too many places
        is not followed (`CALLER_SITES`). The answer depends on every file of the project."""
        from .execution import walk_unit

        self.memo.note_read(EVERY_FILE)
        summary = function.function_summary
        constructor = summary.name == "__init__"
        if self._caller_depth >= CALLER_DEPTH or (summary.name.startswith("__") and not constructor):
            return UNKNOWN
        located = self.function_unit(function)
        if located is None:
            return UNKNOWN
        callbacks: Tuple[Tuple[Symbol, str, Bindings], ...] = ()
        if self.passed_around(function):
            found_callbacks = self.callback_parameters(function)
            if found_callbacks is None:  # called where pkify does not see
                return NOT_CALLED
            callbacks = found_callbacks
        _, definition, owner = located
        called = {summary.name}
        if constructor and owner is None:
            return UNKNOWN
        # `super().__init__(...)` is looked for only in the modules of the class and its
        # subclasses (every class has an `__init__`: it is called from nearly every module).
        relatives: Set[str] = set()
        for cls in (owner, *self.index.subclasses(owner)) if constructor and owner is not None else ():
            symbol = self.index.class_symbol(cls)
            if symbol is not None and symbol.module is not None:
                relatives.add(symbol.module.name)
            if self.index.class_method(cls, "__init__") == function:
                called.add(last(cls))  # `Cls(...)`, and the subclasses that keep its `__init__`
        sites: List[Tuple[ModuleSummary, str, Set[int]]] = []
        for module in self.index.modules():
            names = called if not constructor or module.name in relatives else called - {"__init__"}
            if names.isdisjoint(module.call_names):
                continue
            source = self.text(module.path)
            if source is None:
                self.memo.note_read(module.path)
                continue
            # Which of its functions call the names (they are read next), not its whole text.
            for called_name in names:
                self.note_calls(module, called_name)
            lines = self.call_lines(module)
            sites.append((module, source, {line for name in names for line in lines.get(name, ())}))
        if sum(len(hinted) for _, _, hinted in sites) > CALLER_LINES:
            return UNKNOWN  # `save()`: too many calls to tell which are its own
        finder = _CallSites(self, function, definition, owner, name, frozenset(called))
        self._caller_depth += 1
        try:
            for module, source, hinted in sites:
                for unit in self.units_at(module, source, hinted):
                    recorder = Recorder(self, unit, calls=False)
                    recorder.on_call = finder.call
                    recorder.focus = Focus.of(unit, calling(finder.called))
                    walk_unit(self, unit, recorder)
                    if finder.gave_up:
                        return UNKNOWN
            if owner is not None and not constructor:
                self._inherited_callers(function, owner, finder)
                if finder.gave_up:
                    return UNKNOWN
            for holder, parameter, bindings in callbacks:
                self._callback_callers(holder, parameter, bindings, finder)
                if finder.gave_up:
                    return UNKNOWN
        finally:
            self._caller_depth -= 1
        if not finder.values:
            return NOT_CALLED
        if any(v is UNKNOWN for v in finder.values):
            return UNKNOWN
        return join_returns(finder.values)

    @memoized(default=UNKNOWN)
    def parameter_from_uses(self, function: Symbol, name: str) -> Value:
        """What a parameter no call pkify sees tells is, from the members the function reads or
        sets on it: an object of the one family of project classes (a class and its subclasses)
        that declares one of them (`instance.set_missing_info()`), when no other project class
        declares that member, the family declares every other member used on it that a project
        class declares, and a plugin says what an object of the family is (a row).
        A member every object of a framework has (a model's `save`) tells nothing; nor does a
        parameter the function binds again."""
        located = self.function_unit(function)
        if located is None:
            return UNKNOWN
        index = self.index
        common = frozenset().union(*(plugin.common_members for plugin in self.plugins))
        declaring = index.classes_declaring()
        declared = []  # (member, where it is read, the classes that declare it)
        for member, node in _members_read(located[1], name):
            classes = declaring.get(member, ())
            if classes and member not in common and not member.startswith("__"):
                declared.append((member, node, classes))
        root: Optional[str] = None
        evidence: Optional[cst.Attribute] = None
        for member, node, classes in declared:  # the family, by its most derived class
            roots = [c for c in classes if not any(a in classes for a in index.ancestry(c)[1:])]
            if len(roots) == 1 and roots[0] != root and (root is None or root in index.ancestry(roots[0])):
                root, evidence = roots[0], node
        if root is None or evidence is None:
            return UNKNOWN
        for member, _, classes in declared:  # and every member read is the family's
            if index.class_member(root, member) is None and not any(root in index.ancestry(c) for c in classes):
                return UNKNOWN
        called = function.function_summary.name
        origin = Origin(evidence, f"no call of `{called}` pkify sees; only `{last(root)}` declares")
        for plugin in self.plugins:
            value = plugin.instance_value(root, origin)
            if value is not None:
                return value
        return UNKNOWN

    @memoized(default={})
    def call_lines(self, module: ModuleSummary) -> Dict[str, Tuple[int, ...]]:
        """The lines (1-based) where the module calls each name (`name(`, `x.name(`; not `def
        name(`): where to look for a function's callers, read once per module."""
        source = self.text(module.path) or ""  # the caller notes what it depends on
        found: Dict[str, List[int]] = {}
        for line, name in called_lines(source):
            found.setdefault(name, []).append(line)
        return {name: tuple(lines) for name, lines in found.items()}

    @memoized(default=True)
    def passed_around(self, function: Symbol) -> bool:
        """Whether the function is used as a value somewhere (`post_save.connect(handler)`,
        `on_commit(handler)`, `HANDLERS = {"x": handler}`, `callback=self.handle`): then
        something pkify does not see calls it, and its calls say nothing of its parameters.
        Read in the modules that define it, import its module or call it by name."""
        self.memo.note_read(EVERY_FILE)
        summary = function.function_summary
        if function.module is None or summary.name.startswith("__"):
            return False
        for candidate in self._modules_near(function):
            text = self.text(candidate.path)
            if text is None:
                continue
            # What the answer depends on is whether the module uses the name as a value, not
            # all of its text (see `project.probes`).
            used = uses_as_value(text, summary.name)
            self.memo.note_probe(probe_key(candidate.path, "uses-as-value", summary.name), "1" if used else "0")
            if used and not self._uses_of_namesakes(candidate, text, function):
                return True
        return False

    def _uses_of_namesakes(self, module: ModuleSummary, text: str, function: Symbol) -> bool:
        """Whether each use as a value of the function's name in the module is one of a namesake
        in a module it imports (`tasks.notify.delay(...)` for a task named like the function)."""
        self.memo.note_read(module.path)  # more than the probe's answer
        name = function.function_summary.name
        dotted = re.compile(rf"(?<![\w.])([A-Za-z_][\w.]*)\.{re.escape(name)}\b")

        def namesake(match: "re.Match[str]") -> str:
            found = self.index.resolve(module, f"{match[1]}.{name}")
            other = found is not None and found != function and match[1].partition(".")[0] in module.imports
            return f"{match[1]}._" if other else match[0]

        return not any(uses_as_value(dotted.sub(namesake, line), name) for _, line in set(value_use_lines(text, name)))

    def _modules_near(self, function: Symbol) -> Iterator[ModuleSummary]:
        """The modules that may use a function as a value: those of its package (an AppConfig
        importing it in `ready()`), those that call its name or import its module."""
        assert function.module is not None
        owner_module, package = function.module.name, function.module.name.rpartition(".")[0]
        name = function.function_summary.name
        for candidate in self.index.modules():
            if (
                candidate.name.rpartition(".")[0] == package
                or name in candidate.call_names
                or "\n" + owner_module in self._import_targets(candidate)
            ):
                yield candidate

    @memoized(default=None)
    def callback_parameters(self, function: Symbol) -> Optional[Tuple[Tuple[Symbol, str, Bindings], ...]]:
        """Where a function used as a value is called, when every such use hands it by keyword
        to a project function that does nothing with that parameter but call it and test it
        (`proxy(request, response_callback=_response_callback)`): those functions and
        parameters, whose calls are its calls, each with what the call that hands it passes
        (the function calls it only in those calls: a URLconf routing to `proxy` passes no
        callback). None when any use is another (something pkify does not see may call it)."""
        from .execution import walk_unit

        self.memo.note_read(EVERY_FILE)
        name = function.function_summary.name
        handed = re.compile(rf"(?<![\w.])\w+\s*=\s*(?:\w+\.)*{re.escape(name)}\s*(?:,|\)|$)")
        found: List[Tuple[Symbol, str, Bindings]] = []
        for module in self._modules_near(function):
            source = self.text(module.path)
            uses = value_use_lines(source, name) if source is not None else []
            if not uses:
                # what the answer depends on: that the module still does not use it as a value
                self.memo.note_probe(probe_key(module.path, "uses-as-value", name), "0")
                continue
            self.memo.note_read(module.path)
            if any(
                ASSIGNMENT_LINE.match(line) or len(handed.findall(line)) != uses.count((number, line))
                for number, line in uses
            ):
                return None  # a use that is not a keyword argument (`task = perform_order`)
            arguments: Dict[int, int] = {}  # id of the argument's expression -> its line

            def on_call(evaluator: Evaluator, node: cst.Call) -> None:
                for arg in node.args:
                    path = path_of(arg.value)
                    if arg.keyword is None or path is None or last(path) != name:
                        continue
                    value = evaluator.value(arg.value)
                    called = self.called_function(evaluator, node.func)
                    if (
                        isinstance(value, FunctionValue)
                        and value.symbol == function
                        and called is not None
                        and self._only_calls(called, arg.keyword.value)
                    ):
                        arguments[id(arg.value)] = evaluator.unit.line(arg.value)
                        handed = (called, arg.keyword.value, self._handing_bindings(evaluator, node, called))
                        if handed not in found:
                            found.append(handed)

            for unit in self.units_at(module, source or "", {number for number, _ in uses}):
                recorder = Recorder(self, unit, calls=False)
                recorder.on_call = on_call
                recorder.focus = Focus.of(unit, lambda step: any(last(read) == name for read in step.reads))
                walk_unit(self, unit, recorder)
            if sorted(arguments.values()) != sorted(number for number, _ in uses):
                return None
        return tuple(found)

    def _handing_bindings(self, evaluator: Evaluator, node: cst.Call, called: Symbol) -> Bindings:
        """What a call that hands a callback passes to the function it calls (nothing for
        `Cls.method(obj, ...)`, whose arguments are shifted)."""
        summary = called.function_summary
        bound = "." in summary.qualname and not _decorated(summary, "staticmethod")  # a method's self or cls
        func = node.func
        if (
            bound
            and not _decorated(summary, "classmethod")
            and isinstance(func, cst.Attribute)
            and isinstance(evaluator.value(func.value), ClassValue)
        ):
            return ()
        return _call_bindings(called, evaluator.args(node), bound, evaluator.force)

    def _only_calls(self, function: Symbol, parameter: str) -> bool:
        """Whether a function's body uses one of its parameters only by calling it or testing it
        (`if response_callback:`, `x and response_callback`)."""
        located = self.function_unit(function)
        if located is None:
            return False
        unit, node, _ = located
        params = node.params
        if parameter not in {p.name.value for p in [*params.posonly_params, *params.params, *params.kwonly_params]}:
            return False
        parents = unit.parents()
        for used in _names(node.body, parameter):
            child: cst.CSTNode = used
            parent = parents.get(used)
            if isinstance(parent, cst.Call) and parent.func is child:
                continue
            while isinstance(parent, (cst.BooleanOperation, cst.UnaryOperation, cst.Comparison, cst.ComparisonTarget)):
                child, parent = parent, parents.get(parent)
            if not (isinstance(parent, (cst.If, cst.While, cst.IfExp, cst.Assert)) and parent.test is child):
                return False
        return True

    def _callback_callers(self, holder: Symbol, parameter: str, bindings: Bindings, finder: "_CallSites") -> None:
        """The calls `parameter(...)` in a function that is handed the function as that
        parameter by a call that passes `bindings` (see `callback_parameters`)."""
        from .execution import walk_function

        located = self.function_unit(holder)
        if located is None:
            finder.gave_up = True
            return
        unit, node, owner = located
        recorder = Recorder(self, unit, calls=False)
        recorder.on_call = finder.call
        recorder.focus = Focus.of(unit, calling(frozenset({parameter})))
        finder.aliases = frozenset({parameter})
        try:
            walk_function(self, unit, node, (), owner, holder.qualname, None, recorder, bindings=dict(bindings))
        finally:
            finder.aliases = frozenset()

    @memoized(default="")
    def _import_targets(self, module: ModuleSummary) -> str:
        """What a module imports, made absolute, each after a newline: one search tells whether
        it imports from a module (`"\\nshop.tasks" in ...`)."""
        return "".join("\n" + self.index.absolute(module, target) for target in module.imports.values())

    def _inherited_callers(self, function: Symbol, owner: str, finder: "_CallSites") -> None:
        """The calls `self.name(...)` in the methods of the class's project ancestors, run on an
        instance of the class (a base view calling the `object_action` each subclass defines):
        walked with `self` an instance of the class, so that what they pass is what it is for
        this class (`self.object_list` of this view's model). And those of the classes a
        subclass that keeps the method mixes in besides (`class Upload(AssetsAction,
        TargetedView)`: `TargetedView.dispatch` calls `self.real_dispatch(request, target)` of
        `AssetsAction`), run on an instance of that subclass."""
        inherited = self.index.ancestry(owner)
        self._callers_in_ancestors(function, owner, inherited[1:], finder)
        for subclass in self.index.subclasses(owner):
            if finder.gave_up:
                return
            if self.index.class_method(subclass, function.function_summary.name) != function:
                continue
            mixed_in = [a for a in self.index.ancestry(subclass)[1:] if a not in inherited]
            self._callers_in_ancestors(function, subclass, mixed_in, finder)

    def _callers_in_ancestors(self, function: Symbol, cls: str, ancestors: Sequence[str], finder: "_CallSites") -> None:
        """The calls `self.name(...)` in the methods of these ancestors of `cls`, walked with
        `self` an instance of `cls`."""
        from .execution import walk_function

        name = function.function_summary.name
        pattern = re.compile(rf"\bself\.{re.escape(name)}\s*\(")
        calls = re.compile(rf"\b{re.escape(name)}\s*\(")
        receiver: Optional[Value] = None
        for ancestor in ancestors:
            symbol = self.index.class_symbol(ancestor)
            if symbol is None or symbol.module is None or name not in symbol.module.call_names:
                continue
            lines = self.source_lines(symbol.module.path) or ()
            # The text of the methods that call the name (which ones do, the search above noted).
            for method in symbol.class_summary.methods.values():
                text = lines[method.start - 1 : method.end]
                if not any(calls.search(line) for line in text):
                    continue
                self.note_region(symbol.module, method.qualname)
                if not any(pattern.search(line) for line in text):
                    continue
                member = self.index.member(symbol, method.name)
                located = self.function_unit(member) if member is not None else None
                if located is None or not self._runs_on(cls, member):
                    continue
                unit, node, method_owner = located
                if receiver is None:
                    receiver = self.self_of(cls, Origin())
                recorder = Recorder(self, unit, calls=False)
                recorder.on_call = finder.call
                recorder.focus = Focus.of(unit, calling(frozenset({name})))
                walk_function(self, unit, node, (), method_owner, f"{ancestor}.{method.name}", receiver, recorder)
                if finder.gave_up:
                    return

    def _runs_on(self, cls: str, method: Optional[Symbol]) -> bool:
        """Whether an ancestor's method runs on the class's objects: the class does not override
        it, or the override may call it (`super()`, `Base.name(self, ...)`)."""
        override = self.index.class_method(cls, method.function_summary.name) if method is not None else None
        if override is None or override == method or override.module is None:
            return True
        summary = override.function_summary
        self.note_region(override.module, summary.qualname)
        text = "".join((self.source_lines(override.module.path) or ())[summary.start - 1 : summary.end])
        return "super(" in text or f".{summary.name}(self" in text

    @memoized(default=frozenset())
    def dispatch_family(self, name: str, positional: int, keywords: FrozenSet[str]) -> FrozenSet[str]:
        """The project classes that every method named `name` a call with these arguments could
        be (each keyword one of its parameters, each parameter without a default given) derives
        from: the overrides one registry of classes dispatches to (mayan's backends). A
        `...Mixin`'s method counts where the classes that mix it in are. Empty: two families."""
        index = self.index
        family: Optional[Set[str]] = None
        for method in index.methods_named().get(name, ()):
            if not _accepts(method.function_summary, positional, keywords):
                continue
            owner = method.qualname.rpartition(".")[0]
            classes = [owner]
            if owner.endswith("Mixin") and not any(index.class_symbol(a) for a in index.ancestry(owner)[1:]):
                classes = list(index.subclasses(owner)) or classes
            for cls in classes:
                ancestors = {a for a in index.ancestry(cls) if index.class_symbol(a) is not None}
                family = ancestors if family is None else family & ancestors
        return frozenset(family or ())

    def units_at(self, module: ModuleSummary, source: str, lines: Set[int]) -> List[Unit]:
        """The units that hold the given lines: the functions alone, else the whole module."""
        parts = fragments(module, lines)
        units = [self.fragment_unit(module, part) for part in parts] if parts else []
        if not parts or any(unit is None for unit in units):
            whole = self.module_unit(module)
            return [whole] if whole is not None else []
        return [unit for unit in units if unit is not None]

    # --- facts -----------------------------------------------------------------------------------

    def facts_recorder(self, unit: Unit) -> Recorder:
        """A recorder of a unit's facts that runs only the statements facts may come from (the
        calls the plugins may recognise, the `return`s of tasks) and those they need."""
        names = frozenset().union(*(plugin.fact_names(unit.summary) for plugin in self.plugins))
        recorder = Recorder(self, unit)
        recorder.focus = Focus.of(unit, making_facts(unit, names, self._returns_fact))
        return recorder

    def _returns_fact(self, function: cst.FunctionDef) -> bool:
        return any(plugin.returns_fact(function) for plugin in self.plugins)

    def call_fact(self, evaluator: Evaluator, node: cst.Call):
        for plugin in self.plugins:
            fact = plugin.call_fact(evaluator, node)
            if fact is not None:
                return fact
        return None

    def return_fact(self, evaluator: Evaluator, node: cst.Return, value: Value):
        for plugin in self.plugins:
            fact = plugin.return_fact(evaluator, node, value)
            if fact is not None:
                return fact
        return None


Bindings = Tuple[Tuple[str, Value], ...]


@dataclass(frozen=True)
class LeftOut(Value):
    """Bound to a parameter with a default that the call does not pass: it has its default."""


LEFT_OUT = LeftOut()


def _bindings(pending: Pending) -> Bindings:
    """What a call passes to a project function, by parameter name (the implicit `self` or
    `cls` of a method called on an object or class left out), LEFT_OUT for the parameters with
    a default it does not pass; nothing when it splats."""
    args = pending.args.items
    if any(a.star for a in args):
        return ()
    summary = pending.function.function_summary
    bound = pending.receiver is not UNKNOWN and not _decorated(summary, "staticmethod")
    found, _ = _matched(summary, args, bound)
    named = _named(summary)
    left_out = [(p.name, LEFT_OUT) for p in summary.params if p.has_default and p.name in named and p.name not in found]
    # An argument pkify cannot follow says nothing: the parameter is what its definition says
    # (its annotation, its callers).
    return tuple(sorted([*((name, value) for name, value in found.items() if value is not UNKNOWN), *left_out]))


def _call_bindings(function: Symbol, args: Args, bound: bool, force: Callable[[Value], Value]) -> Bindings:
    """What one call passes to each parameter of a project function (`bound`: the call gives
    its first one implicitly), `**kwargs` included: a dict of the keywords no parameter names
    and of the entries of the dicts it splats, when pkify reads every one of them. Nothing when
    it splats `*args` (which parameters it fills cannot be told); a parameter it passes in a
    way pkify cannot follow is left out (what its definition says)."""
    if any(a.star == "*" for a in args.items):
        return ()
    summary = function.function_summary
    found, unnamed = _matched(summary, args.items, bound)
    extra = [Entry(arg.keyword, arg.value()) for arg in unnamed]
    every_key = True  # every keyword the call passes is known
    for arg in args.items:
        if arg.star == "**":
            splat = force(arg.value())
            if not isinstance(splat, Mapping) or not splat.closed:
                every_key = False
            for entry in splat.entries if isinstance(splat, Mapping) else ():
                if entry.key in _named(summary):
                    found[entry.key] = entry.value
                else:
                    extra.append(entry)
    star = next((p.name for p in summary.params if p.kind == "varkw"), None)
    if star is not None and every_key:
        found[star] = Mapping(tuple(extra), closed=True)
    forced = ((name, force(value)) for name, value in found.items())
    return tuple(sorted((name, value) for name, value in forced if value is not UNKNOWN))


def _named(function: FunctionSummary) -> Set[str]:
    """The parameters a call can pass by keyword."""
    return {p.name for p in function.params if p.kind in ("positional", "keyword")}


def _matched(function: FunctionSummary, args: Sequence[Arg], bound: bool) -> Tuple[Dict[str, Value], List[Arg]]:
    """What the arguments of a call that are not splats pass, by parameter name (`bound`: the
    call gives the first one implicitly), and the keyword arguments no parameter names."""
    positional = [p.name for p in function.params if p.kind == "positional"][1 if bound else 0 :]
    named = _named(function)
    found: Dict[str, Value] = {}
    unnamed: List[Arg] = []
    index = 0
    for arg in args:
        if arg.star:
            continue
        if arg.keyword is None:
            if index < len(positional):
                found[positional[index]] = arg.value()
            index += 1
        elif arg.keyword in named:
            found[arg.keyword] = arg.value()
        else:
            unnamed.append(arg)
    return found, unnamed


def _assignments(statement: cst.CSTNode) -> List[Tuple[cst.BaseExpression, Optional[cst.BaseExpression]]]:
    """(target, value expression or None when it cannot be told) for each target a statement
    assigns, tuples unpacked when both sides are written out; `setattr(obj, "name", value)`
    too (its target an attribute of `obj`)."""
    pairs: List[Tuple[cst.BaseExpression, Optional[cst.BaseExpression]]] = []
    if isinstance(statement, cst.Assign):
        pairs = [(t.target, statement.value) for t in statement.targets]
    elif isinstance(statement, cst.AnnAssign) and statement.value is not None:
        pairs = [(statement.target, statement.value)]
    elif (
        isinstance(statement, cst.Expr)
        and isinstance(statement.value, cst.Call)
        and isinstance(statement.value.func, cst.Name)
        and statement.value.func.value == "setattr"
        and len(statement.value.args) == 3
    ):
        obj, key, value = (a.value for a in statement.value.args)
        name = key.evaluated_value if isinstance(key, cst.SimpleString) else None
        if isinstance(name, str) and name.isidentifier():
            return [(cst.Attribute(value=obj, attr=cst.Name(name)), value)]
        return []
    found: List[Tuple[cst.BaseExpression, Optional[cst.BaseExpression]]] = []
    while pairs:
        target, assigned = pairs.pop()
        if isinstance(target, (cst.Tuple, cst.List)):
            elements: List[cst.BaseExpression] = [e.value for e in target.elements]
            values = assigned.elements if isinstance(assigned, (cst.Tuple, cst.List)) else None
            starred = any(isinstance(e, cst.StarredElement) for e in [*target.elements, *(values or [])])
            if values is not None and len(values) == len(elements) and not starred:
                pairs.extend(zip(elements, [v.value for v in values]))
            else:
                pairs.extend((e, None) for e in elements)
        else:
            found.append((target, assigned))
    return found


RECENT_FILES = 64  # files kept read (see `InferenceState._read`)
RECENT_UNITS = 256  # parsed units kept (see `InferenceState._unit`)
CASTS = frozenset({"typing.cast", "typing_extensions.cast"})
SETS = frozenset({"set", "frozenset"})
# Classes of the standard library whose calls pkify follows as instances of them (the plugins
# add the names a framework re-exports them under).
LIBRARY_CLASSES = {"datetime.timedelta": "datetime.timedelta"}
TYPED_DICTS = frozenset({"typing.TypedDict", "typing_extensions.TypedDict"})
KEY_QUALIFIERS = ("NotRequired[", "Required[", "ReadOnly[")


def _required(text: str) -> str:
    """A TypedDict key's annotation without `NotRequired[...]` and the like: a key that is
    there holds what the inner annotation says."""
    for qualifier in KEY_QUALIFIERS:
        for prefix in (qualifier, f"typing.{qualifier}", f"typing_extensions.{qualifier}"):
            if text.startswith(prefix) and text.endswith("]"):
                return _required(text[len(prefix) : -1])
    return text


def _assigns(statement: cst.CSTNode, wanted, first: str) -> bool:
    """Whether a statement assigns (or grows) a target `wanted(target, first)` picks."""
    return any(wanted(target, first) for target, _ in _assignments(statement)) or any(
        wanted(target, first) for target, _, _ in _growths(statement)
    )


def _growths(statement: cst.CSTNode) -> List[Tuple[cst.BaseExpression, cst.BaseExpression, bool]]:
    """(container, what is added to it, whether that is one element) for `container.append(x)`,
    `container.extend(xs)` and `container += xs`."""
    if isinstance(statement, cst.AugAssign) and isinstance(statement.operator, cst.AddAssign):
        return [(statement.target, statement.value, False)]
    call = statement.value if isinstance(statement, cst.Expr) else None
    if not (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value in ("append", "extend")
        and len(call.args) == 1
        and call.args[0].keyword is None
        and not call.args[0].star
    ):
        return []
    return [(call.func.value, call.args[0].value, call.func.attr.value == "append")]


def _self_attribute(name: str):
    def wanted(target: cst.CSTNode, first: str) -> bool:
        return (
            isinstance(target, cst.Attribute)
            and target.attr.value == name
            and isinstance(target.value, cst.Name)
            and target.value.value == first
        )

    return wanted


def _request_attribute(name: str):
    def wanted(target: cst.CSTNode, first: str) -> bool:
        if not (isinstance(target, cst.Attribute) and target.attr.value == name):
            return False
        owner = target.value
        return (isinstance(owner, cst.Name) and owner.value == "request") or (
            isinstance(owner, cst.Attribute) and owner.attr.value == "request"
        )

    return wanted


class _CallSites:
    """Collects, over the calls a walk meets, what those that call `function` pass as `name`."""

    def __init__(
        self,
        state: "InferenceState",
        function: Symbol,
        definition: cst.FunctionDef,
        owner: Optional[str],
        name: str,
        called: FrozenSet[str],
    ) -> None:
        self.state = state
        self.function = function
        self.called = called  # the names a call of it is spelled with (a class's, for `__init__`)
        self.owner = owner
        self.name = name
        self.values: List[Value] = []
        self.gave_up = False
        # Names that stand for the function where the walk is (a parameter it was handed as).
        self.aliases: FrozenSet[str] = frozenset()
        params = definition.params
        self.positional = [p.name.value for p in [*params.posonly_params, *params.params]]
        decorators = {_decorator_name(d) for d in definition.decorators}
        # The implicit first argument: `self` or `cls` of a method called on an object or class.
        self.bound = owner is not None and "staticmethod" not in decorators
        self.keyword_only = {p.name.value for p in params.kwonly_params}
        # A key of `**kwargs`, not a parameter of its own: a call that does not pass it leaves it out.
        self.key_of_kwargs = params.star_kwarg is not None and name not in {
            p.name.value for p in [*params.posonly_params, *params.params, *params.kwonly_params]
        }
        self.default = next(
            (p.default for p in [*params.posonly_params, *params.params, *params.kwonly_params] if p.name.value == name),
            None,
        )
        assert function.module is not None
        self.module: ModuleSummary = function.module

    def call(self, evaluator: Evaluator, node: cst.Call) -> None:
        func = node.func
        called = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
        if self.gave_up:
            return
        if not (isinstance(func, cst.Name) and called in self.aliases):
            if called not in self.called or not self._resolves(evaluator, func, node):
                return
        if len(self.values) >= CALLER_SITES:
            self.gave_up = True
            return
        value = self._argument(evaluator, node)
        self.values.append(value)
        if value is UNKNOWN:  # one caller passing what is not known: so is the parameter
            self.gave_up = True

    def _resolves(self, evaluator: Evaluator, func: cst.BaseExpression, node: cst.Call) -> bool:
        if self.function.function_summary.name == "__init__" and not (
            isinstance(func, cst.Attribute) and func.attr.value == "__init__"
        ):  # `Cls(...)`: a project class whose `__init__` it is
            cls = evaluator.value(func)
            return isinstance(cls, ClassValue) and self.state.index.class_method(cls.qualname, "__init__") == self.function
        found = self.state.called_function(evaluator, func)
        if found is None and isinstance(func, cst.Attribute):
            return self._dispatched(evaluator, func, node)
        return found == self.function

    def _dispatched(self, evaluator: Evaluator, func: cst.Attribute, node: cst.Call) -> bool:
        """`registry.get(name).execute(document_version=v, user=u)` on an object pkify cannot
        infer: a call of this method when it passes the parameter by keyword, the method can be
        called so, and so can only methods of one class family (`InferenceState.dispatch_family`)."""
        if self.owner is None or any(a.star for a in node.args):
            return False
        keywords = frozenset(a.keyword.value for a in node.args if a.keyword is not None)
        positional = len(node.args) - len(keywords)
        if self.name not in keywords or not _accepts(self.function.function_summary, positional, keywords):
            return False
        if not self.state.dispatch_family(func.attr.value, positional, keywords):
            return False
        return evaluator.value(func.value) is UNKNOWN

    def _argument(self, evaluator: Evaluator, node: cst.Call) -> Value:
        positional = self.positional[1:] if self.bound and self.positional else self.positional
        given = 0
        for arg in node.args:
            if arg.star == "**":
                # `f(**kwargs)`: the entry of a dict pkify reads (one that has every key written
                # out says the parameter is not among them), or what the caller's own
                # `**kwargs` holds
                splat = evaluator.value(arg.value)
                found = splat.entry(self.name) if isinstance(splat, Mapping) else None
                if found is not None:
                    return evaluator.force(found)
                if isinstance(splat, Keywords):
                    return evaluator.force(splat.key(self.name))
                if isinstance(splat, Mapping) and splat.closed:
                    continue
                return UNKNOWN
            if arg.star:
                return UNKNOWN  # `*args`: which one is ours cannot be told
            if arg.keyword is not None:
                if arg.keyword.value == self.name:
                    return evaluator.value(arg.value)
                continue
            if given < len(positional) and positional[given] == self.name:
                return evaluator.value(arg.value)
            given += 1
        if self.default is None:
            # `kwargs.get("order")` in the function: None where the caller leaves the key out
            return NONE if self.key_of_kwargs else UNKNOWN
        return Evaluator(self.state, Unit(self.module, cst.Module(body=[])), Scope({})).value(self.default)


def _accepts(method: FunctionSummary, positional: int, keywords: FrozenSet[str]) -> bool:
    """Whether a method called on an object can be called with `positional` arguments and these
    keywords: each keyword one of its parameters, each parameter without a default given (a
    delegating `execute(self, context, workflow_instance)` is not what
    `backend.execute(context=context)` calls)."""
    first = 0 if _decorated(method, "staticmethod") else 1  # a method's self or cls is given
    named = [p for p in method.params if p.kind in ("positional", "keyword")][first:]
    if not keywords <= {p.name for p in named}:
        return False
    slots = [p for p in named if p.kind == "positional"]
    if positional > len(slots) and not any(p.kind == "varargs" for p in method.params):
        return False
    filled = {p.name for p in slots[:positional]}
    return all(p.has_default or p.name in filled or p.name in keywords for p in named)


_BINDING_FIELDS = (
    (cst.AssignTarget, "target"),
    (cst.AnnAssign, "target"),
    (cst.AugAssign, "target"),
    (cst.For, "target"),
    (cst.CompFor, "target"),
    (cst.AsName, "name"),
    (cst.NamedExpr, "target"),
    (cst.Del, "target"),
    (cst.Param, "name"),
    (cst.FunctionDef, "name"),
    (cst.ClassDef, "name"),
)


def _members_read(function: cst.FunctionDef, name: str) -> Tuple[Tuple[str, cst.Attribute], ...]:
    """The members a function's body reads or sets on one of its parameters (`name.member`),
    each with where it is first used; none when the body binds the name again (an assignment,
    a loop, a nested function's parameter, `global`)."""
    found: Dict[str, cst.Attribute] = {}
    stack: List[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        for kind, field_name in _BINDING_FIELDS:
            if isinstance(node, kind) and _binds(getattr(node, field_name), name):
                return ()
        if isinstance(node, (cst.Global, cst.Nonlocal)) and any(n.name.value == name for n in node.names):
            return ()
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == name:
            found.setdefault(node.attr.value, node)
        stack.extend(iter_children(node))
    return tuple(sorted(found.items(), key=lambda item: item[0]))


def _binds(target: Optional[cst.CSTNode], name: str) -> bool:
    """Whether an assignment's target binds `name` (`name = ...`, `a, *name = ...`; not
    `name.x = ...` nor `name[0] = ...`)."""
    if isinstance(target, cst.Name):
        return target.value == name
    if isinstance(target, (cst.Tuple, cst.List)):
        return any(_binds(element.value, name) for element in target.elements)
    return False


def _names(node: cst.CSTNode, name: str) -> Iterator[cst.Name]:
    """Every `Name` node spelled `name` under `node` (attribute names and keywords included).
    Walked by hand: `libcst.matchers` would cost a third of a second to import."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name) and current.value == name:
            yield current
        stack.extend(iter_children(current))


def _decorated(function: FunctionSummary, name: str) -> bool:
    """Whether a function is decorated with `name` (`staticmethod`: called on an object or a
    class, it is given no first argument)."""
    return any(isinstance(d, Ref) and d.name == name for d in function.decorators)


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
