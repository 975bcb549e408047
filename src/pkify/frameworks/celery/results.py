"""Whether the worker stores what a task returns: a result backend is configured, and neither
the task nor the settings ignore results, and the result serializer is one that cannot encode
a model instance. Read as text from the project's summaries, as the task serializer is
(`TaskCatalog.serializer`): Django settings (`CELERY_RESULT_BACKEND`, ...), a Celery config
module (`result_backend`, ...), `Celery(..., backend=...)`, `app.conf.result_backend = ...`,
`app.conf.update(result_backend=...)`.

Every answer that pkify cannot read (a value from the environment, a custom serializer, places
that disagree) counts as "not stored": the rule that asks stays silent.
"""

from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Tuple

from ...project.index import SymbolIndex
from ...project.memo import memoized
from ...project.summary import Call, Const, Expr, ModuleSummary, Ref, Str
from . import names
from .catalog import TaskCatalog
from .values import Task

BACKEND = ("CELERY_RESULT_BACKEND", "result_backend")
IGNORE = ("CELERY_TASK_IGNORE_RESULT", "CELERY_IGNORE_RESULT", "task_ignore_result")
SERIALIZER = ("CELERY_RESULT_SERIALIZER", "result_serializer")
# Result serializers that cannot encode a model instance or a QuerySet (pickle can; a project's
# own serializer may).
UNENCODABLE = frozenset({"json", "msgpack", "yaml"})
UNKNOWN = object()  # a setting whose value pkify cannot read


class ResultStore:
    def __init__(self, index: SymbolIndex, catalog: TaskCatalog) -> None:
        self.index = index
        self.memo = index.memo
        self.catalog = catalog

    # --- the project's settings ------------------------------------------------------------------

    def _places(self, settings: Tuple[str, ...]) -> Iterator[Tuple[ModuleSummary, str, Expr]]:
        """(module, how it is named, value) of every place that sets one of `settings`."""
        for module in self.index.modules():
            for name in settings:
                if name in module.assignments:
                    yield module, f"`{name}`", module.assignments[name]
            for target, value in module.attribute_assignments.items():
                attribute = target.rpartition(".")[2]
                if attribute in settings and target.endswith(f".conf.{attribute}"):
                    yield module, f"`{target}`", value
            for call in module.statement_calls:
                if isinstance(call, Call) and isinstance(call.func, Ref) and call.func.name.endswith(".conf.update"):
                    for name in settings:
                        value = call.keyword(name)
                        if value is not None:
                            yield module, f"`{name}=` of `{call.func.name}()`", value

    def _apps(self) -> Iterator[Tuple[ModuleSummary, str, Call]]:
        """`app = Celery(...)` (or a project subclass of Celery) at module level: the module,
        the class as written, and the call."""
        for module in self.index.modules():
            for value in module.assignments.values():
                if not isinstance(value, Call) or not isinstance(value.func, Ref):
                    continue
                cls = self.index.expr_qualname(module, value.func)
                if cls is not None and self.index.has_ancestor(cls, names.CELERY_APP_CLASSES):
                    yield module, value.func.name, value

    @memoized(default=None)
    def backend(self) -> Optional[str]:
        """Where the project configures a result backend (for a message: "`CELERY_RESULT_BACKEND`
        in shop.settings"), or None when no place sets one pkify can read."""
        found: List[Tuple[ModuleSummary, str, Expr]] = list(self._places(BACKEND))
        for module, cls, call in self._apps():
            value = call.keyword("backend")
            if value is not None:
                found.append((module, f"`{cls}(backend=...)`", value))
        for module, how, value in found:
            if isinstance(value, Ref) and value.name in module.assignments:
                value = module.assignments[value.name]  # `CELERY_RESULT_BACKEND = CELERY_BROKER_URL`
            if _backend(value):
                return f"{how} in {module.name}"
        return None

    @memoized(default=True)
    def may_store(self) -> bool:
        """Whether any task's result may be stored: a backend is configured, or a task has its
        own `backend=`. When not, what tasks return is never worth analysing."""
        if self.backend() is not None:
            return True
        return any("backend" in self._options(task) for task in self.catalog.tasks().values())

    @memoized(default=UNKNOWN)
    def ignored(self) -> object:
        """The settings' `task_ignore_result`: True, False (also when nothing sets it), or
        UNKNOWN (a value pkify cannot read)."""
        values = {_flag(value) for _, _, value in self._places(IGNORE)}
        if True in values:
            return True
        return UNKNOWN if UNKNOWN in values else False

    @memoized(default=None)
    def serializer(self) -> Optional[str]:
        """The result serializer (`json` when nothing sets it), or None when places disagree or
        a value is not a literal."""
        values = {
            value.value.lower() if isinstance(value, Str) else None for _, _, value in self._places(SERIALIZER)
        }
        if not values:
            return "json"
        return values.pop() if len(values) == 1 else None

    # --- one task --------------------------------------------------------------------------------

    def stored(self, task: Optional[Task]) -> Optional[str]:
        """Where the backend that stores what `task` returns, with a serializer that cannot
        encode a row, is configured (for a message: "`CELERY_RESULT_BACKEND` in shop.settings"),
        or None when results are not stored, or pkify cannot tell."""
        if task is None or self.serializer() not in UNENCODABLE:
            return None
        options = self._options(task)
        # The task's own `ignore_result` wins over the settings'.
        ignore = _flag(options["ignore_result"]) if "ignore_result" in options else self.ignored()
        if ignore is not False:
            return None  # ignored, or pkify cannot tell
        backend = options.get("backend")
        if backend is not None:
            return "the task's `backend=`" if _backend(backend) else None
        return self.backend()

    def _options(self, task: Task) -> Dict[str, Expr]:
        """The task's `ignore_result` and `backend`: from its decorator, else from its class
        (a task class, the decorator's `base=`) and the classes it inherits from."""
        options: Dict[str, Expr] = {}
        if task.function is not None and not task.class_based:
            for decorator in task.function.decorators:
                kwargs = self.catalog.task_decorator(task.module, decorator)
                if kwargs is not None:
                    options = {k: v for k, v in kwargs.items() if k in ("ignore_result", "backend")}
                    break
        owner = task.qualname if task.class_based else task.base
        for ancestor in self.index.ancestry(owner) if owner else ():
            symbol = self.index.class_symbol(ancestor)
            if symbol is None:
                continue
            for name in ("ignore_result", "backend"):
                value = symbol.class_summary.attributes.get(name)
                if value is not None:
                    options.setdefault(name, value)
        return options


def _flag(value: Expr) -> object:
    if isinstance(value, Const) and isinstance(value.value, bool):
        return value.value
    return UNKNOWN


def _backend(value: Expr) -> bool:
    """Whether a backend setting's value surely names a backend: a literal other than
    `disabled`, or a call given one as its default (`os.environ.get("X", "redis://...")`)."""
    if isinstance(value, Str):
        return value.value.strip().lower() not in ("", "disabled")
    if isinstance(value, Call):
        given = [*value.args, *(v for _, v in value.kwargs)]
        return any(isinstance(v, Str) and "://" in v.value for v in given)
    return False
