"""The project's Celery tasks: functions decorated by `@shared_task`, by any Celery app's
`.task`, by `celery.task` or by a configured decorator; and `Task` subclasses with a `run`."""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, Optional, Tuple

from ...project.index import Symbol, SymbolIndex
from ...project.memo import memoized
from ...project.summary import Call, Const, Expr, FunctionSummary, ModuleSummary, Ref, Str, literal
from . import names
from .requirements import lowest_celery
from .values import Task


SERIALIZER_SETTINGS = ("CELERY_TASK_SERIALIZER", "task_serializer")


class TaskCatalog:
    def __init__(self, index: SymbolIndex, task_decorators: Tuple[str, ...]) -> None:
        self.index = index
        self.memo = index.memo
        self.task_decorators = task_decorators

    def is_celery_app(self, symbol: Optional[Symbol]) -> bool:
        """`app = Celery(...)` (or a subclass), or Celery's `current_app`; or `app = made(...)`,
        its class chosen at run time (`import_string(setting)`), in a module that then calls
        `app.autodiscover_tasks()`, a method only a Celery app has."""
        if symbol is None:
            return False
        if symbol.kind == "external":
            return symbol.qualname in names.CELERY_CURRENT_APP
        if symbol.kind == "assignment" and isinstance(symbol.node, Call) and isinstance(symbol.node.func, Ref):
            assert symbol.module is not None
            cls = self.index.expr_qualname(symbol.module, symbol.node.func)
            if cls is not None and self.index.has_ancestor(cls, names.CELERY_APP_CLASSES):
                return True
            made_by = self.index.expr_symbol(symbol.module, symbol.node.func)
            discovers = Ref(f"{symbol.qualname.rpartition('.')[2]}.autodiscover_tasks")
            return (made_by is None or made_by.kind != "class") and any(
                isinstance(call, Call) and call.func == discovers for call in symbol.module.statement_calls
            )
        return False

    def task_decorator(self, module: ModuleSummary, decorator: Expr) -> Optional[Dict[str, Expr]]:
        """The keyword arguments of a decorator that makes a task (`{}` when bare), else None."""
        kwargs: Dict[str, Expr] = {}
        if isinstance(decorator, Call):
            kwargs = dict(decorator.kwargs)
            decorator = decorator.func
        if not isinstance(decorator, Ref):
            return None
        symbol = self.index.expr_symbol(module, decorator)
        configured = self.task_decorators
        if symbol is not None and symbol.kind == "external" and symbol.qualname in names.TASK_DECORATORS:
            return kwargs
        if symbol is not None and any(symbol.qualname == n or symbol.qualname.endswith("." + n) for n in configured):
            return kwargs
        if decorator.name in configured:
            return kwargs
        owner, _, attribute = decorator.name.rpartition(".")
        if owner and attribute == "task":
            app = self.index.expr_symbol(module, Ref(owner))
            if self.is_celery_app(app):
                return kwargs
            if app is not None and app.kind == "external" and "celery" in app.qualname.lower().split("."):
                return kwargs
        return None

    @memoized(default={})
    def tasks(self) -> Dict[str, Task]:
        tasks: Dict[str, Task] = {}
        index = self.index
        for module in index.modules():
            functions = [(f"{module.name}.{f.qualname}", f) for f in module.functions.values()]
            for cls in module.classes.values():
                functions.extend((f"{module.name}.{m.qualname}", m) for m in cls.methods.values())
            for qualname, function in functions:
                for decorator in function.decorators:
                    kwargs = self.task_decorator(module, decorator)
                    if kwargs is not None:
                        task = _function_task(module, qualname, function, kwargs)
                        if "base" in kwargs:
                            task = replace(task, base=index.expr_qualname(module, kwargs["base"]))
                        tasks[qualname] = task
                        break
            for qualname, cls in module.classes.items():
                full = f"{module.name}.{qualname}"
                if "run" in cls.methods and cls.bases and index.has_ancestor(full, names.TASK_CLASSES):
                    run = cls.methods["run"]
                    name = literal(cls.attributes.get("name"))
                    tasks[full] = Task(
                        full,
                        name if isinstance(name, str) else full,
                        run.params[1:],
                        True,
                        module,
                        run,
                        class_based=True,
                    )
        return tasks

    def task(self, qualname: Optional[str]) -> Optional[Task]:
        return self.tasks().get(qualname) if qualname else None

    @memoized(default={})
    def _by_name(self) -> Dict[str, Task]:
        return {task.name: task for task in self.tasks().values()}

    def task_named(self, name: str) -> Optional[Task]:
        return self._by_name().get(name)

    @memoized(default=None)
    def serializer(self) -> Optional[str]:
        """The task serializer the project configures, read as text: `CELERY_TASK_SERIALIZER` in
        Django settings, `task_serializer` in a Celery config module, `app.conf.update(...)` or
        `app.conf.task_serializer = ...`; None when nothing says or the places disagree."""
        found = set()
        for module in self.index.modules():
            for name in SERIALIZER_SETTINGS:
                if name in module.assignments:
                    found.add(literal(module.assignments[name]))
            for target, value in module.attribute_assignments.items():
                if target.endswith(".conf.task_serializer"):
                    found.add(literal(value))
            for call in module.statement_calls:
                if isinstance(call, Call) and isinstance(call.func, Ref) and call.func.name.endswith(".conf.update"):
                    for name in SERIALIZER_SETTINGS:
                        if call.keyword(name) is not None:
                            found.add(literal(call.keyword(name)))
        return found.pop() if len(found) == 1 and isinstance(next(iter(found)), str) else None

    @memoized(default=False)
    def django_task_class(self) -> bool:
        """Whether the project's tasks are Celery's Django task class (`delay_on_commit()`):
        Celery 5.4 or later in every requirement file, an app created in a Django project
        (`DJANGO_SETTINGS_MODULE` set or `config_from_object("django.conf:settings")` where the
        app is made), and no `task_cls=` of its own."""
        floor = lowest_celery(self.index.root)
        if floor is None or floor < (5, 4):
            return False
        apps = 0
        for module in self.index.modules():
            for value in module.assignments.values():
                if not isinstance(value, Call) or not isinstance(value.func, Ref):
                    continue
                cls = self.index.expr_qualname(module, value.func)
                if cls is None or not self.index.has_ancestor(cls, names.CELERY_APP_CLASSES):
                    continue
                if value.keyword("task_cls") is not None or not _django_fixup(module):
                    return False
                apps += 1
        return apps > 0

    def sends_on_commit(self, task: Task) -> bool:
        """The task's class sends from `transaction.on_commit(...)` in its own `apply_async` /
        `delay` (pretix's TransactionAwareTask): a send of it waits for the commit."""
        owner = task.base or (task.qualname if task.class_based else None)
        for ancestor in self.index.ancestry(owner) if owner else ():
            symbol = self.index.class_symbol(ancestor)
            if symbol is None:
                continue
            methods = symbol.class_summary.methods
            if any(methods[name].sends_on_commit for name in ("apply_async", "delay") if name in methods):
                return True
        return False

    def is_task_class(self, qualname: str) -> bool:
        return self.index.has_ancestor(qualname, names.TASK_CLASSES)

    def calling_convention(self, task: Task) -> Optional[str]:
        """The project task class that changes the arguments on their way to the task: it
        overrides `__call__`, `apply_async` or `delay` and edits its `*args`/`**kwargs` (as
        pretix's EventTask turns an event id into an Event). None when there is none."""
        owner = task.base or (task.qualname if task.class_based else None)
        for ancestor in self.index.ancestry(owner) if owner else ():
            symbol = self.index.class_symbol(ancestor)
            if symbol is None:
                continue
            for name in ("__call__", "apply_async", "delay"):
                method = symbol.class_summary.methods.get(name)
                if method is not None and method.changes_arguments:
                    return ancestor
        return None


def _django_fixup(module: ModuleSummary) -> bool:
    """The module sets `DJANGO_SETTINGS_MODULE` or reads Django's settings into the app: Celery
    then installs its Django fix-up (and, from 5.4, its Django task class)."""
    for call in module.statement_calls:
        if not isinstance(call, Call) or not isinstance(call.func, Ref) or not call.args:
            continue
        first = literal(call.args[0])
        if call.func.name.endswith("environ.setdefault") and first == "DJANGO_SETTINGS_MODULE":
            return True
        if call.func.name.endswith(".config_from_object") and str(first).startswith("django.conf:"):
            return True
    return False


def _function_task(module: ModuleSummary, qualname: str, function: FunctionSummary, kwargs: Dict[str, Expr]) -> Task:
    bound = kwargs.get("bind") == Const(True)
    name = literal(kwargs.get("name"))
    params = function.params[1:] if bound and function.params else function.params
    options = tuple((key, literal(value)) for key, value in sorted(kwargs.items()) if isinstance(value, (Str, Const)))
    return Task(qualname, name if isinstance(name, str) else qualname, params, bound, module, function, options=options)
