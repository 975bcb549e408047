"""Task calls: which calls send arguments to a Celery task, and which expressions are those
arguments.

Recognised forms: `t.delay(...)`, `t.apply_async(args, kwargs)`, `t.s/si(...)`,
`t.signature/subtask(args, kwargs)`, `t.map/starmap/chunks(items)`, `t.delay_on_commit(...)`,
`t.apply_async_on_commit(...)`, `app.send_task("name", args, kwargs)`,
`self.retry(args=..., kwargs=...)` in a bound task, `functools.partial(t.delay, ...)`, and
`celery.signature("name", args=..., kwargs=...)`. Calls nested in `chain`/`group`/`chord`,
`|` and `transaction.on_commit(lambda: ...)` are found because every call is visited.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import List, Optional

import libcst as cst

from . import frameworks as fw
from .inference import Evaluator
from .values import UNKNOWN, External, Instance, Instances, Known, Mapping, QuerySet, Sequence, TaskMethod, TaskRef, Value

# Sent to any receiver that is not known to be something else than a task.
ANY_RECEIVER = frozenset({"delay", "apply_async", "delay_on_commit", "apply_async_on_commit"})
# Short or common names: only on receivers known to be tasks.
TASK_RECEIVER = frozenset({"s", "si", "signature", "subtask", "map", "starmap", "chunks", "retry"})
PACKED = frozenset({"apply_async", "apply_async_on_commit", "signature", "subtask", "retry"})
METHODS = ANY_RECEIVER | TASK_RECEIVER
# On a Celery app (or an unresolved receiver): the task is named by the first argument.
APP_METHODS = frozenset({"send_task", "signature"})
# Run in the calling process, arguments unserialized: not findings, but a fix must rewrite them.
LOCAL = frozenset({"call", "run", "apply"})
SIGNATURES = frozenset({"s", "si", "signature", "subtask"})


@dataclass
class Argument:
    """One value sent to a task."""

    node: cst.BaseExpression  # where to point: the expression, or its container when elements are implicit
    value: Value
    kind: str  # "positional", "keyword", "star", "double-star", "items" (each item of `map(items)`)
    position: Optional[int] = None
    keyword: Optional[str] = None
    holder: Optional[cst.CSTNode] = None  # the Arg or DictElement that names a keyword argument
    # `node` is the expression of this very value (False: the value is one item of what `node`
    # stands for, `args=make_args()`: a fix cannot rewrite it there).
    exact: bool = True


@dataclass
class TaskCall:
    node: cst.Call
    method: str  # "delay", "apply_async", ...; "call", "run", "apply": run here, not sent
    task: object  # index.Task, or None when the receiver is not resolved to one
    arguments: List[Argument] = field(default_factory=list)
    dynamic: bool = False  # some arguments could not be enumerated (`*args`, `args=args_from_elsewhere`)
    partial: bool = False  # a signature that gets more arguments later (`t.s()` in a chain)

    @property
    def sends(self) -> bool:
        """Whether the arguments go through the broker (and its serializer)."""
        return self.method not in LOCAL


def recognise(node: cst.Call, ev: Evaluator) -> Optional[TaskCall]:
    func = node.func
    args = list(node.args)
    if isinstance(func, cst.Attribute) and func.attr.value in METHODS | APP_METHODS:
        return _method_call(node, ev.value(func.value), func.attr.value, args, ev)
    if isinstance(func, cst.Attribute) and func.attr.value in ("run", "apply"):
        receiver = ev.value(func.value)
        if isinstance(receiver, TaskRef) and receiver.task is not None:
            return _arguments(TaskCall(node, func.attr.value, receiver.task), args, ev)
    callee = ev.value(func)
    if isinstance(callee, TaskMethod):  # `send = send_receipt.delay; send(order)`
        return _method_call(node, callee.receiver, callee.method, args, ev)
    if isinstance(callee, TaskRef) and callee.task is not None and not callee.task.class_based:
        return _arguments(TaskCall(node, "call", callee.task), args, ev)  # `send_receipt(order)`
    if isinstance(callee, External) and callee.qualname in fw.PARTIAL and args and not args[0].keyword:
        inner = ev.value(args[0].value)
        if isinstance(inner, TaskMethod):
            return _method_call(node, inner.receiver, inner.method, args[1:], ev)
        if isinstance(args[0].value, cst.Attribute) and args[0].value.attr.value in ANY_RECEIVER:
            receiver = ev.value(args[0].value.value)
            return _method_call(node, receiver, args[0].value.attr.value, args[1:], ev)
    if isinstance(callee, External) and callee.qualname in fw.SIGNATURE_FUNCTIONS and args:
        return _by_name(node, "signature", args, ev, allow_task=True)
    return None


def _by_name(node: cst.Call, method: str, args: List[cst.Arg], ev: Evaluator, allow_task: bool) -> Optional[TaskCall]:
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
        task = ev.index.task_named(name) if isinstance(name, str) else None
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


def _method_call(node: cst.Call, receiver: Value, method: str, args: List[cst.Arg], ev: Evaluator) -> Optional[TaskCall]:
    if method in APP_METHODS and not isinstance(receiver, TaskRef):
        if _maybe_task(receiver) or isinstance(receiver, Known) and receiver.role == "celery-app":
            return _by_name(node, method, args, ev, allow_task=False)
        return None
    if isinstance(receiver, TaskRef):
        task = receiver.task
    elif method in ANY_RECEIVER and _maybe_task(receiver):
        task = None
    else:
        return None
    return _arguments(TaskCall(node, method, task), args, ev)


def _arguments(call: TaskCall, args: List[cst.Arg], ev: Evaluator) -> TaskCall:
    method = call.method
    if method in PACKED or method == "apply":
        _packed(call, args, ev)
    elif method == "map":
        _items(call, args[:1], ev, star=False)
    elif method in ("starmap", "chunks"):
        _items(call, args[:1], ev, star=True)
    else:
        _direct(call, args, ev)
    if method in SIGNATURES and call.task is not None and not call.dynamic:
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
    return isinstance(value, Known) and value.role == "decorated-function"


def _direct(call: TaskCall, args: List[cst.Arg], ev: Evaluator) -> None:
    position = 0
    for arg in args:
        if arg.star == "*":
            value = ev.value(arg.value)
            if isinstance(value, Sequence):
                for node, item in value.items:
                    call.arguments.append(Argument(node or arg.value, item, "positional", position, exact=node is not None))
                    position += 1
            else:
                # `*orders` sends the rows one by one: what matters is each element
                element = ev.element_of(value)
                if isinstance(element, Instance):
                    value = Instances(element.model, replace(element.origin, how="from"))
                elif isinstance(value, QuerySet) and value.what == "values queryset":
                    value = UNKNOWN
                call.arguments.append(Argument(arg.value, value, "star"))
                call.dynamic = True
        elif arg.star == "**":
            value = ev.value(arg.value)
            if isinstance(value, Mapping) and value.values is UNKNOWN:
                for key, node, item, holder in value.entries:
                    call.arguments.append(
                        Argument(node or arg.value, item, "keyword", keyword=key, holder=holder, exact=node is not None)
                    )
                    call.dynamic |= key is None
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
                for key, node, _, _ in options.entries:
                    if key == "args" and args_node is None:
                        args_node = node
                    elif key == "kwargs" and kwargs_node is None:
                        kwargs_node = node
                    elif key is None:
                        call.dynamic = True
                continue
        if arg.star:
            call.dynamic = True
    if args_node is not None:
        value = ev.value(args_node)
        if isinstance(value, Sequence):
            for i, (node, item) in enumerate(value.items):
                call.arguments.append(Argument(node or args_node, item, "positional", i, exact=node is not None))
        elif isinstance(value, (QuerySet, Instances)):
            call.arguments.append(Argument(args_node, value, "star"))
        elif not _is_none(args_node):
            call.arguments.append(Argument(args_node, value, "star"))
            call.dynamic = True
    if kwargs_node is not None:
        value = ev.value(kwargs_node)
        if isinstance(value, Mapping) and value.values is UNKNOWN:
            for key, node, item, holder in value.entries:
                call.arguments.append(
                    Argument(node or kwargs_node, item, "keyword", keyword=key, holder=holder, exact=node is not None)
                )
                call.dynamic |= key is None
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
        for node, item in value.items:
            if star and isinstance(item, Sequence):
                for i, (inner_node, inner) in enumerate(item.items):
                    call.arguments.append(
                        Argument(inner_node or node or items_node, inner, "positional", i, exact=inner_node is not None)
                    )
            elif not star:
                call.arguments.append(Argument(node or items_node, item, "positional", 0, exact=node is not None))
        return
    element = ev.iterate(items_node)
    if isinstance(element, Instance) and not star:
        call.arguments.append(Argument(items_node, Instances(element.model, element.origin), "items", 0))
        return
    call.dynamic = True
    if isinstance(element, Sequence) and star:
        element = next((v for _, v in element.items if isinstance(v, Instance)), UNKNOWN)
    if isinstance(element, Instance):
        call.arguments.append(Argument(items_node, Instances(element.model, element.origin), "items"))


def _keyword(args: List[cst.Arg], name: str) -> Optional[cst.BaseExpression]:
    return next((a.value for a in args if a.keyword is not None and a.keyword.value == name), None)


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"
