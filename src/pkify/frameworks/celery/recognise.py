"""Task calls: which calls send arguments to a Celery task, and which expressions are those
arguments.

Recognised forms: `t.delay(...)`, `t.apply_async(args, kwargs)`, `t.s/si(...)`,
`t.signature/subtask(args, kwargs)`, `t.map/starmap/chunks(items)`, `t.delay_on_commit(...)`,
`t.apply_async_on_commit(...)`, `app.send_task("name", args, kwargs)`,
`self.retry(args=..., kwargs=...)` in a bound task, `functools.partial(t.delay, ...)`, and
`celery.signature("name", args=..., kwargs=...)`; and, for the fixer, calls that run a task here
(`t(...)`, `t.run(...)`, `t.apply(...)`). Calls nested in `chain`/`group`/`chord`, `|` and
`transaction.on_commit(lambda: ...)` are found because the walker visits every call.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, List, Optional, Union

import libcst as cst

from ...analysis.evaluator import Evaluator
from ...analysis.values import UNKNOWN, Entry, External, FunctionValue, Mapping, Sequence, Value
from ...project.summary import Ref, forwarded_call
from ..django_orm.values import Instance, Instances, QuerySet
from . import names
from .catalog import TaskCatalog
from .values import Argument, CeleryApp, TaskCall, TaskMethod, TaskRef

METHODS = names.TASK_METHODS


def recognise(node: cst.Call, ev: Evaluator, catalog: TaskCatalog) -> Optional[TaskCall]:
    """The task call `node` is, if it is one."""
    func = node.func
    args = list(node.args)
    if isinstance(func, cst.Attribute) and func.attr.value in METHODS | names.APP_METHODS:
        return _method_call(node, ev.value(func.value), func.attr.value, args, ev, catalog)
    if isinstance(func, cst.Attribute) and func.attr.value in names.LOCAL_METHODS:
        receiver = ev.value(func.value)
        if isinstance(receiver, TaskRef) and receiver.task is not None:
            return fill_arguments(TaskCall(node, func.attr.value, receiver.task), args, ev)
    callee = ev.value(func)
    if isinstance(callee, TaskMethod):  # `send = send_receipt.delay; send(order)`
        return _method_call(node, callee.receiver, callee.method, args, ev, catalog)
    if isinstance(callee, TaskRef) and callee.task is not None and not callee.task.class_based:
        return fill_arguments(TaskCall(node, "call", callee.task), args, ev)  # `send_receipt(order)`
    if isinstance(callee, External) and callee.qualname in names.PARTIAL and args and not args[0].keyword:
        inner = ev.value(args[0].value)
        if isinstance(inner, TaskRef) and inner.task is not None and not inner.task.class_based:
            return fill_arguments(TaskCall(node, "call", inner.task), args[1:], ev)  # `partial(send_receipt, order)`
        if isinstance(inner, TaskMethod):
            return _method_call(node, inner.receiver, inner.method, args[1:], ev, catalog)
        if isinstance(args[0].value, cst.Attribute) and args[0].value.attr.value in names.SEND_ANY_RECEIVER:
            receiver = ev.value(args[0].value.value)
            return _method_call(node, receiver, args[0].value.attr.value, args[1:], ev, catalog)
    if isinstance(callee, External) and callee.qualname in names.SIGNATURE_FUNCTIONS and args:
        return _by_name(node, "signature", args, ev, catalog, allow_task=True)
    return _forwarded(node, ev, catalog)


def _forwarded(node: cst.Call, ev: Evaluator, catalog: TaskCatalog) -> Optional[TaskCall]:
    """A call of a project function that forwards its arguments to a task it is given (a
    dispatch helper, `dispatch(send_receipt, order)` with `task.delay(*args, **kwargs)` inside):
    the task call, at the helper's call site."""
    if not node.args:
        return None
    function = ev.state.called_function(ev, node.func)
    if function is None:
        return None
    summary = function.function_summary
    forward = forwarded_call(summary, names.TASK_METHODS)
    if forward is None:
        return None
    bound = "." in summary.qualname and not any(
        isinstance(d, Ref) and d.name == "staticmethod" for d in summary.decorators
    )
    given = _bind(summary.params[1:] if bound else summary.params, node.args)
    if given is None or forward.receiver not in given:
        return None
    receiver = given[forward.receiver]
    task = ev.value(receiver.value) if isinstance(receiver, cst.Arg) else UNKNOWN
    if not isinstance(task, TaskRef) and not (forward.method in names.SEND_ANY_RECEIVER and _maybe_task(task)):
        return None
    sent: List[cst.Arg] = []
    dynamic = False
    for passed in forward.args:
        found = given.get(passed.lstrip("*"))
        if passed.startswith("*") and isinstance(found, list):
            sent.extend(found)
        elif isinstance(found, cst.Arg):
            sent.append(found.with_changes(keyword=None, equal=cst.MaybeSentinel.DEFAULT))
        else:
            dynamic = True
    for keyword, passed in forward.keywords:
        found = given.get(passed.lstrip("*"))
        if keyword == "**" and isinstance(found, list):
            sent.extend(found)
        elif keyword in ("args", "kwargs") and forward.method in names.PACKED:
            sent.append(cst.Arg(keyword=cst.Name(keyword), value=_packed_node(found, keyword)))
        elif isinstance(found, cst.Arg) and keyword != "**":
            sent.append(found.with_changes(keyword=cst.Name(keyword)))
        elif passed == "?" and forward.method in names.PACKED:
            continue  # an option of apply_async (`countdown=5`)
        else:
            dynamic = True
    task_ref = task if isinstance(task, TaskRef) else TaskRef(None)
    call = fill_arguments(TaskCall(node, forward.method, task_ref.task), sent, ev)
    call.dynamic |= dynamic
    call.forwarded = function.qualname
    return call


def _bind(params, args) -> "Optional[Dict[str, Union[cst.Arg, List[cst.Arg]]]]":
    """The call's arguments by the helper's parameter names; its `*args` and `**kwargs` get
    lists of the rest. None when the call splats arguments itself."""
    positional = [p for p in params if p.kind == "positional"]
    varargs = next((p.name for p in params if p.kind == "varargs"), None)
    varkw = next((p.name for p in params if p.kind == "varkw"), None)
    named = {p.name for p in params if p.kind in ("positional", "keyword")}
    given: Dict[str, Union[cst.Arg, List[cst.Arg]]] = {}
    extra: List[cst.Arg] = []
    extra_keywords: List[cst.Arg] = []
    index = 0
    for arg in args:
        if arg.star:
            return None
        if arg.keyword is None:
            if index < len(positional):
                given[positional[index].name] = arg
            else:
                extra.append(arg)
            index += 1
        elif arg.keyword.value in named:
            given[arg.keyword.value] = arg
        else:
            extra_keywords.append(arg)
    if varargs:
        given[varargs] = extra
    if varkw:
        given[varkw] = extra_keywords
    return given


def _packed_node(found, keyword: str) -> cst.BaseExpression:
    """`args=` / `kwargs=` of a packed call, made of the helper call's own arguments."""
    if isinstance(found, cst.Arg):
        return found.value
    arguments = found if isinstance(found, list) else []
    if keyword == "args":
        return cst.Tuple([cst.Element(a.value) for a in arguments])
    return cst.Dict(
        [cst.DictElement(cst.SimpleString(repr(a.keyword.value)), a.value) for a in arguments if a.keyword is not None]
    )


def _by_name(
    node: cst.Call, method: str, args: List[cst.Arg], ev: Evaluator, catalog: TaskCatalog, allow_task: bool
) -> Optional[TaskCall]:
    """`app.send_task("name", ...)`, `app.signature("name", ...)`, `signature(task or "name", ...)`:
    the first argument (or `name=`) names the task; `args` and `kwargs` follow."""
    first = args[0] if args and args[0].keyword is None and not args[0].star else None
    name_node = first.value if first is not None else _keyword(args, "name")
    if name_node is None:
        return None
    rest = args[1:] if first is not None else [a for a in args if not (a.keyword and a.keyword.value == "name")]
    task = None
    if isinstance(name_node, (cst.SimpleString, cst.ConcatenatedString)):
        name = name_node.evaluated_value
        task = catalog.task_named(name) if isinstance(name, str) else None
    elif allow_task:
        target = ev.value(name_node)
        if not isinstance(target, TaskRef):
            return None
        task = target.task
    else:
        return None
    call = TaskCall(node, method, task)
    _packed(call, rest, ev)
    return call


def _method_call(
    node: cst.Call, receiver: Value, method: str, args: List[cst.Arg], ev: Evaluator, catalog: TaskCatalog
) -> Optional[TaskCall]:
    if method in names.APP_METHODS and not isinstance(receiver, TaskRef):
        if _maybe_task(receiver) or isinstance(receiver, CeleryApp):
            return _by_name(node, method, args, ev, catalog, allow_task=False)
        return None
    if isinstance(receiver, TaskRef):
        task = receiver.task
    elif method in names.SEND_ANY_RECEIVER and _maybe_task(receiver):
        task = None
    else:
        return None
    return fill_arguments(TaskCall(node, method, task), args, ev)


def fill_arguments(call: TaskCall, args: List[cst.Arg], ev: Evaluator) -> TaskCall:
    """The arguments a call gives, read as the call's method passes them (packed, by item, directly)."""
    method = call.method
    if method in names.PACKED or method == "apply":
        _packed(call, args, ev)
    elif method == "map":
        _items(call, args[:1], ev, star=False)
    elif method in ("starmap", "chunks"):
        _items(call, args[:1], ev, star=True)
    else:
        _direct(call, args, ev)
    if method in names.SIGNATURES and call.task is not None and not call.dynamic:
        given = {a.position for a in call.arguments if a.position is not None}
        given |= {a.keyword for a in call.arguments if a.keyword is not None}
        required = [
            p for i, p in enumerate(call.task.params) if p.kind in ("positional", "keyword") and not p.has_default
        ]
        call.partial = any(i not in given and p.name not in given for i, p in enumerate(required))
    return call


def _maybe_task(value: Value) -> bool:
    """Unresolved receivers may be tasks (a task from another package, `self.task`)."""
    if value is UNKNOWN or isinstance(value, External):
        return True
    return isinstance(value, FunctionValue) and not value.plain


def _direct(call: TaskCall, args: List[cst.Arg], ev: Evaluator) -> None:
    position = 0
    for arg in args:
        if arg.star == "*":
            value = ev.value(arg.value)
            if isinstance(value, Sequence):
                for item in value.items:
                    exact = item.node is not None
                    call.arguments.append(
                        Argument(item.node or arg.value, item.value, "positional", position, exact=exact)
                    )
                    position += 1
            else:
                # `*orders` sends the rows one by one: what matters is each element
                element = value.iterate(ev.state)
                if isinstance(element, Instance):
                    value = Instances(element.model, replace(element.origin, how="from"))
                elif isinstance(value, QuerySet) and value.what == "values queryset":
                    value = UNKNOWN
                call.arguments.append(Argument(arg.value, value, "star"))
                call.dynamic = True
        elif arg.star == "**":
            value = ev.value(arg.value)
            if isinstance(value, Mapping) and value.values is UNKNOWN:
                for entry in value.entries:
                    call.arguments.append(_keyword_argument(entry, arg.value))
                    call.dynamic |= entry.key is None
            else:
                call.arguments.append(Argument(arg.value, value, "double-star"))
                call.dynamic = True
        elif arg.keyword is not None:
            value = ev.value(arg.value)
            call.arguments.append(Argument(arg.value, value, "keyword", keyword=arg.keyword.value, holder=arg))
        else:
            call.arguments.append(Argument(arg.value, ev.value(arg.value), "positional", position))
            position += 1


def _packed(call: TaskCall, args: List[cst.Arg], ev: Evaluator) -> None:
    """`args` and `kwargs` given as the first two positional arguments or as keywords."""
    positional = [a.value for a in args if a.keyword is None and not a.star]
    args_node = _keyword(args, "args") or (positional[0] if positional else None)
    kwargs_node = _keyword(args, "kwargs") or (positional[1] if len(positional) > 1 else None)
    for arg in args:
        if arg.star == "**":  # `apply_async(**options)` with options = {"args": (...), ...}
            options = ev.value(arg.value)
            if isinstance(options, Mapping):
                for entry in options.entries:
                    if entry.key == "args" and args_node is None:
                        args_node = entry.node
                    elif entry.key == "kwargs" and kwargs_node is None:
                        kwargs_node = entry.node
                    elif entry.key is None:
                        call.dynamic = True
                continue
        if arg.star:
            call.dynamic = True
    if args_node is not None:
        value = ev.value(args_node)
        if isinstance(value, Sequence):
            for i, item in enumerate(value.items):
                call.arguments.append(
                    Argument(item.node or args_node, item.value, "positional", i, exact=item.node is not None)
                )
        elif isinstance(value, (QuerySet, Instances)):
            call.arguments.append(Argument(args_node, value, "star"))
        elif not _is_none(args_node):
            call.arguments.append(Argument(args_node, value, "star"))
            call.dynamic = True
    if kwargs_node is not None:
        value = ev.value(kwargs_node)
        if isinstance(value, Mapping) and value.values is UNKNOWN:
            for entry in value.entries:
                call.arguments.append(_keyword_argument(entry, kwargs_node))
                call.dynamic |= entry.key is None
        elif not _is_none(kwargs_node):
            call.arguments.append(Argument(kwargs_node, value, "double-star"))
            call.dynamic = True


def _items(call: TaskCall, args: List[cst.Arg], ev: Evaluator, star: bool) -> None:
    """`map(items)`: each item is the argument; `starmap(items)`/`chunks(items, n)`: each item
    is a tuple of arguments."""
    if not args:
        return
    items_node = args[0].value
    value = ev.value(items_node)
    if isinstance(value, Sequence):
        for item in value.items:
            if star and isinstance(item.value, Sequence):
                for i, inner in enumerate(item.value.items):
                    node = inner.node or item.node or items_node
                    call.arguments.append(Argument(node, inner.value, "positional", i, exact=inner.node is not None))
            elif not star:
                exact = item.node is not None
                call.arguments.append(Argument(item.node or items_node, item.value, "positional", 0, exact=exact))
        return
    element = ev.iterate(items_node)
    if isinstance(element, Instance) and not star:
        call.arguments.append(Argument(items_node, Instances(element.model, element.origin), "items", 0))
        return
    call.dynamic = True
    if isinstance(element, Sequence) and star:
        element = next((i.value for i in element.items if isinstance(i.value, Instance)), UNKNOWN)
    if isinstance(element, Instance):
        call.arguments.append(Argument(items_node, Instances(element.model, element.origin), "items"))


def _keyword_argument(entry: Entry, container: cst.BaseExpression) -> Argument:
    """A keyword argument given as an entry of a dict (`kwargs={"order": o}`, `**{...}`)."""
    exact = entry.node is not None
    return Argument(
        entry.node or container, entry.value, "keyword", keyword=entry.key, holder=entry.holder, exact=exact
    )


def _keyword(args: List[cst.Arg], name: str) -> Optional[cst.BaseExpression]:
    return next((a.value for a in args if a.keyword is not None and a.keyword.value == name), None)


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"
