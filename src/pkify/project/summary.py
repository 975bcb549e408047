"""The fast pass: what one module declares, read with the standard library's `ast`.

A summary holds only what the project index needs (imports, classes with their bases and
class-level assignments, functions with their decorators and parameters, signal connections,
admin registrations), as plain data, so that it is cheap to build for every file of a project.
Expressions are kept in a small typed form (`Expr`: `Ref`, `Call`, `Str`, ...): enough to resolve
a base class, a decorator, a field's target or a manager, and nothing more. Summaries compare by
identity (they are keys of the index's memo).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple, Union

from .regions import called_names, split_lines

# An expression, in the small form the index reads (typed, immutable, cheap to pickle).


class Expr:
    """Base class of the summary's expressions."""

    __slots__ = ()


@dataclass(frozen=True)
class Ref(Expr):
    """A dotted name: `models.Model`, `Order`."""

    name: str


@dataclass(frozen=True)
class Str(Expr):
    value: str


@dataclass(frozen=True)
class Const(Expr):
    """`None`, `True`, a number."""

    value: Union[None, bool, int, float]


@dataclass(frozen=True)
class Call(Expr):
    func: Expr
    args: Tuple[Expr, ...]  # the first four positional arguments
    kwargs: Tuple[Tuple[str, Expr], ...]

    def keyword(self, name: str) -> Optional[Expr]:
        return next((value for key, value in self.kwargs if key == name), None)


@dataclass(frozen=True)
class Attr(Expr):
    """An attribute of something that is not a dotted name (`get_user_model().objects`)."""

    value: Expr
    name: str


@dataclass(frozen=True)
class Seq(Expr):
    """A list or tuple literal (its first sixteen items)."""

    items: Tuple[Expr, ...]


@dataclass(frozen=True)
class Map(Expr):
    """A dict literal (its first sixteen items): `DATABASES = {"default": {...}}`."""

    items: Tuple[Tuple[Expr, Expr], ...]

    def get(self, key: str) -> Optional[Expr]:
        return next((value for k, value in self.items if isinstance(k, Str) and k.value == key), None)


@dataclass(frozen=True)
class Sub(Expr):
    """A subscript, of which only the subscripted value is kept (`Generic[T]` -> `Generic`)."""

    value: Expr


@dataclass(frozen=True)
class AnnotationText(Expr):
    """A module-level type alias (`OrderList = list[Order]`), as source text."""

    text: str


@dataclass(frozen=True)
class Other(Expr):
    """Anything else."""


OTHER = Other()


def literal(expr: Optional[Expr]):
    """The Python value of a `Str` or `Const`, else None."""
    return expr.value if isinstance(expr, (Str, Const)) else None


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "positional", "keyword", "varargs", "varkw"; "positional" includes positional-only
    annotation: Optional[str]
    has_default: bool


@dataclass(frozen=True)
class ParamCall:
    """A call of a method on one of the function's own parameters (`task.si(*args, **kwargs)`),
    and what it passes: parameter names, `*name` / `**name` for splats of parameters, `?` for
    anything else. What makes a function a dispatch helper (the Celery plugin reads them)."""

    receiver: str
    method: str
    args: Tuple[str, ...]
    keywords: Tuple[Tuple[str, str], ...]


@dataclass(eq=False)
class FunctionSummary:
    name: str
    qualname: str  # inside the module: "f", "Cls.f"
    line: int
    params: Tuple[Param, ...]
    decorators: Tuple[Expr, ...]
    returns: Optional[str]  # the return annotation's source text
    returns_value: bool  # has a `return <expr>` that is not `return None`
    changes_arguments: bool = False  # rebinds or edits its `*args` / `**kwargs` (a converting `__call__`)
    start: int = 0  # first line, decorators included; with `end` and `indent`, where to cut it out
    end: int = 0
    indent: int = 0
    param_calls: Tuple[ParamCall, ...] = ()  # read only in functions the hint points at
    # What every `return` of a module-level function calls to make its value (`Signal` for
    # `signal = Signal(...); ...; return signal`): a factory of the project, as its summary says.
    makes: Optional[Expr] = None
    # An `apply_async` / `delay` of a task class that sends from `transaction.on_commit(...)`
    # (pretix's TransactionAwareTask): its sends wait for the commit.
    sends_on_commit: bool = False


@dataclass(eq=False)
class ClassSummary:
    name: str
    qualname: str
    line: int
    bases: Tuple[Expr, ...]
    decorators: Tuple[Expr, ...]
    attributes: Dict[str, Expr] = field(default_factory=dict)  # class-body assignments
    methods: Dict[str, FunctionSummary] = field(default_factory=dict)
    meta: Dict[str, Expr] = field(default_factory=dict)  # from `class Meta:`
    # Instance attributes its methods assign (`self.order = ...`): name -> the methods' names.
    attribute_writes: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    annotations: Dict[str, str] = field(default_factory=dict)  # class-body `name: T` (a TypedDict's keys)


@dataclass(eq=False)
class ModuleSummary:
    name: str  # dotted module name
    path: str
    is_package: bool
    imports: Dict[str, str] = field(default_factory=dict)  # local name -> target ("a.b.c"; leading dots: relative)
    star_imports: List[str] = field(default_factory=list)  # targets, possibly relative
    classes: Dict[str, ClassSummary] = field(default_factory=dict)  # by qualname (nested classes too)
    functions: Dict[str, FunctionSummary] = field(default_factory=dict)  # module level
    assignments: Dict[str, Expr] = field(default_factory=dict)  # module level, last one wins
    # (signal, receiver, sender, line) of each `signal.connect(receiver, sender=...)`
    connections: List[Tuple[Expr, Expr, Optional[Expr], int]] = field(default_factory=list)
    registrations: List[Tuple[Expr, Expr, Optional[Expr]]] = field(default_factory=list)  # (register, model(s), admin)
    # Lines of `Model.add_to_class(name, function)` calls: the function becomes a method of the model.
    added_methods: List[int] = field(default_factory=list)
    # The views a URLconf routes to: the second argument of its `path()`, `re_path()`, `url()`.
    routes: List[Expr] = field(default_factory=list)
    type_checking: Set[str] = field(default_factory=set)  # names imported only under `if TYPE_CHECKING:`
    # name -> (first line, last line, indentation) of its module-level assignment, to read its
    # value with the engine when the expression form is not enough (`FIRST = Order.objects.first()`)
    assignment_lines: Dict[str, Tuple[int, int, int]] = field(default_factory=dict)
    # Names assigned more than once at module level (in branches, or again later): which value
    # a function sees depends on the path taken, so none is trusted.
    reassigned: Set[str] = field(default_factory=set)
    # Attributes its functions set on an HTTP request (`request.event = ...`, in a middleware or
    # a decorator): name -> the functions' qualified names inside the module.
    request_writes: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    # The names the module calls (`f(`, `obj.f(`), read from its text: where to look for the
    # callers of a function. Not a declaration: bodies change often, and results that depend on
    # callers are checked against every file instead (see Project.cached_result).
    call_names: FrozenSet[str] = frozenset()
    # Module-level calls that are statements (`app.conf.update(task_serializer="json")`) and
    # assignments to attributes (`app.conf.task_serializer = "json"`, by dotted target): where
    # projects configure things.
    statement_calls: List[Expr] = field(default_factory=list)
    attribute_assignments: Dict[str, Expr] = field(default_factory=dict)
    # The settings module it names as DJANGO_SETTINGS_MODULE's default (manage.py, wsgi.py).
    settings_module: Optional[str] = None


def expr(node: Optional[ast.AST], depth: int = 0) -> Expr:
    """Convert an `ast` expression to the summary's small expression form."""
    if node is None or depth > 8:
        return OTHER
    if isinstance(node, ast.Name):
        return Ref(node.id)
    if isinstance(node, ast.Attribute):
        value = expr(node.value, depth + 1)
        if isinstance(value, Ref):
            return Ref(f"{value.name}.{node.attr}")
        return Attr(value, node.attr)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return Str(node.value)
        if node.value is None or isinstance(node.value, (bool, int, float)):
            return Const(node.value)
        return OTHER
    if isinstance(node, ast.Call):
        return Call(
            expr(node.func, depth + 1),
            tuple(expr(a, depth + 1) for a in node.args[:4]),
            tuple((k.arg, expr(k.value, depth + 1)) for k in node.keywords if k.arg),
        )
    if isinstance(node, (ast.List, ast.Tuple)):
        return Seq(tuple(expr(e, depth + 1) for e in node.elts[:16]))
    if isinstance(node, ast.Dict):
        return Map(tuple((expr(k, depth + 1), expr(v, depth + 1)) for k, v in list(zip(node.keys, node.values))[:16]))
    if isinstance(node, ast.Subscript):
        return Sub(expr(node.value, depth + 1))
    return OTHER


def annotation_text(node: Optional[ast.AST]) -> Optional[str]:
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - ast.unparse handles every node it can parse
        return None


def _params(args: ast.arguments) -> Tuple[Param, ...]:
    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    params = [
        Param(a.arg, "positional", annotation_text(a.annotation), i >= first_default)
        for i, a in enumerate(positional)
    ]
    if args.vararg:
        params.append(Param(args.vararg.arg, "varargs", annotation_text(args.vararg.annotation), False))
    for a, default in zip(args.kwonlyargs, args.kw_defaults):
        params.append(Param(a.arg, "keyword", annotation_text(a.annotation), default is not None))
    if args.kwarg:
        params.append(Param(args.kwarg.arg, "varkw", annotation_text(args.kwarg.annotation), False))
    return tuple(params)


_RETURN_VALUE = re.compile(r"^[ \t]*return[ \t(]+(?!None[ \t]*(?:#.*)?$)\S", re.MULTILINE)


def _returns_value(func: ast.AST, lines: Optional[List[str]]) -> bool:
    """Whether the function may return something other than None. Read from its source lines
    when there are some (a nested function's `return` counts too: that only costs a look)."""
    if lines is not None:
        start = func.decorator_list[0].lineno if func.decorator_list else func.lineno
        return bool(_RETURN_VALUE.search("".join(lines[start - 1 : func.end_lineno])))
    for node in ast.walk(func):
        if isinstance(node, ast.Return) and node.value is not None:
            if not (isinstance(node.value, ast.Constant) and node.value.value is None):
                return True
    return False


def _changes_arguments(func) -> bool:
    """`args[0] = event`, `kwargs["event"] = event`, `args = list(args)`, `kwargs.pop(...)`."""
    names = {a.arg for a in (func.args.vararg, func.args.kwarg) if a is not None}
    if not names:
        return False
    for node in ast.walk(func):
        targets = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
        for target in targets:
            if isinstance(target, ast.Subscript):
                target = target.value
            if isinstance(target, ast.Name) and target.id in names:
                return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in names
            and node.func.attr in ("pop", "update", "setdefault", "insert", "append", "clear", "popitem")
        ):
            return True
    return False


# Methods through which a task class could change the arguments on their way to the task.
CALLING_METHODS = frozenset({"__call__", "apply_async", "delay"})


def forwarded_call(function: FunctionSummary, send_methods: FrozenSet[str]) -> Optional[ParamCall]:
    """The call by which a function sends a task one of its parameters holds: the first call of
    a send method on a parameter, unless that parameter is a method's `self` (a task's
    `self.retry()`) or the function a dunder method (`Cls(...)` does not name it)."""
    forward = next((c for c in function.param_calls if c.method in send_methods), None)
    if forward is None or function.name.startswith("__"):
        return None
    bound = "." in function.qualname and not any(isinstance(d, Ref) and d.name == "staticmethod" for d in function.decorators)
    if bound and function.params and forward.receiver == function.params[0].name:
        return None
    return forward


def _param_calls(node) -> Tuple[ParamCall, ...]:
    arguments = node.args
    params = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
    names = params | {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}

    def passed(value: ast.AST, star: str = "") -> str:
        return star + value.id if isinstance(value, ast.Name) and value.id in names else "?"

    found = []
    for call in ast.walk(node):
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
            continue
        receiver = call.func.value
        if not (isinstance(receiver, ast.Name) and receiver.id in params):
            continue
        args = tuple(passed(a.value, "*") if isinstance(a, ast.Starred) else passed(a) for a in call.args)
        keywords = tuple((k.arg or "**", passed(k.value, "" if k.arg else "**")) for k in call.keywords)
        found.append(ParamCall(receiver.id, call.func.attr, args, keywords))
    return tuple(found)


def _makes(func) -> Optional[Expr]:
    """The callee every `return` of the function calls, directly or through a local name assigned
    once (`signal = Signal(...)`, `return signal`); None when they differ or it is not a call."""
    made: Dict[str, Optional[ast.AST]] = {}
    returns: List[ast.AST] = []
    for node in _body_statements(func.body)[0]:  # statements only: no expression holds one
        if isinstance(node, ast.Return):
            if node.value is None:
                return None
            returns.append(node.value)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    value = node.value if isinstance(node, ast.Assign) else None
                    made[target.id] = value if target.id not in made and isinstance(value, ast.Call) else None
    callees = set()
    for value in returns:
        if isinstance(value, ast.Name):
            value = made.get(value.id)
        if not isinstance(value, ast.Call):
            return None
        callees.add(ast.dump(value.func))
        callee = value.func
    return expr(callee) if len(callees) == 1 else None


def function_summary(node, prefix: str, lines: Optional[List[str]] = None, hinted: bool = False) -> FunctionSummary:
    returns_value = node.returns is None and _returns_value(node, lines)
    return FunctionSummary(
        name=node.name,
        qualname=prefix + node.name,
        line=node.lineno,
        params=_params(node.args),
        decorators=tuple(expr(d) for d in node.decorator_list),
        returns=annotation_text(node.returns),
        returns_value=returns_value,
        changes_arguments=node.name in CALLING_METHODS and _changes_arguments(node),
        start=min([node.lineno, *(d.lineno for d in node.decorator_list)]),
        end=node.end_lineno or node.lineno,
        indent=node.col_offset,
        param_calls=_param_calls(node) if hinted else (),
        makes=_makes(node) if not prefix and returns_value else None,
        sends_on_commit=node.name in ("apply_async", "delay") and _calls_on_commit(node),
    )


def _calls_on_commit(func) -> bool:
    return any(
        isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr == "on_commit")
            or (isinstance(node.func, ast.Name) and node.func.id == "on_commit")
        )
        for node in ast.walk(func)
    )


def _alias_or_expr(value: ast.AST) -> Expr:
    """A module-level value; `list[Order]`, `Optional[Order]`, `Order | None` are kept as
    annotation text (type aliases) since the expression form drops subscripts."""
    if isinstance(value, ast.Subscript) or (isinstance(value, ast.BinOp) and isinstance(value.op, ast.BitOr)):
        return AnnotationText(annotation_text(value) or "")
    return expr(value)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _assign_targets(stmt: ast.stmt):
    """(name, value) pairs of a simple `name = value` / `name: T = value` statement."""
    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            if isinstance(target, ast.Name):
                yield target.id, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        yield stmt.target.id, stmt.value


class _Collector:
    def __init__(self, summary: ModuleSummary, source: str) -> None:
        self.summary = summary
        self.lines = split_lines(source) if source else None
        self.scan_requests = True  # the module mentions `request` at all
        self.scan_setattr = True  # the module mentions `setattr` at all
        self.routes = True  # the module mentions `urlpatterns`: a URLconf
        self.hint_lines: List[int] = []  # lines that look like a task call (the Reading's hint)

    def hinted(self, node) -> bool:
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        end = node.end_lineno or node.lineno
        return any(start <= line <= end for line in self.hint_lines)

    def module(self, tree: ast.Module, calls: bool) -> None:
        self.block(tree.body, top=True)
        if not calls:
            return
        # Every call, with the names its function assigns once (a signal connected in an
        # AppConfig's `ready()` to a sender it fetched: `Document = apps.get_model(...)`).
        stack: List[Tuple[ast.AST, Dict[str, ast.expr]]] = [(tree, {})]
        while stack:
            node, local = stack.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    stack.append((child, _assigned_once(child.body)))
                    continue
                if isinstance(child, ast.Call):
                    self.call(child, local)
                stack.append((child, local))

    def block(self, body, top: bool) -> None:
        """Module-level statements, including those under `if`/`try` (conditional imports)."""
        for stmt in body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self.import_(stmt)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.summary.functions[stmt.name] = function_summary(stmt, "", self.lines, self.hinted(stmt))
                if self.scan_requests:
                    self.request_writes(stmt.name, _body_statements(stmt.body))
            elif isinstance(stmt, ast.ClassDef):
                self.class_(stmt, "")
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                for name, value in _assign_targets(stmt):
                    if name in self.summary.assignments:
                        self.summary.reassigned.add(name)
                    self.summary.assignments[name] = _alias_or_expr(value)
                    self.summary.assignment_lines[name] = (stmt.lineno, stmt.end_lineno, stmt.col_offset)
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    dotted = expr(target)
                    if isinstance(target, ast.Attribute) and isinstance(dotted, Ref) and stmt.value is not None:
                        self.summary.attribute_assignments[dotted.name] = expr(stmt.value)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                self.summary.statement_calls.append(expr(stmt.value))
            elif type(stmt).__name__ == "TypeAlias":  # `type OrderList = list[Order]` (3.12)
                self.summary.assignments[stmt.name.id] = AnnotationText(annotation_text(stmt.value) or "")
            elif isinstance(stmt, ast.If):
                if _is_type_checking(stmt.test):
                    before = set(self.summary.imports)
                    self.block(stmt.body, top)
                    self.summary.type_checking |= set(self.summary.imports) - before
                else:
                    self.block(stmt.body, top)
                self.block(stmt.orelse, top)
            elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
                self.block(stmt.body, top)
                for handler in stmt.handlers:
                    self.block(handler.body, top)
                self.block(stmt.orelse, top)
                self.block(stmt.finalbody, top)
            elif isinstance(stmt, ast.With):
                self.block(stmt.body, top)

    def import_(self, stmt) -> None:
        imports = self.summary.imports
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    imports.setdefault(top, top)
            return
        base = "." * stmt.level + (stmt.module or "")
        for alias in stmt.names:
            if alias.name == "*":
                self.summary.star_imports.append(base)
                continue
            sep = "" if base.endswith(".") else "."
            imports[alias.asname or alias.name] = f"{base}{sep}{alias.name}"

    def class_(self, node: ast.ClassDef, prefix: str) -> None:
        qualname = prefix + node.name
        cls = ClassSummary(
            name=node.name,
            qualname=qualname,
            line=node.lineno,
            bases=tuple(expr(b) for b in node.bases),
            decorators=tuple(expr(d) for d in node.decorator_list),
        )
        self.summary.classes[qualname] = cls
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                cls.methods[stmt.name] = function_summary(stmt, qualname + ".", self.lines, self.hinted(stmt))
                statements = _body_statements(stmt.body)
                self.attribute_writes(cls, stmt, statements[0])
                self.request_writes(f"{qualname}.{stmt.name}", statements)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                for name, value in _assign_targets(stmt):
                    cls.attributes[name] = expr(value)
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    text = annotation_text(stmt.annotation)
                    if text:
                        cls.annotations[stmt.target.id] = text
            elif isinstance(stmt, ast.ClassDef):
                if stmt.name == "Meta":
                    for inner in stmt.body:
                        for name, value in _assign_targets(inner):
                            cls.meta[name] = expr(value)
                else:
                    self.class_(stmt, qualname + ".")

    def attribute_writes(self, cls: ClassSummary, method, statements: List[ast.AST]) -> None:
        """`self.name = ...` in a method (its first parameter, whatever it is called), among its
        own `statements` (not those of functions nested in it)."""
        params = [*method.args.posonlyargs, *method.args.args]
        if not params or any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in method.decorator_list):
            return
        first = params[0].arg
        for target in [*_assigned(statements), *_grown(statements)]:
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == first:
                writers = cls.attribute_writes.get(target.attr, ())
                if method.name not in writers:
                    cls.attribute_writes[target.attr] = (*writers, method.name)

    def request_writes(self, qualname: str, statements: Tuple[List[ast.AST], List[ast.AST]]) -> None:
        """`request.name = ...`, `self.request.name = ...`, `setattr(request, "name", ...)` in a
        function's `statements` (its own, and those of functions nested in it)."""
        if not self.scan_requests:
            return
        found = set()
        every = [*statements[0], *statements[1]]
        for target in _assigned(every):
            if isinstance(target, ast.Attribute) and _is_request(target.value):
                found.add(target.attr)
        for call in _setattr_calls(every) if self.scan_setattr else ():
            if len(call.args) == 3 and _is_request(call.args[0]):
                name = call.args[1]
                if isinstance(name, ast.Constant) and isinstance(name.value, str):
                    found.add(name.value)
        writes = self.summary.request_writes
        for name in sorted(found):
            if qualname not in writes.get(name, ()):
                writes[name] = (*writes.get(name, ()), qualname)

    def call(self, node: ast.Call, local: Dict[str, ast.expr]) -> None:
        func = node.func

        def keyword(name: str) -> Optional[ast.expr]:
            value = next((k.value for k in node.keywords if k.arg == name), None)
            if isinstance(value, ast.Name) and value.id in local:
                return local[value.id]
            return value

        if isinstance(func, ast.Attribute) and func.attr == "add_to_class":
            self.summary.added_methods.append(node.lineno)
            return
        called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if called in ROUTES and len(node.args) >= 2 and self.routes:
            self.summary.routes.append(expr(node.args[1]))
            return
        receiver = node.args[0] if node.args else keyword("receiver")
        if isinstance(func, ast.Attribute) and func.attr == "connect" and receiver is not None:
            sender = keyword("sender")
            self.summary.connections.append(
                (expr(func.value), expr(receiver), expr(sender) if sender is not None else None, node.lineno)
            )
        elif isinstance(func, ast.Attribute) and func.attr == "register" and node.args:
            admin = node.args[1] if len(node.args) > 1 else None
            self.summary.registrations.append(
                (expr(func), expr(node.args[0]), expr(admin) if admin is not None else None)
            )


def summarise(
    tree: ast.Module,
    name: str,
    path: str,
    is_package: bool,
    source: str = "",
    hint_lines: Sequence[int] = (),
) -> ModuleSummary:
    """`source`, when given, lets files without `connect(` or `register(` skip the walk over
    every call (the slowest part, and rarely needed). `hint_lines`: the lines that look like they
    may send a task (that match the reading's hint); the functions that hold one have their
    calls on parameters read."""
    summary = ModuleSummary(name=name, path=path, is_package=is_package)
    calls = not source or "connect(" in source or "register(" in source or "add_to_class(" in source
    collector = _Collector(summary, source)
    collector.routes = not source or "urlpatterns" in source
    calls = calls or collector.routes
    collector.scan_requests = not source or "request" in source
    collector.scan_setattr = not source or "setattr" in source
    collector.hint_lines = list(hint_lines)
    collector.module(tree, calls)
    summary.call_names = called_names(source) if source else frozenset()
    if source and "DJANGO_SETTINGS_MODULE" in source:
        found = _SETTINGS_MODULE.search(source)
        summary.settings_module = found.group(1) if found else None
    return summary


_SETTINGS_MODULE = re.compile(r"""["']DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']""")


def _body_statements(body) -> Tuple[List[ast.AST], List[ast.AST]]:
    """Every statement of a body, those of nested blocks included, in one walk: (its own, those
    of the functions and classes defined in it)."""
    own: List[ast.AST] = []
    nested: List[ast.AST] = []
    stack = [(statement, own) for statement in body]
    while stack:
        statement, into = stack.pop()
        into.append(statement)
        inner = nested if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else into
        for name in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(statement, name, None)
            if isinstance(block, list):
                stack.extend((s, inner) for s in block)
        for case in getattr(statement, "cases", ()) or ():
            stack.extend((s, inner) for s in case.body)
    return own, nested


def _assigned(statements: List[ast.AST]):
    """The targets of the assignments among `statements` (unpacked from tuples and lists)."""
    for statement in statements:
        if isinstance(statement, ast.Assign):
            targets = list(statement.targets)
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets = [statement.target]
        else:
            continue
        while targets:
            target = targets.pop()
            if isinstance(target, (ast.Tuple, ast.List)):
                targets.extend(target.elts)
            else:
                yield target


def _assigned_once(body) -> Dict[str, ast.expr]:
    """The names a function body assigns exactly once, with a plain `name = value`, and their
    values."""
    values: Dict[str, ast.expr] = {}
    counts: Dict[str, int] = {}
    for statement in _body_statements(body)[0]:
        targets = statement.targets if isinstance(statement, ast.Assign) else []
        if isinstance(statement, (ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
            targets = [statement.target] if not isinstance(statement, ast.With) else []
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    counts[name.id] = counts.get(name.id, 0) + 1
                    if isinstance(statement, ast.Assign) and target is name:
                        values[name.id] = statement.value
    return {name: value for name, value in values.items() if counts[name] == 1}


ROUTES = frozenset({"path", "re_path", "url"})  # django.urls (and django.conf.urls.url)
GROWING_METHODS = ("append", "extend", "add", "update")


def _grown(statements: List[ast.AST]):
    """The containers `statements` add to (`self.rows.append(row)`, `self.rows += more`)."""
    for statement in statements:
        if isinstance(statement, ast.AugAssign) and isinstance(statement.op, ast.Add):
            yield statement.target
        elif (
            isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Attribute)
            and statement.value.func.attr in GROWING_METHODS
        ):
            yield statement.value.func.value


def _setattr_calls(statements: List[ast.AST]):
    for statement in statements:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            func = statement.value.func
            if isinstance(func, ast.Name) and func.id == "setattr":
                yield statement.value


def _is_request(node: ast.AST) -> bool:
    """`request`, or `<anything>.request` (`self.request`)."""
    return (isinstance(node, ast.Name) and node.id == "request") or (
        isinstance(node, ast.Attribute) and node.attr == "request"
    )


def declarations(summary: ModuleSummary) -> str:
    """What a module declares, as text without line numbers: two summaries with the same
    declarations give the same project index, wherever their lines moved."""

    def function(f: FunctionSummary):
        return (
            f.qualname, f.params, f.decorators, f.returns, f.returns_value, f.changes_arguments, f.param_calls, f.makes,
            f.sends_on_commit,
        )

    classes = [
        (c.qualname, c.bases, c.decorators, sorted(c.attributes.items()), sorted(c.meta.items()),
         sorted(c.attribute_writes.items()),
         [function(m) for m in c.methods.values()])
        for c in summary.classes.values()
    ]
    return repr(
        (
            summary.name,
            summary.is_package,
            sorted(summary.imports.items()),
            summary.star_imports,
            classes,
            [function(f) for f in summary.functions.values()],
            sorted(summary.assignments.items()),
            summary.connections,
            summary.registrations,
            sorted(summary.type_checking),
            sorted(summary.reassigned),
            sorted(summary.request_writes.items()),
            summary.statement_calls,
            sorted(summary.attribute_assignments.items()),
            summary.settings_module,
        )
    )
