"""pkify's pytest plugin: a guard, while the tests run, on what they send to Celery tasks.

`pkify check` reports what it can follow in the source; the guard catches the rest when a test
sends it: tasks reached dynamically, arguments built by code the analysis cannot follow, and the
sends that Celery's eager mode lets through (canvases run with `.apply()` and skip the
serializer; return values are not serialized unless `task_store_eager_result` is set).

The plugin is installed with pkify (the `pytest11` entry point `pkify`) and loaded by every
pytest run, but it does nothing unless enabled: `-p pkify`, `--pkify-guard` or `pkify_guard =
true` in pytest's configuration; `--pkify-guard-transactions` / `pkify_guard_transactions = true`
adds the transaction check (and enables the guard). Loading it imports neither Django nor
Celery. Enabled, an autouse fixture imports Celery (when installed) and wraps, for the duration
of each test:

- `Task.apply_async` (and so `delay` and a task's signatures), before Celery's own serialization
  in eager mode, so that the failure names the task and the argument;
- `apply_async` of chains, groups and chords: in eager mode they run their tasks with `.apply()`,
  and each task's arguments (the previous task's return value included) are checked there; sent
  to a broker, all their tasks' arguments are checked first;
- `Celery.send_task` (a send by name);
- `delay_on_commit` / `apply_async_on_commit` (Celery's `DjangoTask`): the arguments are checked
  when the call is made, since a `TestCase` never runs on-commit callbacks;
- `Task.apply`: a direct call sends nothing; under an eager send, the body's own sends see the
  sender's transactions as closed, as they are for a worker;
- the result backends' `mark_as_done`: a return value a backend would store (one is configured
  and the task does not ignore its result) is checked against the result serializer.

A value sent is checked as Celery would send it: model instances, QuerySets and managers (when
the code under test has loaded Django), alone (CEL101, CEL102) or in lists, tuples, sets and dicts
(CEL103), whatever the serializer (pickled, they are stale snapshots); then any other value the
task's serializer (`kombu.serialization.dumps`) cannot encode (CEL104). A return value is checked
for rows only (CEL105, not under a pickle result serializer): other values a result serializer
cannot encode have no code. A serializer that is not installed leaves its values unchecked.

The transaction check (CEL201) looks at the open atomic blocks of each initialised database
connection, leaving out those of `TestCase` (which pytest-django's `django_db` uses) and, in an
eagerly sent task's body, those of the sender. A transaction opened with `set_autocommit(False)`
is not seen, nor an on-commit callback that a `TestCase` never runs.
"""

from __future__ import annotations

import contextvars
import functools
import re
import sys
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

# pytest leaves this module's frames out of a failing test's traceback: it shows the test's
# line, Celery's frames down to the send, and pkify's message.
__tracebackhide__ = True

# What is being done, where a task's arguments are checked: in eager mode a canvas runs its tasks
# with `Task.apply`, which is checked only under a canvas's `apply_async` (a direct `.apply()`
# sends nothing); under a send (`_SENDING`), what Celery does next is not checked again.
_CANVAS = "canvas"
_SENDING = "sending"
_MODE: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("pkify_guard_mode", default=None)
# The ids of the atomic blocks open when the running eager task's body started.
_INHERITED: contextvars.ContextVar[frozenset] = contextvars.ContextVar("pkify_guard_inherited", default=frozenset())


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pkify", "pkify: check what the tests send to Celery tasks")
    group.addoption(
        "--pkify-guard",
        action="store_true",
        default=False,
        help="fail a test that sends a task a model instance, a QuerySet or a value its serializer cannot carry",
    )
    group.addoption(
        "--pkify-guard-transactions",
        action="store_true",
        default=False,
        help="also fail a test that sends a task inside an open transaction without on-commit (enables the guard)",
    )
    parser.addini("pkify_guard", type="bool", default=False, help="pkify: enable the guard (as --pkify-guard)")
    parser.addini(
        "pkify_guard_transactions",
        type="bool",
        default=False,
        help="pkify: also check transactions (as --pkify-guard-transactions)",
    )


def pytest_configure(config: pytest.Config) -> None:
    transactions = bool(config.getoption("pkify_guard_transactions") or config.getini("pkify_guard_transactions"))
    # `-p pkify` names the plugin explicitly: it is loaded anyway (an entry point), so naming it
    # is what enables it.
    named = any(name in ("pkify", __name__) for name in config.getoption("plugins", None) or ())
    if transactions or named or config.getoption("pkify_guard") or config.getini("pkify_guard"):
        config.pluginmanager.register(GuardPlugin(transactions), "pkify-guard")


class GuardPlugin:
    """Registered only when the guard is enabled."""

    def __init__(self, transactions: bool) -> None:
        self.transactions = transactions

    @pytest.fixture(autouse=True)
    def _pkify_guard(self) -> Iterator[None]:
        undo = _install(Guard(self.transactions))
        try:
            yield
        finally:
            for owner, name, original in reversed(undo):
                setattr(owner, name, original)


class Guard:
    def __init__(self, transactions: bool) -> None:
        self.transactions = transactions

    # --- sends ---------------------------------------------------------------------------

    def send(self, task: Any, args: Any, kwargs: Any, options: Dict[str, Any]) -> None:
        """A task sent with these arguments (not yet serialized)."""
        name = getattr(task, "name", None) or type(task).__name__
        serializer = _task_serializer(task, options)
        if getattr(task, "_dump_pydantic_arguments", None) is not None and serializer != "pickle":
            args, kwargs = task._dump_pydantic_arguments(args, kwargs)  # as Celery does before sending
        self.arguments(name, serializer, args, kwargs)

    def arguments(self, name: str, serializer: str, args: Any, kwargs: Any) -> None:
        positional = list(args) if isinstance(args, (list, tuple)) else ([] if args is None else None)
        if positional is None:  # Celery fails on it itself
            return
        for number, value in enumerate(positional, 1):
            self.value(name, f"argument {number}", value, serializer, result=False)
        if isinstance(kwargs, dict):
            for key, value in kwargs.items():
                self.value(name, f"keyword argument `{key}`", value, serializer, result=False)

    def value(self, task: str, where: str, value: Any, serializer: str, result: bool) -> None:
        offence = _offence(value, serializer, result)
        if offence is not None:
            code, text = offence
            _fail(code, f"{code} {task}: {where} {text}")

    def canvas(self, signature: Any) -> None:
        """The tasks of a canvas sent to a broker (in eager mode each is checked as it runs)."""
        app = _signature_app(signature)
        for leaf in _leaves(signature):
            name = leaf.get("task") if isinstance(leaf, dict) else None
            if not isinstance(name, str):
                continue
            task = app._tasks.get(name) if app is not None else None
            options = leaf.get("options") or {}
            serializer = options.get("serializer") or getattr(task, "serializer", None)
            if serializer is None and app is not None:
                serializer = app.conf.task_serializer
            self.arguments(name, serializer or "json", leaf.get("args"), leaf.get("kwargs"))

    # --- transactions --------------------------------------------------------------------

    def transaction(self, name: str) -> None:
        if not self.transactions:
            return
        inherited = _INHERITED.get()
        for alias, blocks in _open_blocks():
            own = [block for block in blocks if id(block) not in inherited]
            if own:
                _fail(
                    "CEL201",
                    f"CEL201 {name}: sent inside an open transaction (an atomic block on database "
                    f"`{alias}`): the worker may run it before the commit, or after a rollback; send it "
                    "on commit (`delay_on_commit()` or `transaction.on_commit()`)",
                )

    def body(self) -> "contextvars.Token[frozenset]":
        """An eager task's body starts: the transactions open now are the caller's (a worker
        runs it outside them)."""
        blocks = _open_blocks() if self.transactions else []
        return _INHERITED.set(frozenset(id(block) for _, own in blocks for block in own))

    # --- results -------------------------------------------------------------------------

    def stored(self, backend: Any, result: Any, request: Any) -> None:
        name = getattr(request, "task", None)
        task = backend.app._tasks.get(name) if isinstance(name, str) else None
        if task is None or not isinstance(name, str):
            return
        explicit = vars(request) if request is not None and hasattr(request, "__dict__") else {}
        ignore = explicit["ignore_result"] if "ignore_result" in explicit else task.ignore_result
        if ignore:
            return
        serializer = getattr(backend, "serializer", None) or backend.app.conf.result_serializer
        self.value(name, "its return value", result, serializer, result=True)


# --- patching Celery ----------------------------------------------------------------------


def _install(guard: Guard) -> List[Tuple[Any, str, Any]]:
    """Wrap Celery's send paths for one test; returns what to put back."""
    try:
        from celery import canvas
        from celery.app import base as app_base
        from celery.app import task as app_task
        from celery.backends import base as backends
    except ImportError:
        return []
    undo: List[Tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = owner.__dict__.get(name)
        if original is None:
            return
        undo.append((owner, name, original))
        setattr(owner, name, functools.wraps(original)(make(original)))

    def task_apply_async(original: Any) -> Any:
        def apply_async(self, args=None, kwargs=None, *more, **options):
            if _MODE.get() != _SENDING:
                guard.send(self, args, kwargs, options)
                guard.transaction(self.name)
            token = _MODE.set(_SENDING)
            try:
                return original(self, args, kwargs, *more, **options)
            finally:
                _MODE.reset(token)

        return apply_async

    def task_apply(original: Any) -> Any:
        def apply(self, args=None, kwargs=None, *more, **options):
            mode = _MODE.get()
            if mode == _CANVAS:
                guard.send(self, args, kwargs, options)
            token = _MODE.set(None)
            # Sent (eagerly), the body runs in a worker, outside the sender's transactions; a
            # direct `.apply()` runs it here, inside them.
            inherited = guard.body() if mode is not None else None
            try:
                return original(self, args, kwargs, *more, **options)
            finally:
                if inherited is not None:
                    _INHERITED.reset(inherited)
                _MODE.reset(token)

        return apply

    def delay_on_commit(original: Any) -> Any:
        def later(self, *args, **kwargs):
            guard.send(self, args, kwargs, {})
            return original(self, *args, **kwargs)

        return later

    def apply_async_on_commit(original: Any) -> Any:
        def later(self, *args, **kwargs):
            guard.send(self, *_apply_async_arguments(*args, **kwargs))
            return original(self, *args, **kwargs)

        return later

    def canvas_apply_async(original: Any) -> Any:
        def apply_async(self, *args, **kwargs):
            app = _signature_app(self)
            eager = app is not None and app.conf.task_always_eager
            if _MODE.get() != _SENDING:
                guard.transaction(_canvas_name(self))
                if not eager:
                    guard.canvas(self)
            token = _MODE.set(_CANVAS if eager else _SENDING)
            try:
                return original(self, *args, **kwargs)
            finally:
                _MODE.reset(token)

        return apply_async

    def send_task(original: Any) -> Any:
        def send(self, name, args=None, kwargs=None, **options):
            if _MODE.get() != _SENDING:
                task = self._tasks.get(name)  # (not `tasks`: that would finalize the app)
                serializer = options.get("serializer") or getattr(task, "serializer", None) or self.conf.task_serializer
                guard.arguments(name, serializer, args, kwargs)
                guard.transaction(name)
            return original(self, name, args, kwargs, **options)

        return send

    def mark_as_done(original: Any) -> Any:
        def done(self, task_id, result, request=None, *more, **options):
            if not isinstance(self, backends.DisabledBackend):
                guard.stored(self, result, request)
            return original(self, task_id, result, request, *more, **options)

        return done

    patch(app_task.Task, "apply_async", task_apply_async)
    patch(app_task.Task, "apply", task_apply)
    for kind in (canvas._chain, canvas.group, canvas._chord):
        patch(kind, "apply_async", canvas_apply_async)
    patch(app_base.Celery, "send_task", send_task)
    patch(backends.Backend, "mark_as_done", mark_as_done)
    django_task = sys.modules.get("celery.contrib.django.task")  # loaded by Celery's Django fixup
    if django_task is not None:
        patch(django_task.DjangoTask, "delay_on_commit", delay_on_commit)
        patch(django_task.DjangoTask, "apply_async_on_commit", apply_async_on_commit)
    return undo


def _apply_async_arguments(args: Any = None, kwargs: Any = None, *more: Any, **options: Any) -> Tuple[Any, Any, Dict]:
    return args, kwargs, options


def _task_serializer(task: Any, options: Dict[str, Any]) -> str:
    serializer = options.get("serializer") or getattr(task, "serializer", None)
    if not serializer:
        serializer = task._get_app().conf.task_serializer
    return str(serializer)


def _signature_app(signature: Any) -> Any:
    try:
        return signature.app
    except Exception:  # a canvas whose app cannot be found: unchecked
        return None


def _canvas_name(signature: Any) -> str:
    names = [leaf.get("task") for leaf in _leaves(signature) if isinstance(leaf, dict)]
    kind = type(signature).__name__.lstrip("_")
    return f"{kind}({', '.join(str(name) for name in names if name)})"


def _leaves(signature: Any, depth: int = 0) -> Iterator[Dict[str, Any]]:
    """The task signatures of a canvas (chains, groups and chords, nested)."""
    if depth > 50 or not isinstance(signature, dict):
        return
    kind = signature.get("subtask_type")
    arguments = signature.get("kwargs") or {}
    if kind == "chord":
        parts: Tuple[Any, ...] = (arguments.get("header"), arguments.get("body"))
    elif kind in ("chain", "group"):
        parts = (arguments.get("tasks"),)
    else:
        if isinstance(signature.get("task"), str):
            yield signature
        return
    for part in parts:
        for item in part if isinstance(part, (list, tuple)) else (part,):
            yield from _leaves(item, depth + 1)


# --- values --------------------------------------------------------------------------------


def _offence(value: Any, serializer: str, result: bool) -> Optional[Tuple[str, str]]:
    """The code and the text ("is a ... (why); fix") of a value a task must not be sent or
    return, or None."""
    rows = _rows(value)
    if result and (rows is None or serializer == "pickle"):
        # CEL105 is about rows under a serializer that cannot carry them; other values a
        # result serializer cannot encode have no code of their own yet.
        return None
    # Pickling a QuerySet runs it: rows are not pickled here (pickle carries them).
    failure = None if rows is not None and serializer == "pickle" else _encode_failure(value, serializer)
    if failure is _UNDECIDABLE:
        return None
    if rows is not None:
        kind, label, nested = rows
        if kind == "instance" and not nested:
            code, what = "CEL101", f"is a `{label}` instance"
            fix = "its primary key" if result else "its primary key and fetch it inside the task"
        elif kind == "instance":
            code, what = "CEL103", f"is a `{_type_name(value)}` holding `{label}` instances"
            fix = "their primary keys" if result else "their primary keys and fetch them inside the task"
        else:
            held = f"a {kind} of `{label}`"
            code = "CEL102"
            what = f"is a `{_type_name(value)}` holding {held}" if nested else f"is {held}"
            fix = "a list of primary keys" if result else "a list of primary keys and fetch the rows inside the task"
        if failure is None:
            rows_text = "the row as it was" if kind == "instance" and not nested else "the rows as they were"
            how = "pickled, it is" if serializer == "pickle" else f"the `{serializer}` serializer sends"
            why = f"{how} a snapshot of {rows_text} when it was sent"
        else:
            why = str(failure)
        if result:
            return "CEL105", f"{what}, which the result backend stores ({why}); return {fix}"
        return code, f"{what} ({why}); pass {fix}"
    if failure is None:
        return None
    kind_name = _type_name(value)
    if kind_name in ("set", "frozenset"):
        fix = "a list"
    else:
        fix = f"a value the `{serializer}` serializer can carry (a primary key, a string, plain lists and dicts)"
    return "CEL104", f"is a `{kind_name}` ({failure}); pass {fix}"


class _Undecidable:
    pass


_UNDECIDABLE = _Undecidable()
_NOT_JSON = re.compile(r"Object of type '?(\w+)'? is not JSON serializable")


def _encode_failure(value: Any, serializer: str) -> Any:
    """None if the serializer encodes the value; else why not (text); `_UNDECIDABLE` when the
    serializer is not installed."""
    from kombu.exceptions import EncodeError
    from kombu.serialization import SerializerNotInstalled, dumps

    try:
        dumps(value, serializer)
    except SerializerNotInstalled:
        return _UNDECIDABLE
    except EncodeError as error:
        text = str(error.__cause__ or error) or type(error.__cause__ or error).__name__
        match = _NOT_JSON.search(text)
        if match:
            return f"`{match.group(1)}` is not JSON serializable"
        if len(text) > 200:
            text = text[:197] + "..."
        return f"the `{serializer}` serializer fails: {text}"
    except Exception:  # an encoder registered by the project that fails oddly: unchecked
        return _UNDECIDABLE
    return None


def _rows(value: Any) -> Optional[Tuple[str, str, bool]]:
    """("instance" | "QuerySet" | "manager", the model's label, inside a container) for a value
    that is or holds rows; None otherwise (and always when Django is not loaded)."""
    models = sys.modules.get("django.db.models")
    if models is None:
        return None
    kinds = ((models.Model, "instance"), (models.QuerySet, "QuerySet"), (models.manager.BaseManager, "manager"))
    found: Optional[Tuple[str, str, bool]] = None
    seen = set()
    stack: List[Tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop(0)
        if id(item) in seen or depth > 20:
            continue
        seen.add(id(item))
        for base, kind in kinds:
            if isinstance(item, base):
                model = item if kind == "instance" else getattr(item, "model", None)
                meta = getattr(model, "_meta", None)
                label = getattr(meta, "label", None) or type(item).__name__
                candidate = (kind, label, depth > 0)
                if kind == "instance":
                    return candidate if found is None or found[0] != "instance" else found
                found = found or candidate
                break
        else:
            if isinstance(item, dict):
                stack.extend((child, depth + 1) for pair in item.items() for child in pair)
            elif isinstance(item, (list, tuple, set, frozenset)):
                stack.extend((child, depth + 1) for child in item)
    return found


def _type_name(value: Any) -> str:
    kind = type(value)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def _open_blocks() -> List[Tuple[str, List[Any]]]:
    """Per initialised database connection, the atomic blocks the code under test opened (not
    those of `TestCase`). Empty when Django is not loaded or not configured."""
    db = sys.modules.get("django.db")
    if db is None:
        return []
    try:
        try:
            connections = db.connections.all(initialized_only=True)
        except TypeError:  # Django < 4.1
            connections = db.connections.all()
        found = []
        for connection in connections:
            if not connection.in_atomic_block:
                continue
            blocks = getattr(connection, "atomic_blocks", None)
            if blocks is None:  # undecidable: no record of who opened the blocks
                continue
            own = [block for block in blocks if not getattr(block, "_from_testcase", False)]
            if own:
                found.append((connection.alias, own))
        return found
    except Exception:  # settings not configured, or a backend without these attributes
        return []


def _fail(code: str, message: str) -> None:
    from pkify.api import RULES  # only when a test fails

    rule = RULES.get(code)
    note = f"\n(pkify guard: {rule.summary}; `pkify rule {code}` explains it)" if rule is not None else ""
    pytest.fail(message + note)
