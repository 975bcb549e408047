"""The analysis engine: from a parsed module and the project index to task calls and findings.

One `Engine` serves one project for one run. It turns index symbols into values, gives
parameters their values (annotations, `self`, signal receivers, admin actions, views), infers
what project functions return (parsing their module on demand, once), and walks every function
of a checked module to collect its task calls.
"""

from __future__ import annotations

import ast
import builtins
import re
import warnings
from pathlib import Path
from dataclasses import replace
from typing import Dict, FrozenSet, List, Optional, Pattern, Set, Tuple

import libcst as cst
from libcst._position import CodeRange
from libcst.metadata import PositionProvider

from . import frameworks as fw
from .calls import TaskCall, recognise
from .codes import message
from .flow import FunctionWalker
from .fragments import Fragment, cut, fragments, hint_lines, interesting_scopes, of_function, parse_ast
from .index import ProjectIndex, Symbol
from .inference import Env, Evaluator, path_of
from .results import Finding
from .settings import Settings
from .sources import SourceError, read_source
from .summary import FunctionSummary, ModuleSummary
from .values import (
    UNKNOWN,
    External,
    Instance,
    Instances,
    Known,
    Mapping,
    ModelClass,
    Origin,
    Pending,
    QuerySet,
    Scalar,
    Sequence,
    TaskRef,
    Value,
)

BUILTINS = frozenset(dir(builtins))


def parse_module(source: str) -> cst.Module:
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise SourceError(_syntax_error(source, error)) from None


def _syntax_error(source: str, error: cst.ParserSyntaxError) -> str:
    """One line. CPython's own message when it finds the same error: it says more ("'(' was
    never closed") than libcst's list of expected tokens. Not when it stops earlier, at syntax
    newer than itself that libcst accepts."""
    # libcst's message carries a better position than its attributes: "error at 21:35: ..."
    where = re.match(r"parser error: error at (\d+):(\d+): ", error.message)
    line, column = (int(where[1]), max(int(where[2]), 1)) if where else (error.editor_line, error.editor_column)
    reason = error.message[where.end() :] if where else error.message
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except SyntaxError as python:
        if python.lineno is not None and abs(python.lineno - line) <= 1:
            return f"syntax error at line {python.lineno}, column {python.offset}: {python.msg}"
    except (ValueError, RecursionError, MemoryError):
        pass
    return f"syntax error at line {line}, column {column}: {reason}"


class ModuleContext:
    """One libcst module under analysis, with what the engine needs to read it."""

    def __init__(
        self,
        engine: "Engine",
        summary: ModuleSummary,
        module: cst.Module,
        positions: bool,
        fragment: Optional[Fragment] = None,
        dedented: FrozenSet[int] = frozenset(),
    ) -> None:
        self.engine = engine
        self.index = engine.index
        self.summary = summary
        self.module = module
        self.locatable = positions  # a checked module; others are only read for what functions return
        # A single function cut out of the file (see fragments.py): its positions are shifted back.
        self.fragment = fragment
        self.dedented = dedented
        self._positions: Optional[Dict[cst.CSTNode, CodeRange]] = None
        self._module_env: Optional[Env] = None
        self._computing_module_env = False
        self._functions: Optional[Dict[str, Tuple[cst.FunctionDef, Optional[str]]]] = None
        if fragment is not None:
            owner = f"{summary.name}.{fragment.owner}" if fragment.owner else None
            self._functions = {fragment.qualname: (module.body[0], owner)}
            self._module_env = {}  # module-level names come from the index

    # --- text and positions ----------------------------------------------------------------------

    def positions(self) -> Dict[cst.CSTNode, CodeRange]:
        """Line and column of every node, computed the first time a finding needs one: it
        costs a full code generation pass, and most checked files have no finding."""
        if self._positions is None:
            if not self.locatable:
                self._positions = {}
            else:
                provider = PositionProvider()
                provider._gen_impl(self.module)  # what MetadataWrapper does, without its extra visit
                self._positions = provider._computed
        return self._positions

    def line(self, node: cst.CSTNode) -> int:
        position = self.positions().get(node)
        if position is None:
            return 0
        return position.start.line + (self.fragment.start - 1 if self.fragment else 0)

    def column(self, node: cst.CSTNode) -> int:
        if isinstance(node, (cst.Tuple, cst.GeneratorExp)) and node.lpar:
            node = node.lpar[0]  # Python's `ast` counts a tuple's or a generator's parentheses
        position = self.positions().get(node)
        if position is None:
            return 0
        shift = self.fragment.indent if self.fragment and position.start.line in self.dedented else 0
        return position.start.column + 1 + shift

    def locate(self, origin: Origin) -> Origin:
        """An origin with its text and line filled in, for a message."""
        if origin.node is None:
            return origin
        return replace(origin, text=origin.text or self.short(origin.node), line=origin.line or self.line(origin.node))

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def short(self, node: cst.CSTNode, limit: int = 60) -> str:
        """A short rendering for messages: call arguments become `...`."""
        text = _short(node, self)
        return text if len(text) <= limit else text[: limit - 3] + "..."

    # --- names -----------------------------------------------------------------------------------

    def global_value(self, name: str) -> Value:
        env = self.module_env()
        if env is not None and name in env:
            return env[name]
        symbol = self.index.lookup(self.summary, name)
        if symbol is None:
            return External(name) if name in BUILTINS else UNKNOWN
        return self.engine.symbol_value(symbol)

    def module_env(self) -> Optional[Env]:
        """Module-level names as they stand once the module has run (module-level assignments;
        definitions and imports are read from the index)."""
        if self._module_env is None and not self._computing_module_env:
            self._computing_module_env = True
            try:
                evaluator = Evaluator(self, {}, [])
                walker = FunctionWalker(self, evaluator)
                walker.module_level = True
                end = walker.walk(self.module.body, evaluator.env)
                self._module_env = end if end is not None else {}
            finally:
                self._computing_module_env = False
        return self._module_env

    def function(self, qualname: str) -> Optional[Tuple[cst.FunctionDef, Optional[str]]]:
        """A function definition by its qualified name inside the module ("f", "Cls.f"), with
        the qualified name of its class."""
        if self._functions is None:
            self._functions = {}
            self._collect(self.module.body, "", None)
        return self._functions.get(qualname)

    def _collect(self, statements, prefix: str, owner: Optional[str]) -> None:
        for statement in statements:
            if isinstance(statement, cst.FunctionDef):
                self._functions[prefix + statement.name.value] = (statement, owner)
            elif isinstance(statement, cst.ClassDef):
                qualname = prefix + statement.name.value
                self._collect(statement.body.body, qualname + ".", f"{self.summary.name}.{qualname}")
            elif isinstance(statement, (cst.If, cst.Try)) and not prefix:
                self._collect(statement.body.body, prefix, owner)
                orelse = getattr(statement, "orelse", None)
                if orelse is not None and not isinstance(orelse, cst.If):
                    self._collect(orelse.body.body, prefix, owner)


def _short(node: cst.CSTNode, ctx: ModuleContext, depth: int = 0) -> str:
    if depth > 12:
        return "..."
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_short(node.value, ctx, depth + 1)}.{node.attr.value}"
    if isinstance(node, cst.Call):
        inner = "..." if node.args else ""
        return f"{_short(node.func, ctx, depth + 1)}({inner})"
    if isinstance(node, cst.Subscript):
        inner = ctx.code(node.slice[0].slice) if len(node.slice) == 1 else "..."
        inner = inner if len(inner) <= 12 else "..."
        return f"{_short(node.value, ctx, depth + 1)}[{inner}]"
    if isinstance(node, cst.Await):
        return f"await {_short(node.expression, ctx, depth + 1)}"
    text = " ".join(ctx.code(node).split())
    return text


class Engine:
    def __init__(self, index: ProjectIndex, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._contexts: Dict[str, Optional[ModuleContext]] = {}
        self._results: Dict[tuple, Value] = {}
        self._in_progress: set = set()
        self._assignments: Dict[str, Value] = {}
        self._sources: Dict[str, Optional[str]] = {}
        self._fragments: Dict[tuple, Optional[ModuleContext]] = {}
        # The other files read while checking one (what its result depends on, for the cache),
        # and those read while inferring each function's result.
        self.reads: Set[str] = set()
        self._result_reads: Dict[tuple, Set[str]] = {}

    # --- contexts --------------------------------------------------------------------------------

    def context(self, summary: ModuleSummary, source: Optional[str] = None, positions: bool = False) -> Optional[ModuleContext]:
        """The parsed module of a summary; parsed once, on demand."""
        existing = self._contexts.get(summary.path)
        if existing is not None and (existing.locatable or not positions):
            return existing
        if summary.path in self._contexts and existing is None and source is None:
            return None
        try:
            text = source if source is not None else self.source(summary)
            if text is None:
                raise SourceError("cannot read")
            context: Optional[ModuleContext] = ModuleContext(self, summary, parse_module(text), positions)
        except (SourceError, RecursionError):
            if source is not None:
                raise
            context = None
        self._contexts[summary.path] = context
        return context

    def source(self, summary: ModuleSummary) -> Optional[str]:
        self.reads.add(summary.path)
        if summary.path not in self._sources:
            try:
                self._sources[summary.path] = read_source(Path(summary.path))
            except SourceError:
                self._sources[summary.path] = None
        return self._sources[summary.path]

    def fragment_context(
        self, summary: ModuleSummary, fragment: Fragment, source: str, positions: bool
    ) -> Optional[ModuleContext]:
        """One function of a module, parsed alone; None if it does not parse alone."""
        key = (summary.path, fragment.qualname, fragment.start)
        if key not in self._fragments:
            text, dedented = cut(source, fragment.start, fragment.end, fragment.indent)
            try:
                module = parse_module(text)
            except (SourceError, RecursionError):
                module = None
            ok = module is not None and len(module.body) == 1 and isinstance(module.body[0], cst.FunctionDef)
            self._fragments[key] = ModuleContext(self, summary, module, positions, fragment, dedented) if ok else None
        return self._fragments[key]

    def function_context(self, function: Symbol) -> Optional[Tuple[ModuleContext, str]]:
        """The context holding a project function's definition, and its qualified name there:
        the function alone when its summary says where it is, else its whole module."""
        summary: FunctionSummary = function.node
        module = function.module
        if summary.end:
            source = self.source(module)
            if source is None:
                return None
            ctx = self.fragment_context(module, of_function(summary), source, positions=False)
            if ctx is not None:
                return ctx, summary.qualname
        ctx = self.context(module)
        return (ctx, summary.qualname) if ctx is not None else None

    def analyse_source(self, summary: ModuleSummary, source: str, hint: Pattern[str]) -> List[Tuple[ModuleContext, List[TaskCall]]]:
        """The task calls of a checked file, with the context each stands in: only the functions
        whose lines match `hint` are parsed, unless a match is outside every function."""
        lines = hint_lines(source, hint)
        results = []
        for fragment in fragments(summary, lines) or [None]:
            ctx = self.fragment_context(summary, fragment, source, positions=True) if fragment else None
            if ctx is None:  # the whole module is needed, or a function does not parse alone
                tree = parse_ast(source)
                whole = self.context(summary, source=source, positions=True)
                return [(whole, self.analyse(whole, interesting_scopes(tree, lines) if tree else None))]
            results.append((ctx, self.analyse_fragment(ctx)))
        return results

    def analyse_fragment(self, ctx: ModuleContext) -> List[TaskCall]:
        """The task calls of a function cut out of its module (see `analyse_source`)."""
        calls, on_call = _call_collector()
        node, owner = ctx.function(ctx.fragment.qualname)
        self.walk_function(ctx, node, [], owner, f"{ctx.summary.name}.{ctx.fragment.qualname}", None, on_call)
        return list(calls.values())

    # --- symbols to values -----------------------------------------------------------------------

    def symbol_value(self, symbol: Optional[Symbol]) -> Value:
        if symbol is None:
            return UNKNOWN
        index = self.index
        if symbol.kind == "external":
            return self.external_value(symbol.qualname)
        if symbol.kind == "module":
            return Known("module", symbol.qualname, symbol=symbol)
        if symbol.kind == "class":
            task = index.task(symbol.qualname)
            if task is not None:
                return TaskRef(task)
            if index.is_model_class(symbol.qualname):
                return ModelClass(symbol.qualname)
            return Known("class", symbol.qualname, symbol=symbol)
        if symbol.kind == "function":
            task = index.task(symbol.qualname)
            if task is not None:
                return TaskRef(task)
            role = "function" if index.is_plain_function(symbol) else "decorated-function"
            return Known(role, symbol.qualname, symbol=symbol)
        if symbol.kind == "assignment":
            if symbol.qualname not in self._assignments:
                self._assignments[symbol.qualname] = UNKNOWN  # cycle guard
                self._assignments[symbol.qualname] = self.assignment_value(symbol)
            return self._assignments[symbol.qualname]
        return UNKNOWN

    def assignment_value(self, symbol: Symbol) -> Value:
        """A module- or class-level assignment, from its summary form (module-level ones the
        form does not settle: from their statement)."""
        expr = symbol.node
        if expr[0] == "ref":
            return self.symbol_value(self.index.resolve(symbol.module, expr[1]))
        if expr[0] in ("str", "const"):
            return Scalar()
        if expr[0] == "call" and expr[1][0] == "ref":
            if expr[1][1].endswith(".register_task") and expr[2] and expr[2][0][0] == "call":
                return self.assignment_value(Symbol("assignment", symbol.qualname, symbol.module, expr[2][0]))
            callee = self.index.expr_symbol(symbol.module, expr[1])
            if callee is None:
                return self.statement_value(symbol)
            if callee.qualname in fw.GET_USER_MODEL:
                return ModelClass(self.index.user_model)
            if callee.qualname in fw.CELERY_APP_CLASSES or self.index.is_celery_app(symbol):
                return Known("celery-app")
            if callee.kind == "class":
                return self.class_instance(callee.qualname, callee)
        return self.statement_value(symbol)

    def statement_value(self, symbol: Symbol) -> Value:
        """A module-level assignment read with the engine: its statement alone is parsed and its
        value evaluated (`FIRST = Order.objects.first()` is an instance)."""
        module = symbol.module
        name = symbol.qualname[len(module.name) + 1 :]
        lines = module.assignment_lines.get(name)
        source = self.source(module) if lines else None
        if source is None:
            return UNKNOWN
        start, end, indent = lines
        text, _ = cut(source, start, end, indent)
        try:
            statement = parse_module(text).body[0].body[0]
        except (SourceError, RecursionError, IndexError, AttributeError):
            return UNKNOWN
        if not isinstance(statement, (cst.Assign, cst.AnnAssign)) or statement.value is None:
            return UNKNOWN
        ctx = ModuleContext(self, module, cst.Module(body=[]), positions=False)
        ctx._module_env = {}  # its names come from the index
        return Evaluator(ctx, {}, []).value(statement.value)

    def external_value(self, qualname: str) -> Value:
        if qualname in fw.BUILTIN_MODELS:
            return ModelClass(qualname)
        if qualname in fw.CELERY_CURRENT_APP:
            return Known("celery-app")
        return External(qualname)

    def import_value(self, ctx: ModuleContext, target: str) -> Value:
        """A function-local import (`from .tasks import send` inside a view)."""
        absolute = self.index.absolute(ctx.summary, target)
        return self.symbol_value(self.index.resolve_qualname(absolute, ctx.summary))

    def class_instance(self, qualname: str, symbol: Optional[Symbol]) -> Value:
        """What calling a project class gives."""
        index = self.index
        task = index.task(qualname)
        if task is not None or index.has_ancestor(qualname, fw.TASK_CLASSES):
            return TaskRef(task)
        if index.is_model_class(qualname):
            return UNKNOWN  # handled as ModelClass before reaching here
        if index.has_ancestor(qualname, fw.MODEL_FORMS):
            return Known("form", qualname, index.meta_model(qualname))
        if index.has_ancestor(qualname, fw.MODEL_SERIALIZERS):
            return Known("serializer", qualname, index.meta_model(qualname))
        if index.has_ancestor(qualname, fw.CELERY_APP_CLASSES):
            return Known("celery-app", qualname)
        if index.has_ancestor(qualname, fw.HTTP_REQUESTS):  # `request: AuthenticatedHttpRequest`
            return Known("request", qualname)
        return Known("object", qualname)

    def self_value(self, class_qualname: str, origin: Origin) -> Value:
        """What `self` is in a method of a project class."""
        index = self.index
        task = index.task(class_qualname)
        if task is not None or index.has_ancestor(class_qualname, fw.TASK_CLASSES):
            return TaskRef(task)
        if index.is_model_class(class_qualname):
            return Instance(class_qualname, origin)
        if index.has_ancestor(class_qualname, fw.SINGLE_OBJECT_VIEWS | fw.MULTIPLE_OBJECT_VIEWS):
            return Known("view", class_qualname, index.view_model(class_qualname))
        if index.has_ancestor(class_qualname, fw.DRF_GENERIC_VIEWS):
            return Known("api-view", class_qualname, index.view_model(class_qualname))
        if index.is_queryset_class(class_qualname):
            return QuerySet(None, origin, "queryset", queryset_class=class_qualname)
        if index.has_ancestor(class_qualname, fw.MANAGER_ROOTS):
            return QuerySet(None, origin, "manager", manager_class=class_qualname)
        instance = self.class_instance(class_qualname, None)
        if isinstance(instance, Known) and instance.role == "object":
            if index.has_ancestor(class_qualname, fw.MODEL_ADMINS):
                return Known("admin", class_qualname, index.admin_model(class_qualname))
        return instance

    def annotated(self, ctx: ModuleContext, annotation: cst.BaseExpression, name: str) -> Optional[Value]:
        text = ctx.code(annotation)
        if isinstance(annotation, cst.SimpleString) and isinstance(annotation.evaluated_value, str):
            text = annotation.evaluated_value
        found = self.index.annotation(ctx.summary, text)
        if found is None:
            return None
        kind, model = found
        if kind == "object":
            return self.class_instance(model, None)
        if kind == "request":
            return Known("request")
        origin = Origin(annotation, "annotated", f"{name}: {' '.join(text.split())}" if name else text)
        if kind == "instance":
            return Instance(model, origin)
        if kind == "queryset":
            return QuerySet(model, origin)
        return Instances(model, origin)

    # --- what project functions return -----------------------------------------------------------

    def call_result(self, pending: Pending) -> Value:
        function = pending.function
        receiver = pending.receiver
        key = (function.qualname, type(receiver).__name__, getattr(receiver, "model", None))
        if key not in self._results:
            if key in self._in_progress:
                return UNKNOWN
            self._in_progress.add(key)
            outer, self.reads = self.reads, set()
            try:
                self._results[key] = self._infer_return(function, receiver)
            finally:
                self._in_progress.discard(key)
                self._result_reads[key], self.reads = self.reads, outer | self.reads
        else:
            self.reads |= self._result_reads.get(key, set())
        return _with_origin(self._results[key], pending.origin)

    def _infer_return(self, function: Symbol, receiver: Value) -> Value:
        summary = function.node
        module = function.module
        if summary.returns:
            found = self.index.annotation(module, summary.returns)
            if found is None:
                return UNKNOWN
            origin = Origin(text=summary.returns)
            kind, model = found
            if kind == "object":
                return self.class_instance(model, None)
            if kind == "instance":
                return Instance(model, origin)
            if kind == "queryset":
                model = model or getattr(receiver, "model", None)
                return QuerySet(model, origin, queryset_class=getattr(receiver, "queryset_class", None))
            return Instances(model, origin)
        if not summary.returns_value:
            return Scalar()
        located = self.function_context(function)
        if located is None:
            return UNKNOWN
        ctx, local = located
        found = ctx.function(local)
        if found is None:
            return UNKNOWN
        node, owner = found
        walker = self.walk_function(ctx, node, [], owner, function.qualname, receiver, on_call=None, nested=False)
        return walker.result(walker.end)

    # --- parameters ------------------------------------------------------------------------------

    def parameters(
        self,
        ctx: ModuleContext,
        node: cst.FunctionDef,
        owner: Optional[str],
        qualname: str,
        receiver: Optional[Value],
    ) -> Env:
        index = self.index
        params = node.params
        ordered = [*params.posonly_params, *params.params]
        decorators = {_decorator_name(d) for d in node.decorators}
        env: Env = {}
        task = index.task(qualname)
        first: Optional[str] = None
        if ordered and (owner is not None and "staticmethod" not in decorators or task is not None and task.bound):
            first = ordered[0].name.value
            if task is not None and task.bound and owner is None:
                env[first] = TaskRef(task)
            elif "classmethod" in decorators:
                env[first] = ModelClass(owner) if index.is_model_class(owner) else self.symbol_value(index.resolve_qualname(owner))
            elif receiver is not None and receiver is not UNKNOWN:
                env[first] = receiver
            else:
                env[first] = self.self_value(owner, Origin(node, f"`{first}` in a method of", _last(owner)))
        roles = self._roles(ctx.summary, owner, qualname, node.name.value, decorators)
        for param in [*ordered, *params.kwonly_params]:
            name = param.name.value
            if name == first:
                continue
            value: Optional[Value] = None
            if param.annotation is not None:
                value = self.annotated(ctx, param.annotation.annotation, name)
            if value is None and name in roles:
                value = _role_value(roles[name], Origin(param, roles[name][2], name))
            if value is None and name == "request":
                value = Known("request")
            env[name] = value if value is not None else UNKNOWN
        if isinstance(params.star_arg, cst.Param):
            env[params.star_arg.name.value] = UNKNOWN
        if params.star_kwarg is not None:
            # A receiver declared `(sender, **kwargs)` finds its instance in `kwargs["instance"]`.
            star = params.star_kwarg
            entries = tuple(
                (name, None, _role_value(role, Origin(star, role[2], f"{star.name.value}[{name!r}]")), None)
                for name, role in roles.items()
                if name not in env
            )
            env[star.name.value] = Mapping(entries) if entries else UNKNOWN
        if first is not None:
            env[SELF] = env[first]  # what `super()` stands for
        return env

    def _roles(
        self, module: ModuleSummary, owner: Optional[str], qualname: str, name: str, decorators: set
    ) -> Dict[str, tuple]:
        """Parameters whose value follows from where the function is used: signal receivers,
        admin actions and hooks, generic view and DRF hooks. name -> (kind, model, how)."""
        index = self.index
        roles: Dict[str, tuple] = {}
        receiver = index.receiver(qualname)
        if receiver is not None:
            signal, sender = receiver
            short = f"`{signal.rsplit('.', 1)[-1]}` receiver's"
            if signal in fw.USER_SIGNALS:
                roles["user"] = ("instance", index.user_model, short)
            else:
                roles["instance"] = ("instance", None if signal in fw.M2M_CHANGED else sender, short)
        admin = index.admin_action(qualname)
        action = any(self.index.expr_qualname(module, ("ref", d)) in fw.ADMIN_ACTION for d in decorators if d)
        if admin is not None or (owner is None and action):
            roles["queryset"] = ("queryset", admin or None, "the admin action's")
        if owner is not None and index.has_ancestor(owner, fw.MODEL_ADMINS):
            model = index.admin_model(owner)
            roles["queryset"] = ("queryset", model, "the admin method's")
            if name in fw.ADMIN_OBJ_METHODS:
                roles["obj"] = ("instance", model, f"`{name}`'s")
            if name in fw.ADMIN_FORM_METHODS:
                roles["form"] = ("form", model, f"`{name}`'s")
        if owner is not None and name == "form_valid" and index.has_ancestor(owner, fw.MODEL_FORM_VIEWS):
            roles["form"] = ("form", index.view_model(owner), "`form_valid`'s")
        if owner is not None and index.has_ancestor(owner, fw.DRF_GENERIC_VIEWS):
            model = index.view_model(owner)
            if name in ("perform_create", "perform_update") and model:
                roles["serializer"] = ("serializer", model, f"`{name}`'s")
            if name == "perform_destroy":
                roles["instance"] = ("instance", model, "`perform_destroy`'s")
        return roles

    # --- walking ---------------------------------------------------------------------------------

    def walk_function(
        self,
        ctx: ModuleContext,
        node: cst.FunctionDef,
        outer: List[Env],
        owner: Optional[str],
        qualname: str,
        receiver: Optional[Value],
        on_call,
        nested: bool = True,
    ) -> FunctionWalker:
        """Walk one function body; `outer` holds the enclosing functions' names."""
        env = self.parameters(ctx, node, owner, qualname, receiver)
        evaluator = Evaluator(ctx, env, outer, owner)
        evaluator.on_call = on_call
        walker = FunctionWalker(ctx, evaluator)
        if nested:
            local = qualname[len(ctx.summary.name) + 1 :]
            walker.on_function = self._nested(ctx, f"{local}.<locals>", None, outer, True, on_call)
        walker.end = walker.walk(node.body.body, env)
        return walker

    def _nested(
        self,
        ctx: ModuleContext,
        prefix: str,
        owner: Optional[str],
        outer: List[Env],
        closure: bool,
        on_call,
        scopes: Optional[Set[str]] = None,
    ):
        """The handler for a def or class met while walking: analyse it where it stands.
        `closure`: the names bound at that point are visible inside (not so for module- and
        class-level names, which are looked up otherwise). `scopes`: the only ones to walk."""

        def handle(node, env: Env) -> None:
            name = f"{prefix}.{node.name.value}" if prefix else node.name.value
            if scopes is not None and name not in scopes:
                return
            inner_outer = [dict(env), *outer] if closure else outer
            if isinstance(node, cst.FunctionDef):
                qualname = f"{ctx.summary.name}.{name}"
                self.walk_function(ctx, node, inner_outer, owner, qualname, None, on_call)
            else:
                self.walk_class(ctx, node, inner_outer, name, on_call, scopes)

        return handle

    def walk_class(
        self, ctx: ModuleContext, node: cst.ClassDef, outer: List[Env], name: str, on_call, scopes=None
    ) -> None:
        qualname = f"{ctx.summary.name}.{name}"
        evaluator = Evaluator(ctx, {}, outer, qualname)
        evaluator.on_call = on_call
        walker = FunctionWalker(ctx, evaluator)
        walker.module_level = True  # class-level names are not visible to methods
        walker.on_function = self._nested(ctx, name, qualname, outer, False, on_call, scopes)
        walker.walk(node.body.body, evaluator.env)

    def analyse(self, ctx: ModuleContext, scopes: Optional[Set[str]] = None, observe=None) -> List[TaskCall]:
        """Every task call in the module, in the order met. `scopes`: the only functions and
        classes worth walking (see `fragments.interesting_scopes`); None walks them all.
        `observe(call, evaluator)`: called for each task call with the evaluator where it stands."""
        calls, on_call = _call_collector(observe)
        ctx.module_env()
        evaluator = Evaluator(ctx, {}, [])
        evaluator.on_call = on_call
        walker = FunctionWalker(ctx, evaluator)
        walker.module_level = True
        walker.on_function = self._nested(ctx, "", None, [], False, on_call, scopes)
        walker.walk(ctx.module.body, evaluator.env)
        return list(calls.values())

    def findings(self, ctx: ModuleContext, calls: List[TaskCall], path: str) -> List[Finding]:
        found: Dict[tuple, Finding] = {}
        for call in calls:
            if not call.sends:
                continue
            for argument in call.arguments:
                verdict = classify(argument.value)
                if verdict is None:
                    continue
                code, evidence = verdict
                if not self.settings.wants(code):
                    continue
                line, column = ctx.line(argument.node), ctx.column(argument.node)
                model = getattr(evidence, "model", None)
                label = self.index.label(model) if model else None
                simple = path_of(argument.node) is not None
                evidence = replace(evidence, origin=ctx.locate(evidence.origin))
                text = message(code, ctx.short(argument.node), line, evidence, label, simple, self.settings.serializer)
                finding = Finding(path, line, column, code, text)
                found.setdefault((line, column, code), finding)
        return sorted(found.values(), key=lambda f: (f.line, f.column, f.code))


SELF = "<self>"  # the environment key of a method's first parameter, for `super()`


def _role_value(role: tuple, origin: Origin) -> Value:
    kind, model, _ = role
    if kind == "instance":
        return Instance(model, origin)
    if kind == "queryset":
        return QuerySet(model, origin)
    return Known(kind, None, model)  # "form", "serializer"


def classify(value: Value, depth: int = 0) -> Optional[Tuple[str, Value]]:
    """The code an argument value deserves, and the value that is the evidence; None if it is
    fine or unknown."""
    if isinstance(value, Instance):
        return "CEL101", value
    if isinstance(value, QuerySet):
        return "CEL102", value
    if isinstance(value, Instances):
        return "CEL103", value
    if isinstance(value, (Sequence, Mapping)) and depth < 5:
        items = [v for _, v in value.items] if isinstance(value, Sequence) else [v for _, _, v, _ in value.entries]
        if isinstance(value, Mapping):
            items.append(value.values)
        found = [classify(v, depth + 1) for v in items]
        found = [f for f in found if f is not None]
        inner = next((f for f in found if f[0] in ("CEL101", "CEL103")), None)
        if inner is not None:
            evidence = inner[1]
            return "CEL103", Instances(evidence.model, evidence.origin)
        if found:
            return "CEL102", found[0][1]
    return None


def _call_collector(observe=None):
    """A dict of the task calls met, by node (a loop body is walked twice), and the `on_call`
    that fills it."""
    calls: Dict[int, TaskCall] = {}

    def on_call(node: cst.Call, evaluator: Evaluator) -> None:
        if id(node) not in calls:
            call = recognise(node, evaluator)
            if call is not None:
                calls[id(node)] = call
                if observe is not None:
                    observe(call, evaluator)

    return calls, on_call


def _with_origin(value: Value, origin: Origin) -> Value:
    """A function's result as seen at a call site: evidence there; the nodes of a tuple or dict
    it built stay behind, in the function (findings point at the call instead)."""
    if isinstance(value, (Instance, QuerySet, Instances)):
        return replace(value, origin=origin)
    if isinstance(value, Sequence):
        return Sequence(tuple((None, item) for _, item in value.items), value.kind)
    if isinstance(value, Mapping):
        return Mapping(tuple((key, None, item, None) for key, _, item, _ in value.entries), value.values)
    return value


def _decorator_name(decorator: cst.Decorator) -> str:
    node = decorator.decorator
    if isinstance(node, cst.Call):
        node = node.func
    return path_of(node) or ""


def _last(qualname: Optional[str]) -> str:
    return (qualname or "").rsplit(".", 1)[-1]


