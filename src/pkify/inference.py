"""What an expression is: the evaluator over libcst expressions.

`Evaluator.value(node)` answers with a `Value` using the names bound so far in the function
(`env`, kept in source order by `flow.FunctionWalker`), the enclosing functions, the module and
the project index. It never guesses: anything it cannot decide is `UNKNOWN`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Optional, Tuple

import libcst as cst

from . import frameworks as fw
from .index import Symbol
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
    TaskMethod,
    TaskRef,
    Value,
    join,
)

if TYPE_CHECKING:  # pragma: no cover
    from .engine import ModuleContext

Env = Dict[str, Value]

# Methods of a task that send arguments to it (see calls.py).
TASK_METHODS = frozenset(
    {"delay", "apply_async", "delay_on_commit", "apply_async_on_commit", "s", "si", "signature", "subtask"}
    | {"map", "starmap", "chunks", "retry"}
)
BUILTIN_CONTAINERS = frozenset({"list", "tuple", "set", "frozenset", "sorted", "reversed"})
SCALAR_RESULTS = frozenset(
    {
        "count",
        "acount",
        "exists",
        "aexists",
        "aggregate",
        "aaggregate",
        "update",
        "aupdate",
        "delete",
        "adelete",
        "contains",
        "acontains",
        "explain",
        "save",
        "asave",
        "refresh_from_db",
        "arefresh_from_db",
        "full_clean",
        "clean",
    }
)


def path_of(node: cst.BaseExpression) -> Optional[str]:
    """`self.order.customer` for a chain of names and attributes, else None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


class Evaluator:
    def __init__(self, ctx: "ModuleContext", env: Env, outer: List[Env], class_qualname: Optional[str] = None) -> None:
        self.ctx = ctx
        self.index = ctx.index
        self.env = env
        self.outer = outer  # enclosing functions' names, innermost first
        self.class_qualname = class_qualname
        self.on_call: Optional[Callable[[cst.Call, "Evaluator"], None]] = None

    # --- names -----------------------------------------------------------------------------------

    def lookup(self, name: str) -> Value:
        if name in self.env:
            return self.env[name]
        for env in self.outer:
            if name in env:
                return env[name]
        if name in ("True", "False", "None"):
            return Scalar()
        return self.ctx.global_value(name)

    def symbol_value(self, symbol: Optional[Symbol]) -> Value:
        return self.ctx.engine.symbol_value(symbol)

    # --- expressions -----------------------------------------------------------------------------

    def value(self, node: cst.BaseExpression) -> Value:
        return self.force(self.lazy_value(node))

    def force(self, value: Value) -> Value:
        if isinstance(value, Pending):
            return self.ctx.engine.call_result(value)
        return value

    def lazy_value(self, node: cst.BaseExpression) -> Value:
        """The value, leaving the result of a project function call `Pending`."""
        if isinstance(node, cst.Name):
            return self.lookup(node.value)
        if isinstance(node, cst.Attribute):
            path = path_of(node)
            if path is not None and path in self.env:
                return self.env[path]
            return self.attribute(self.value(node.value), node.attr.value, node)
        if isinstance(node, cst.Call):
            return self.call(node)
        if isinstance(node, cst.Subscript):
            return self.subscript(node)
        if isinstance(node, cst.Await):
            return self.lazy_value(node.expression)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            kind = {cst.List: "list", cst.Tuple: "tuple", cst.Set: "set"}[type(node)]
            return Sequence(tuple(self.elements(node.elements)), kind)
        if isinstance(node, cst.Dict):
            return self.dict_display(node)
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            return self.comprehension(node)
        if isinstance(node, cst.DictComp):
            env = self.comprehension_env(node.for_in)
            inner = self.child(env)
            return Mapping((), inner.value(node.value))
        if isinstance(node, cst.IfExp):
            return join(self.value(node.body), self.value(node.orelse)) or UNKNOWN
        if isinstance(node, cst.BooleanOperation):
            if isinstance(node.operator, cst.Or):
                return join(self.value(node.left), self.value(node.right)) or UNKNOWN
            return UNKNOWN
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.BitOr, cst.BitAnd)):
            left, right = self.value(node.left), self.value(node.right)
            if isinstance(left, QuerySet) and isinstance(right, QuerySet):  # `paid | recent`
                return QuerySet(left.model if left.model == right.model else None, self.origin(node), left.what)
            return UNKNOWN
        if isinstance(node, cst.NamedExpr):
            value = self.lazy_value(node.value)
            if isinstance(node.target, cst.Name):
                self.env[node.target.value] = value
            return value
        if isinstance(
            node,
            (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.Integer, cst.Float, cst.Imaginary),
        ):
            return Scalar()
        if isinstance(node, (cst.Comparison, cst.UnaryOperation)):
            return Scalar()
        return UNKNOWN

    def child(self, env: Env) -> "Evaluator":
        """An evaluator for a comprehension or lambda: its own names over this one's."""
        evaluator = Evaluator(self.ctx, env, [self.env, *self.outer], self.class_qualname)
        evaluator.on_call = self.on_call
        return evaluator

    def origin(self, node: cst.CSTNode, how: str = "from") -> Origin:
        return Origin(node, how)

    def elements(self, elements):
        for element in elements:
            if isinstance(element, cst.StarredElement):
                inner = self.value(element.value)
                if isinstance(inner, Sequence):
                    yield from inner.items
                elif isinstance(inner, (QuerySet, Instances)) and self.element_of(inner) is not UNKNOWN:
                    yield element.value, Instances(inner.model, inner.origin)
                else:
                    yield element.value, UNKNOWN
            else:
                yield element.value, self.value(element.value)

    def dict_display(self, node: cst.Dict) -> Mapping:
        entries = []
        for element in node.elements:
            if isinstance(element, cst.StarredDictElement):
                inner = self.value(element.value)
                if isinstance(inner, Mapping):
                    entries.extend(inner.entries)
                continue
            key = element.key
            name = key.evaluated_value if isinstance(key, cst.SimpleString) else None
            key_name = name if isinstance(name, str) else None
            entries.append((key_name, element.value, self.value(element.value), element))
        return Mapping(tuple(entries))

    def comprehension_env(self, for_in: cst.CompFor) -> Env:
        env: Env = {}
        evaluator = self.child(env)
        clause: Optional[cst.CompFor] = for_in
        while clause is not None:
            evaluator.bind(clause.target, evaluator.iterate(clause.iter))
            clause = clause.inner_for_in
        return env

    def comprehension(self, node) -> Value:
        env = self.comprehension_env(node.for_in)
        element = self.child(env).value(node.elt)
        if isinstance(element, Sequence):  # `[(o, 1) for o in orders]`
            element = next((v for _, v in element.items if isinstance(v, (Instance, Instances))), element)
        if isinstance(element, (Instance, Instances)):
            return Instances(element.model, replace(element.origin, how="from"))
        if isinstance(element, Scalar):  # `[o.pk for o in orders]`
            return Scalar(pk=element.pk)
        return UNKNOWN

    # --- binding ---------------------------------------------------------------------------------

    def bind(self, target: cst.BaseExpression, value: Value) -> None:
        if isinstance(target, cst.Name):
            self.assign(target.value, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            value = self.force(value)
            items = value.items if isinstance(value, Sequence) else None
            starred = any(isinstance(e, cst.StarredElement) for e in elements)
            for i, element in enumerate(elements):
                if isinstance(element, cst.StarredElement):
                    self.bind(element.value, UNKNOWN)
                elif items is not None and not starred and len(items) == len(elements):
                    self.bind(element.value, items[i][1])
                elif isinstance(value, (Instances,)) and not starred:
                    self.bind(element.value, Instance(value.model, value.origin))
                else:
                    self.bind(element.value, UNKNOWN)
        elif isinstance(target, cst.Attribute):
            path = path_of(target)
            if path is not None:
                self.assign(path, value)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, UNKNOWN)

    def assign(self, name: str, value: Value) -> None:
        prefix = name + "."
        for key in [k for k in self.env if k.startswith(prefix)]:
            del self.env[key]
        self.env[name] = value

    # --- iteration -------------------------------------------------------------------------------

    def iterate(self, node: cst.BaseExpression) -> Value:
        """The value of each element when iterating over `node`."""
        if isinstance(node, cst.Call):
            callee = self.value(node.func)
            args = [a for a in node.args if a.keyword is None and not a.star]
            name = callee.qualname if isinstance(callee, External) else None
            if name == "enumerate" and args:
                return Sequence(((None, Scalar()), (None, self.iterate(args[0].value))))
            if name == "zip" and args:
                return Sequence(tuple((None, self.iterate(a.value)) for a in args))
            if name in BUILTIN_CONTAINERS and args:
                return self.iterate(args[0].value)
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "items":
                owner = self.value(node.func.value)
                if isinstance(owner, Mapping):
                    return Sequence(((None, Scalar()), (None, owner.values)))
        return self.element_of(self.value(node))

    def element_of(self, value: Value) -> Value:
        if isinstance(value, (QuerySet, Instances)) and getattr(value, "what", "queryset") == "queryset":
            return Instance(value.model, replace(value.origin, how="an element of"))
        if isinstance(value, Sequence) and value.items:
            result = None
            for _, item in value.items:
                result = join(result, item)
            return result or UNKNOWN
        return UNKNOWN

    # --- attributes ------------------------------------------------------------------------------

    def attribute(self, base: Value, name: str, node: cst.CSTNode) -> Value:
        index = self.index
        if name in ("pk", "id") or (isinstance(base, Instance) and name.endswith("_id")):
            return Scalar(pk=True)  # whatever `x` is, `x.pk` / `x.id` is not a model object
        if isinstance(base, Instance):
            model = index.model(base.model) if base.model else None
            if model is None:
                return UNKNOWN
            relation = model.fields.get(name)
            if relation is not None:
                if relation.kind == "m2m":
                    return QuerySet(relation.target, self.origin(node), "related manager")
                return Instance(relation.target, self.origin(node))
            if name in model.scalars or name in model.constants:
                return Scalar()
            return self.property_value(base.model, name, base, node)
        if isinstance(base, ModelClass):
            model = index.model(base.model)
            if model is None:
                return UNKNOWN
            if name in model.managers:
                manager = model.managers[name]
                return QuerySet(
                    base.model, self.origin(node), "manager", manager.queryset_class, manager.manager_class
                )
            if name in model.constants or name in model.scalars:
                return Scalar()
            member = index.member(index.resolve_qualname(base.model), name) if base.model in index.models() else None
            return self.symbol_value(member) if member is not None and member.kind != "assignment" else UNKNOWN
        if isinstance(base, QuerySet):
            if name == "model" and base.model:
                return ModelClass(base.model)
            return UNKNOWN
        if isinstance(base, Known):
            if base.role == "request" and name == "user":
                return Instance(index.user_model, self.origin(node))
            if base.role in ("form", "serializer") and name == "instance" and (base.model or base.role == "form"):
                return Instance(base.model, self.origin(node))
            if base.role in ("view", "api-view"):
                if name == "object" and base.qualname and index.has_ancestor(base.qualname, fw.SINGLE_OBJECT_VIEWS):
                    return Instance(base.model, self.origin(node))
                if name == "object_list" and base.role == "view":
                    return QuerySet(base.model, self.origin(node))
                if name == "request":
                    return Known("request")
            if base.role == "object" and name == "request":
                return Known("request")
            if base.role == "object":
                return self.property_value(base.qualname, name, base, node)
            if base.role in ("module", "class") and base.symbol is not None:
                return self.symbol_value(index.member(base.symbol, name))
            return UNKNOWN
        if isinstance(base, External):
            return self.ctx.engine.external_value(f"{base.qualname}.{name}")
        if isinstance(base, TaskRef) and name in TASK_METHODS:
            return TaskMethod(base, name)
        if isinstance(base, Known) and base.role == "celery-app" and name in ("send_task", "signature"):
            return TaskMethod(base, name)
        return UNKNOWN

    # --- subscripts ------------------------------------------------------------------------------

    def subscript(self, node: cst.Subscript) -> Value:
        base = self.value(node.value)
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, (cst.Index, cst.Slice)):
            return UNKNOWN
        index_node = node.slice[0].slice
        if isinstance(base, QuerySet) and base.what in ("queryset", "values queryset"):
            if isinstance(index_node, cst.Slice) and index_node.step is not None:
                # A stepped slice runs the query and gives a list (QuerySet.__getitem__)
                return Instances(base.model, self.origin(node)) if base.what == "queryset" else UNKNOWN
            if isinstance(index_node, cst.Slice):
                return QuerySet(base.model, self.origin(node), base.what, base.queryset_class)
            if base.what == "queryset":
                return Instance(base.model, self.origin(node))
            return UNKNOWN
        if isinstance(base, Instances):
            if isinstance(index_node, cst.Slice):
                return base
            return Instance(base.model, self.origin(node))
        if isinstance(base, Sequence) and isinstance(index_node, cst.Index):
            position = index_node.value
            if isinstance(position, cst.Integer):
                i = int(position.value)
                if -len(base.items) <= i < len(base.items):
                    return base.items[i][1]
            return UNKNOWN
        if isinstance(base, Mapping) and isinstance(index_node, cst.Index):
            key = index_node.value
            if isinstance(key, cst.SimpleString):
                for name, _, value, _ in base.entries:
                    if name == key.evaluated_value:
                        return value
            return base.values if base.values is not UNKNOWN else UNKNOWN
        return UNKNOWN

    # --- calls -----------------------------------------------------------------------------------

    def positional(self, node: cst.Call) -> List[cst.BaseExpression]:
        return [a.value for a in node.args if a.keyword is None and not a.star]

    def keyword(self, node: cst.Call, name: str) -> Optional[cst.BaseExpression]:
        return next((a.value for a in node.args if a.keyword is not None and a.keyword.value == name), None)

    def call(self, node: cst.Call) -> Value:
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            path = path_of(func)
            if path is not None and path in self.env:
                return self.call_value(self.env[path], node)
            base = self.value(func.value)
            result = self.method_call(base, method, node)
            if result is not None:
                return result
            return self.call_value(self.attribute(base, method, func), node)
        return self.call_value(self.value(func), node)

    def method_call(self, base: Value, method: str, node: cst.Call) -> Optional[Value]:
        """Calls whose result depends on the receiver: queryset methods, `form.save()`, ..."""
        origin = self.origin(node)
        if isinstance(base, QuerySet):
            model = base.model
            if base.what == "related manager" and method in ("add", "remove", "clear", "set"):
                return Scalar()
            if method in fw.INSTANCE_METHODS and base.what != "values queryset":
                return Instance(model, origin)
            if method in fw.INSTANCE_AND_FLAG_METHODS:
                return Sequence(((None, Instance(model, origin)), (None, Scalar())))
            if method in fw.QUERYSET_METHODS:
                what = "values queryset" if base.what == "values queryset" else "queryset"
                return QuerySet(model, origin, what, base.queryset_class)
            if method in fw.VALUES_METHODS:
                return QuerySet(model, origin, "values queryset", base.queryset_class)
            if method in fw.INSTANCE_LIST_METHODS:
                return Instances(model, origin)
            if method in fw.INSTANCE_ITERATOR_METHODS and base.what != "values queryset":
                return Instances(model, origin)
            if method in fw.IN_BULK_METHODS:
                return Mapping((), Instance(model, origin))
            if method in SCALAR_RESULTS:
                return Scalar()
            for owner in (base.manager_class, base.queryset_class):
                if owner:
                    function = self.index.member(self.index.resolve_qualname(owner), method)
                    if function is not None and function.kind == "function":
                        return Pending(function, base, origin)
            return UNKNOWN
        if isinstance(base, Instance):
            if method in SCALAR_RESULTS:
                return Scalar()
            method_symbol = self.class_method(base.model, method)
            return Pending(method_symbol, base, origin) if method_symbol else UNKNOWN
        if isinstance(base, Known):
            if base.role in ("form", "serializer") and method == "save":
                if base.role == "form" or base.model:
                    return Instance(base.model, origin)
            if base.role in ("view", "api-view") and method == "get_object":
                return Instance(base.model, origin)
            if base.role in ("view", "api-view", "admin") and method in ("get_queryset", "filter_queryset"):
                return QuerySet(base.model, origin)
            if base.role == "request" and method == "auser":
                return Instance(self.index.user_model, origin)
            if base.role == "object":
                method_symbol = self.class_method(base.qualname, method)
                return Pending(method_symbol, base, origin) if method_symbol else None
            return None
        if isinstance(base, Mapping):
            if method == "values" and isinstance(base.values, Instance):
                return Instances(base.values.model, origin)
            if method == "get":
                key = self.positional(node)[:1]
                if key and isinstance(key[0], cst.SimpleString):
                    for name, _, value, _ in base.entries:
                        if name == key[0].evaluated_value:
                            return value
                return base.values
            return UNKNOWN
        if isinstance(base, ModelClass):
            method_symbol = self.class_method(base.model, method)
            return Pending(method_symbol, base, origin) if method_symbol else None
        return None

    def property_value(self, class_qualname: Optional[str], name: str, owner: Value, node: cst.CSTNode) -> Value:
        """`order.buyer` where `buyer` is a `@property` (or cached) of the class: what it returns."""
        function = self.class_method(class_qualname, name)
        if function is None:
            return UNKNOWN
        for decorator in function.node.decorators:
            if decorator[0] == "ref" and decorator[1].rsplit(".", 1)[-1] in ("property", "cached_property"):
                return Pending(function, owner, self.origin(node))
        return UNKNOWN

    def class_method(self, class_qualname: Optional[str], method: str) -> Optional[Symbol]:
        """A method defined by a project class or one of its project ancestors."""
        if not class_qualname:
            return None
        for ancestor in self.index.ancestry(class_qualname):
            owner = self.index.resolve_qualname(ancestor)
            if owner is not None and owner.kind == "class" and method in owner.node.methods:
                return self.index.member(owner, method)
        return None

    def call_value(self, callee: Value, node: cst.Call) -> Value:
        origin = self.origin(node)
        if isinstance(callee, ModelClass):
            return Instance(callee.model, origin)
        if isinstance(callee, Known):
            if callee.role == "class" and callee.qualname:
                return self.ctx.engine.class_instance(callee.qualname, callee.symbol)
            if callee.role in ("function", "decorated-function") and callee.symbol is not None:
                return Pending(callee.symbol, UNKNOWN, origin)
            return UNKNOWN
        if isinstance(callee, External):
            return self.library_call(callee.qualname, node, origin)
        if isinstance(callee, TaskRef) and (callee.task is None or callee.task.class_based):
            return callee  # `Export()`: an instance of a class-based task
        return UNKNOWN

    def library_call(self, qualname: str, node: cst.Call, origin: Origin) -> Value:
        args = self.positional(node)
        if qualname in fw.GET_USER_MODEL:
            return ModelClass(self.index.user_model)
        if qualname in fw.GET_MODEL and args and all(isinstance(a, cst.SimpleString) for a in args[:2]):
            label = ".".join(a.evaluated_value for a in args[:2])  # get_model("app", "Model") or ("app.Model")
            model = self.index.model_by_label(label)
            return ModelClass(model) if model else UNKNOWN
        if qualname in fw.GET_OBJECT_OR_404 or qualname in fw.AGET_OBJECT_OR_404:
            model = self.model_of(args[0]) if args else None
            return Instance(model, origin) if model is not False else UNKNOWN
        if qualname in fw.GET_LIST_OR_404 or qualname in fw.AGET_LIST_OR_404:
            model = self.model_of(args[0]) if args else None
            return Instances(model, origin) if model is not False else UNKNOWN
        sort_options = all(a.keyword is not None and a.keyword.value in ("key", "reverse") for a in node.args[1:])
        if qualname in BUILTIN_CONTAINERS and len(args) == 1 and not node.args[0].keyword and sort_options:
            inner = self.value(args[0])
            if isinstance(inner, Sequence):
                return Sequence(inner.items, "list" if qualname != "tuple" else "tuple")
            element = self.element_of(inner)
            if isinstance(element, Instance):
                return Instances(element.model, origin)
            return UNKNOWN
        if qualname == "dict":
            entries = [
                (a.keyword.value, a.value, self.value(a.value), a) for a in node.args if a.keyword is not None
            ]
            for a in node.args:
                if a.star == "**" or (a.keyword is None and not a.star):
                    inner = self.value(a.value)
                    if isinstance(inner, Mapping):
                        entries[:0] = inner.entries
            return Mapping(tuple(entries))
        if qualname in fw.CELERY_APP_CLASSES:
            return Known("celery-app")
        if qualname in ("str", "int", "len", "repr", "bool", "float", "hash", "id"):
            return Scalar()
        if qualname == "super" and not node.args:
            return self.lookup("<self>")  # `super().save()` acts on the same object
        return UNKNOWN

    def model_of(self, node: cst.BaseExpression):
        """The model of a model class, manager or queryset argument; False if it is none."""
        value = self.value(node)
        if isinstance(value, ModelClass):
            return value.model
        if isinstance(value, QuerySet):
            return value.model
        return False

    # --- walking every call in an expression -----------------------------------------------------

    def scan(self, node: cst.CSTNode) -> None:
        """Visit every call in `node` with the names bound where it stands (comprehension
        variables, lambda parameters, walrus targets), reporting each to `on_call`."""
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            self.scan_comprehension(node)
            return
        if isinstance(node, cst.Lambda):
            env: Env = {
                p.name.value: self.lazy_value(p.default) if p.default is not None else UNKNOWN
                for p in _lambda_params(node.params)
            }
            self.child(env).scan(node.body)
            return
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return
        if isinstance(node, cst.NamedExpr):
            self.scan(node.value)
            self.lazy_value(node)
            return
        for child in iter_children(node):
            self.scan(child)
        if isinstance(node, cst.Call) and self.on_call is not None:
            self.on_call(node, self)

    def scan_comprehension(self, node) -> None:
        env: Env = {}
        evaluator = self.child(env)
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


_NOT_CHILDREN = ("whitespace", "lpar", "rpar", "comma", "semicolon", "colon", "equal", "operator", "dot")
_child_fields: Dict[type, Tuple[str, ...]] = {}


def iter_children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The child nodes that can hold expressions, in source order, without whitespace and
    punctuation. Much cheaper than `CSTNode.children`, which runs a visitor."""
    names = _child_fields.get(type(node))
    if names is None:
        names = tuple(
            f.name for f in dataclasses.fields(node) if not any(word in f.name for word in _NOT_CHILDREN)
        )
        _child_fields[type(node)] = names
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


def _lambda_params(params: cst.Parameters):
    yield from params.posonly_params
    yield from params.params
    if isinstance(params.star_arg, cst.Param):
        yield params.star_arg
    yield from params.kwonly_params
    if params.star_kwarg is not None:
        yield params.star_kwarg
