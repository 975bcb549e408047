"""The project index: every module's summary, and what they declare once names are resolved:
models (fields, managers, reverse accessors), tasks, views, forms, serializers, admins and
signal receivers.

Built once per run from all Python files under the project root, so that a task defined in
`tasks.py` is understood when `views.py` alone is checked. Facts are computed lazily and
memoised; nothing here parses source code.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from . import frameworks as fw
from .settings import Settings
from .summary import ClassSummary, Expr, FunctionSummary, ModuleSummary, Param


@dataclass(frozen=True)
class Symbol:
    """What a name refers to. `external` symbols are outside the project (Django, Celery, ...)."""

    kind: str  # "module", "class", "function", "assignment", "external"
    qualname: str
    module: Optional[ModuleSummary] = field(default=None, compare=False)
    node: object = field(default=None, compare=False)  # ClassSummary / FunctionSummary / Expr


@dataclass(frozen=True)
class Relation:
    kind: str  # "fk" (an instance), "m2m" (a related manager), "gfk" (an instance of any model)
    target: Optional[str]  # model qualname, None when unknown


@dataclass(frozen=True)
class Manager:
    manager_class: Optional[str]  # project manager class qualname
    queryset_class: Optional[str]  # project queryset class qualname


@dataclass
class Model:
    qualname: str
    name: str
    label: str  # "app_label.Name", as Django spells it
    abstract: bool
    fields: Dict[str, Relation]  # relation fields only, inherited ones included
    scalars: frozenset  # names of other fields declared
    managers: Dict[str, Manager]
    constants: frozenset  # class attributes bound to literals (STATUS_PAID = "p")
    custom_pk: bool = False  # a field declared `primary_key=True` (a UUID, a code...)


@dataclass(frozen=True)
class Task:
    qualname: str  # function or Task class
    name: str  # the name it is registered under
    params: Tuple[Param, ...]  # without the bound `self`
    bound: bool
    module: ModuleSummary = field(compare=False)
    function: Optional[FunctionSummary] = field(compare=False)
    class_based: bool = False  # a `Task` subclass: calling the class gives the task
    base: Optional[str] = None  # the `base=` task class of the decorator, qualified


def _last(qualname: str) -> str:
    return qualname.rsplit(".", 1)[-1]


class ProjectIndex:
    def __init__(self, root: Path, summaries: Iterable[ModuleSummary], settings: Settings) -> None:
        self.root = root
        self.settings = settings
        self.by_path: Dict[str, ModuleSummary] = {}
        self.by_name: Dict[str, List[ModuleSummary]] = {}
        for summary in summaries:
            self.by_path[summary.path] = summary
            self.by_name.setdefault(summary.name, []).append(summary)
        self._clear_caches()

    def include(self, summary: ModuleSummary) -> None:
        """Add a module that the walk from the root did not find."""
        self.by_path[summary.path] = summary
        self.by_name.setdefault(summary.name, []).append(summary)
        self._clear_caches()

    def _clear_caches(self) -> None:
        for name in (
            "_models", "_reverse", "_tasks", "_tasks_by_name", "_receivers", "_admins", "_admin_actions", "user_model"
        ):
            self.__dict__.pop(name, None)
        self._ancestry: Dict[str, Tuple[str, ...]] = {}
        self._model_cache: Dict[str, Optional[Model]] = {}

    # --- names -----------------------------------------------------------------------------------

    def find_module(self, name: str, near: Optional[ModuleSummary] = None) -> Optional[ModuleSummary]:
        """A project module by dotted name; among same-named modules (several projects under one
        root, a `src/` layout) the one closest to `near`."""
        candidates = self.by_name.get(name)
        if not candidates:
            return None
        if len(candidates) == 1 or near is None:
            return candidates[0]
        here = Path(near.path).parts
        return max(candidates, key=lambda m: _common_prefix(Path(m.path).parts, here))

    def absolute(self, module: ModuleSummary, target: str) -> str:
        """An import target made absolute (`..models.Order` from `shop.views.cart`)."""
        level = len(target) - len(target.lstrip("."))
        if not level:
            return target
        package = module.name if module.is_package else module.name.rpartition(".")[0]
        parts = package.split(".") if package else []
        if level - 1:
            parts = parts[: -(level - 1)] if level - 1 <= len(parts) else []
        rest = target[level:]
        return ".".join([*parts, rest] if rest else parts)

    def resolve(self, module: ModuleSummary, dotted: str, _depth: int = 0) -> Optional[Symbol]:
        """What a dotted name written in `module` refers to."""
        if _depth > 20:
            return None
        first, *rest = dotted.split(".")
        symbol = self.lookup(module, first, _depth)
        for part in rest:
            if symbol is None:
                return None
            symbol = self.member(symbol, part, _depth)
        return symbol

    def lookup(self, module: ModuleSummary, name: str, _depth: int = 0) -> Optional[Symbol]:
        """A module-level name of `module`."""
        if name in module.classes:
            return Symbol("class", f"{module.name}.{name}", module, module.classes[name])
        if name in module.functions:
            return Symbol("function", f"{module.name}.{name}", module, module.functions[name])
        if name in module.imports:
            return self.resolve_qualname(self.absolute(module, module.imports[name]), module, _depth + 1)
        if name in module.assignments:
            return Symbol("assignment", f"{module.name}.{name}", module, module.assignments[name])
        for star in module.star_imports:
            target = self.find_module(self.absolute(module, star), module)
            if target is not None and target is not module:
                found = self.lookup(target, name, _depth + 1) if _depth < 20 else None
                if found is not None:
                    return found
        if module.is_package:
            sub = self.find_module(f"{module.name}.{name}", module)
            if sub is not None:
                return Symbol("module", sub.name, sub)
        return Symbol("external", name) if name in _BUILTIN_NAMES else None

    def resolve_qualname(
        self, qualname: str, near: Optional[ModuleSummary] = None, _depth: int = 0
    ) -> Optional[Symbol]:
        parts = qualname.split(".")
        for cut in range(len(parts), 0, -1):
            module = self.find_module(".".join(parts[:cut]), near)
            if module is not None:
                symbol: Optional[Symbol] = Symbol("module", module.name, module)
                for part in parts[cut:]:
                    if symbol is None:
                        return None
                    symbol = self.member(symbol, part, _depth + 1)
                return symbol
        return Symbol("external", qualname)

    def member(self, symbol: Symbol, name: str, _depth: int = 0) -> Optional[Symbol]:
        if _depth > 20:
            return None
        if symbol.kind == "external":
            return Symbol("external", f"{symbol.qualname}.{name}")
        if symbol.kind == "module":
            module = symbol.module
            return self.lookup(module, name, _depth + 1)
        if symbol.kind == "class":
            cls: ClassSummary = symbol.node
            module = symbol.module
            if name in cls.methods:
                return Symbol("function", f"{symbol.qualname}.{name}", module, cls.methods[name])
            nested = f"{cls.qualname}.{name}"
            if nested in module.classes:
                return Symbol("class", f"{module.name}.{nested}", module, module.classes[nested])
            if name in cls.attributes:
                return Symbol("assignment", f"{symbol.qualname}.{name}", module, cls.attributes[name])
            return None
        if symbol.kind == "assignment":
            target = self.expr_symbol(symbol.module, symbol.node, _depth + 1)
            if target is not None and target.kind != "assignment":
                return self.member(target, name, _depth + 1)
            if self.is_celery_app(symbol) and name == "Task":
                return Symbol("external", "celery.Task")
        return None

    def expr_symbol(self, module: ModuleSummary, expr: Expr, _depth: int = 0) -> Optional[Symbol]:
        """The symbol an expression names, following `alias = other` assignments."""
        if expr is None or expr[0] != "ref" or _depth > 20:
            return None
        symbol = self.resolve(module, expr[1], _depth + 1)
        seen = 0
        while symbol is not None and symbol.kind == "assignment" and symbol.node[0] == "ref" and seen < 10:
            symbol = self.resolve(symbol.module, symbol.node[1], _depth + 1)
            seen += 1
        return symbol

    def expr_qualname(self, module: ModuleSummary, expr: Expr) -> Optional[str]:
        symbol = self.expr_symbol(module, expr)
        return symbol.qualname if symbol is not None else None

    # --- classes ---------------------------------------------------------------------------------

    def base_symbols(self, symbol: Symbol) -> List[Symbol]:
        result = []
        for base in symbol.node.bases:
            if base[0] == "call":  # `Manager.from_queryset(QS)` as a base
                base = base[1]
                if base[0] == "ref" and base[1].endswith(".from_queryset"):
                    base = ("ref", base[1][: -len(".from_queryset")])
            if base[0] == "sub":  # Generic[T], QuerySet[Model]
                base = base[1]
            resolved = self.expr_symbol(symbol.module, base)
            if resolved is not None and resolved.kind in ("class", "external"):
                result.append(resolved)
        return result

    def ancestry(self, qualname: str) -> Tuple[str, ...]:
        """The qualified names of a class and all its ancestors, project and external."""
        if qualname in self._ancestry:
            return self._ancestry[qualname]
        seen: List[str] = []
        stack = [qualname]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.append(current)
            symbol = self.resolve_qualname(current)
            if symbol is not None and symbol.kind == "class":
                stack.extend(reversed([b.qualname for b in self.base_symbols(symbol)]))
        self._ancestry[qualname] = tuple(seen)
        return self._ancestry[qualname]

    def _external_model_base(self, qualname: str) -> bool:
        """Third-party bases from a `*.models` module count as models (`TimeStampedModel`,
        `MPTTModel`, `PolymorphicModel`, wagtail's `Page`)."""
        if qualname in fw.MODEL_ROOTS or qualname in fw.BUILTIN_MODELS:
            return True
        if self._configured(qualname, self.settings.model_bases):
            return True
        module, _, name = qualname.rpartition(".")
        if not module or module.split(".")[0] == "django" or not name[:1].isupper():
            return False
        if name.endswith(fw.NOT_MODEL_SUFFIXES):
            return False
        return "models" in module.split(".")

    @staticmethod
    def _configured(qualname: str, names: Tuple[str, ...]) -> bool:
        return any(qualname == n or qualname.endswith("." + n) for n in names)

    def has_ancestor(self, qualname: str, roots: Iterable[str]) -> bool:
        roots = frozenset(roots)
        return any(a in roots for a in self.ancestry(qualname))

    def is_model_class(self, qualname: str) -> bool:
        if qualname in fw.BUILTIN_MODELS:
            return True
        symbol = self.resolve_qualname(qualname)
        if symbol is None or symbol.kind != "class":
            return False
        return any(self._external_model_base(a) for a in self.ancestry(qualname) if self._is_external(a))

    # --- models ----------------------------------------------------------------------------------

    @functools.cached_property
    def _models(self) -> Dict[str, ClassSummary]:
        """Every project model class, by qualified name."""
        models = {}
        for module in self.by_path.values():
            for qualname, cls in module.classes.items():
                full = f"{module.name}.{qualname}"
                if cls.bases and self.is_model_class(full):
                    models[full] = cls
        return models

    def models(self) -> Dict[str, ClassSummary]:
        return self._models

    def app_label(self, qualname: str) -> str:
        cls = self._models.get(qualname)
        if cls is not None and isinstance(cls_meta(cls, "app_label"), str):
            return cls_meta(cls, "app_label")
        parts = qualname.split(".")[:-1]
        if "models" in parts:
            i = len(parts) - 1 - parts[::-1].index("models")
            if i > 0:
                return parts[i - 1]
        return parts[-2] if len(parts) > 1 else parts[0] if parts else ""

    def label(self, qualname: str) -> str:
        if qualname in fw.BUILTIN_LABELS:
            return fw.BUILTIN_LABELS[qualname]
        return f"{self.app_label(qualname)}.{_last(qualname)}"

    def model_by_label(self, label: str, near: Optional[str] = None) -> Optional[str]:
        """A model named by a string: "app.Model", "Model" (same app, else unique) or "self"."""
        if label == "self":
            return near
        for builtin, builtin_label in fw.BUILTIN_LABELS.items():
            if builtin_label.lower() == label.lower():
                return builtin
        app, _, name = label.rpartition(".")
        named = [q for q in self._models if _last(q) == name]
        if app:
            exact = [q for q in named if self.app_label(q) == app]
            if len(exact) == 1:
                return exact[0]
        elif near is not None:
            same_app = [q for q in named if self.app_label(q) == self.app_label(near)]
            if len(same_app) == 1:
                return same_app[0]
        return named[0] if len(named) == 1 else None

    @functools.cached_property
    def user_model(self) -> str:
        labels = {
            m.assignments["AUTH_USER_MODEL"][1]
            for m in self.by_path.values()
            if m.assignments.get("AUTH_USER_MODEL", ("?",))[0] == "str"
        }
        if len(labels) == 1:
            found = self.model_by_label(labels.pop())
            if found:
                return found
        return fw.DEFAULT_USER_MODEL

    def relation_target(self, module: ModuleSummary, expr: Optional[Expr], owner: str) -> Optional[str]:
        if expr is None:
            return None
        if expr[0] == "str":
            return self.model_by_label(expr[1], owner)
        qualname = self.expr_qualname(module, expr)
        if qualname is None:
            return None
        if qualname in fw.AUTH_USER_MODEL_SETTING or qualname.endswith("settings.AUTH_USER_MODEL"):
            return self.user_model
        return qualname if self.is_model_class(qualname) else None

    def _classify_field(self, module: ModuleSummary, expr: Expr, owner: str):
        """("relation", Relation, related_name) / ("manager", Manager) / ("scalar",) / None."""
        if expr[0] != "call":
            return None
        func, args, kwargs = expr[1], expr[2], dict(expr[3])
        # Managers built from querysets: QS.as_manager(), Manager.from_queryset(QS)()
        if func[0] == "ref" and func[1].endswith(".as_manager"):
            qs = self.expr_qualname(module, ("ref", func[1][: -len(".as_manager")]))
            return ("manager", Manager(None, self._project_class(qs)))
        if func[0] == "call" and func[1][0] == "ref" and func[1][1].endswith(".from_queryset"):
            manager = self.expr_qualname(module, ("ref", func[1][1][: -len(".from_queryset")]))
            qs = self.expr_qualname(module, func[2][0]) if func[2] else None
            return ("manager", Manager(self._project_class(manager), self._project_class(qs)))
        if func[0] != "ref":
            return None
        qualname = self.expr_qualname(module, func) or func[1]
        name = _last(qualname)
        if name in fw.FOREIGN_KEY_FIELDS or name in fw.MANY_TO_MANY_FIELDS or qualname in fw.GENERIC_RELATION:
            target = args[0] if args else kwargs.get("to")
            kind = "m2m" if name in fw.MANY_TO_MANY_FIELDS or qualname in fw.GENERIC_RELATION else "fk"
            one_to_one = name.endswith("OneToOneField")
            related = kwargs.get("related_name")
            related_name = related[1] if related and related[0] == "str" else None
            if qualname in fw.GENERIC_RELATION:
                related_name = "+"
            relation = Relation(kind, self.relation_target(module, target, owner))
            return ("relation", relation, related_name, one_to_one)
        if qualname in fw.GENERIC_FOREIGN_KEY:
            return ("relation", Relation("gfk", None), "+", False)
        if self._is_manager_class(qualname):
            project = self._project_class(qualname)
            return ("manager", Manager(project, self._manager_queryset(project)))
        if name.endswith("Field"):
            return ("scalar",)
        return None

    def _project_class(self, qualname: Optional[str]) -> Optional[str]:
        if qualname is None:
            return None
        symbol = self.resolve_qualname(qualname)
        return qualname if symbol is not None and symbol.kind == "class" else None

    def _is_manager_class(self, qualname: str) -> bool:
        if qualname in fw.MANAGER_ROOTS or self.has_ancestor(qualname, fw.MANAGER_ROOTS):
            return True
        # Third-party managers pkify cannot see (`InheritanceManager`, `TreeManager`, ...).
        return any(
            _last(a).endswith("Manager") and self._is_external(a) for a in self.ancestry(qualname)
        )

    def _is_external(self, qualname: str) -> bool:
        symbol = self.resolve_qualname(qualname)
        return symbol is not None and symbol.kind == "external"

    def is_queryset_class(self, qualname: str) -> bool:
        return self.has_ancestor(qualname, fw.QUERYSET_ROOTS)

    def _manager_queryset(self, manager: Optional[str]) -> Optional[str]:
        """The queryset class of a manager class defined as `Manager.from_queryset(QS)`."""
        if manager is None:
            return None
        for ancestor in self.ancestry(manager):
            symbol = self.resolve_qualname(ancestor)
            if symbol is None or symbol.kind != "class":
                continue
            for base in symbol.node.bases:
                if base[0] == "call" and base[1][0] == "ref" and base[1][1].endswith(".from_queryset"):
                    if base[2]:
                        return self._project_class(self.expr_qualname(symbol.module, base[2][0]))
        return None

    def model(self, qualname: str) -> Optional[Model]:
        """Everything pkify knows of one model, inherited fields and managers included."""
        if qualname not in self._model_cache:
            self._model_cache[qualname] = self._build_model(qualname)
        return self._model_cache[qualname]

    def _build_model(self, qualname: str) -> Optional[Model]:
        if qualname in fw.BUILTIN_MODELS:
            fields = {
                name: Relation(kind, self.user_model if target == "<user>" else target)
                for name, (kind, target) in fw.BUILTIN_MODELS[qualname].items()
            }
            fields.update(self._reverse.get(qualname, {}))
            managers = {"objects": Manager(None, None)}
            return Model(qualname, _last(qualname), self.label(qualname), False, fields, frozenset(), managers, frozenset())
        if qualname not in self._models:
            return None
        fields: Dict[str, Relation] = {}
        scalars: set = set()
        managers: Dict[str, Manager] = {}
        constants: set = set()
        abstract = False
        custom_pk = False
        # Walk ancestors from the most distant, so that nearer declarations override.
        for ancestor in reversed(self.ancestry(qualname)):
            for name, (kind, target) in fw.BUILTIN_BASE_FIELDS.get(ancestor, {}).items():
                fields[name] = Relation(kind, target)
            cls = self._models.get(ancestor)
            if cls is None:
                continue
            symbol = self.resolve_qualname(ancestor)
            for name, expr in cls.attributes.items():
                kind = self._classify_field(symbol.module, expr, ancestor)
                if kind is None:
                    if expr[0] in ("str", "const"):
                        constants.add(name)
                    continue
                if kind[0] == "relation":
                    fields[name] = kind[1]
                elif kind[0] == "manager":
                    managers[name] = kind[1]
                else:
                    scalars.add(name)
                if ("primary_key", ("const", True)) in expr[3]:
                    custom_pk = True
            if ancestor == qualname:
                abstract = cls_meta(cls, "abstract") is True
        if cls_meta(self._models[qualname], "proxy") is not True:
            for parent in self._concrete_parents(qualname):  # multi-table inheritance
                fields.setdefault(f"{_last(parent).lower()}_ptr", Relation("fk", parent))
        if not managers:
            managers["objects"] = Manager(None, None)
        for name in ("_default_manager", "_base_manager"):
            managers[name] = next(iter(managers.values()))
        fields.update({k: v for k, v in self._reverse.get(qualname, {}).items() if k not in fields})
        return Model(
            qualname,
            _last(qualname),
            self.label(qualname),
            abstract,
            fields,
            frozenset(scalars),
            managers,
            frozenset(constants),
            custom_pk,
        )

    def _concrete_parents(self, qualname: str) -> List[str]:
        """The project models a concrete model inherits from with a table of their own."""
        return [
            a
            for a in self.ancestry(qualname)[1:]
            if a in self._models and cls_meta(self._models[a], "abstract") is not True
        ]

    @functools.cached_property
    def _reverse(self) -> Dict[str, Dict[str, Relation]]:
        """Reverse accessors: target model -> {accessor: relation back to the source model}."""
        reverse: Dict[str, Dict[str, Relation]] = {}
        for qualname, cls in self._models.items():
            if cls_meta(cls, "abstract") is True:
                continue
            if cls_meta(cls, "proxy") is not True:
                for parent in self._concrete_parents(qualname):  # `article.featuredarticle`
                    reverse.setdefault(parent, {})[_last(qualname).lower()] = Relation("fk", qualname)
            for ancestor in self.ancestry(qualname):
                owner = self._models.get(ancestor)
                if owner is None:
                    continue
                symbol = self.resolve_qualname(ancestor)
                for expr in owner.attributes.values():
                    kind = self._classify_field(symbol.module, expr, qualname)
                    if kind is None or kind[0] != "relation" or kind[1].target is None:
                        continue
                    relation, related_name, one_to_one = kind[1], kind[2], kind[3]
                    lower = _last(qualname).lower()
                    if related_name is None:
                        accessor = lower if one_to_one else f"{lower}_set"
                    elif related_name.endswith("+"):
                        continue
                    else:
                        accessor = related_name.replace("%(class)s", lower).replace(
                            "%(app_label)s", self.app_label(qualname).lower()
                        )
                    back = Relation("fk" if one_to_one else "m2m", qualname)
                    reverse.setdefault(relation.target, {})[accessor] = back
        return reverse

    # --- tasks -----------------------------------------------------------------------------------

    def is_celery_app(self, symbol: Optional[Symbol]) -> bool:
        if symbol is None:
            return False
        if symbol.kind == "external":
            return symbol.qualname in fw.CELERY_CURRENT_APP
        if symbol.kind == "assignment" and symbol.node[0] == "call" and symbol.node[1][0] == "ref":
            cls = self.expr_qualname(symbol.module, symbol.node[1])
            return cls is not None and (
                cls in fw.CELERY_APP_CLASSES or self.has_ancestor(cls, fw.CELERY_APP_CLASSES)
            )
        return False

    def task_decorator(self, module: ModuleSummary, decorator: Expr) -> Optional[dict]:
        """The keyword arguments of a decorator that makes a task (`{}` when bare), else None."""
        kwargs: dict = {}
        if decorator[0] == "call":
            kwargs = dict(decorator[3])
            decorator = decorator[1]
        if decorator[0] != "ref":
            return None
        symbol = self.expr_symbol(module, decorator)
        if symbol is not None and symbol.kind == "external" and symbol.qualname in fw.TASK_DECORATORS:
            return kwargs
        if symbol is not None and self._configured(symbol.qualname, self.settings.task_decorators):
            return kwargs
        if decorator[1] in self.settings.task_decorators:
            return kwargs
        owner, _, attribute = decorator[1].rpartition(".")
        if owner and attribute == "task":
            app = self.expr_symbol(module, ("ref", owner))
            if self.is_celery_app(app):
                return kwargs
            if app is not None and app.kind == "external" and "celery" in app.qualname.lower().split("."):
                return kwargs
        return None

    @functools.cached_property
    def _tasks(self) -> Dict[str, Task]:
        tasks: Dict[str, Task] = {}
        for module in self.by_path.values():
            functions = [(f"{module.name}.{f.qualname}", f) for f in module.functions.values()]
            for cls in module.classes.values():
                functions.extend((f"{module.name}.{m.qualname}", m) for m in cls.methods.values())
            for qualname, function in functions:
                for decorator in function.decorators:
                    kwargs = self.task_decorator(module, decorator)
                    if kwargs is not None:
                        task = self._function_task(module, qualname, function, kwargs)
                        if "base" in kwargs:
                            task = replace(task, base=self.expr_qualname(module, kwargs["base"]))
                        tasks[qualname] = task
                        break
            for qualname, cls in module.classes.items():
                full = f"{module.name}.{qualname}"
                if "run" in cls.methods and cls.bases and self.has_ancestor(full, fw.TASK_CLASSES):
                    run = cls.methods["run"]
                    name = cls.attributes.get("name", ("?",))
                    tasks[full] = Task(
                        full,
                        name[1] if name[0] == "str" else full,
                        run.params[1:],
                        True,
                        module,
                        run,
                        class_based=True,
                    )
        return tasks

    @staticmethod
    def _function_task(module: ModuleSummary, qualname: str, function: FunctionSummary, kwargs: dict) -> Task:
        bound = kwargs.get("bind") == ("const", True)
        name = kwargs.get("name", ("?",))
        params = function.params[1:] if bound and function.params else function.params
        registered = name[1] if name[0] == "str" else qualname
        return Task(qualname, registered, params, bound, module, function)

    def task(self, qualname: str) -> Optional[Task]:
        return self._tasks.get(qualname)

    def tasks(self) -> Dict[str, Task]:
        return self._tasks

    def calling_convention(self, task: Task) -> Optional[str]:
        """The project task class that changes the arguments on their way to the task: it
        overrides `__call__`, `apply_async` or `delay` and edits its `*args`/`**kwargs` (as
        pretix's EventTask turns an event id into an Event). None when there is none."""
        owner = task.base or (task.qualname if task.class_based else None)
        for ancestor in self.ancestry(owner) if owner else ():
            symbol = self.resolve_qualname(ancestor)
            if symbol is None or symbol.kind != "class":
                continue
            for name in ("__call__", "apply_async", "delay"):
                method = symbol.node.methods.get(name)
                if method is not None and method.changes_arguments:
                    return ancestor
        return None

    @functools.cached_property
    def _tasks_by_name(self) -> Dict[str, Task]:
        return {task.name: task for task in self._tasks.values()}

    def task_named(self, name: str) -> Optional[Task]:
        return self._tasks_by_name.get(name)

    def is_plain_function(self, symbol: Symbol) -> bool:
        """A project function known not to be a task: no decorators, or only ones that keep a
        function a function."""
        function: FunctionSummary = symbol.node
        for decorator in function.decorators:
            core = decorator[1] if decorator[0] == "call" else decorator
            resolved = self.expr_qualname(symbol.module, core)
            if resolved not in fw.TRANSPARENT_DECORATORS:
                return False
        return True

    # --- signal receivers and admins -------------------------------------------------------------

    @functools.cached_property
    def _receivers(self) -> Dict[str, Tuple[str, Optional[str]]]:
        """Receiver function -> (signal qualname, sender model or None)."""
        receivers: Dict[str, Tuple[str, Optional[str]]] = {}
        signals = fw.INSTANCE_SIGNALS | fw.M2M_CHANGED | fw.USER_SIGNALS
        for module in self.by_path.values():
            for function in module.functions.values():
                for decorator in function.decorators:
                    if decorator[0] != "call" or self.expr_qualname(module, decorator[1]) not in fw.RECEIVER_DECORATORS:
                        continue
                    kwargs = dict(decorator[3])
                    signal_exprs = decorator[2][:1] or [kwargs.get("signal", ("?",))]
                    if signal_exprs and signal_exprs[0][0] == "seq":
                        signal_exprs = signal_exprs[0][1]
                    for signal_expr in signal_exprs:
                        signal = self.expr_qualname(module, signal_expr)
                        if signal in signals:
                            sender = self.relation_target(module, kwargs.get("sender"), "")
                            receivers[f"{module.name}.{function.qualname}"] = (signal, sender)
            for signal_expr, receiver_expr, sender_expr in module.connections:
                signal = self.expr_qualname(module, signal_expr)
                if signal not in signals:
                    continue
                receiver = self.expr_symbol(module, receiver_expr)
                if receiver is not None and receiver.kind == "function":
                    sender = self.relation_target(module, sender_expr, "")
                    receivers[receiver.qualname] = (signal, sender)
        return receivers

    def receiver(self, function_qualname: str) -> Optional[Tuple[str, Optional[str]]]:
        return self._receivers.get(function_qualname)

    @functools.cached_property
    def _admins(self) -> Dict[str, Optional[str]]:
        """ModelAdmin class -> the model it is registered for."""
        admins: Dict[str, Optional[str]] = {}
        for module in self.by_path.values():
            for qualname, cls in module.classes.items():
                for decorator in cls.decorators:
                    if decorator[0] == "call" and self.expr_qualname(module, decorator[1]) in fw.ADMIN_REGISTER:
                        if decorator[2]:
                            admins[f"{module.name}.{qualname}"] = self.relation_target(module, decorator[2][0], "")
            for func, models_expr, admin_expr in module.registrations:
                if admin_expr is None or self.expr_qualname(module, func) not in fw.ADMIN_SITE_REGISTER:
                    continue
                admin = self.expr_qualname(module, admin_expr)
                if admin is not None:
                    first = models_expr[1][0] if models_expr[0] == "seq" and models_expr[1] else models_expr
                    admins[admin] = self.relation_target(module, first, "")
        return admins

    @functools.cached_property
    def _admin_actions(self) -> Dict[str, Optional[str]]:
        """Module-level functions listed in a ModelAdmin's `actions` -> the admin's model."""
        actions: Dict[str, Optional[str]] = {}
        for module in self.by_path.values():
            for qualname, cls in module.classes.items():
                listed = cls.attributes.get("actions")
                if not listed or listed[0] != "seq":
                    continue
                full = f"{module.name}.{qualname}"
                if not self.has_ancestor(full, fw.MODEL_ADMINS):
                    continue
                for item in listed[1]:
                    function = self.expr_symbol(module, item)
                    if function is not None and function.kind == "function":
                        actions[function.qualname] = self.admin_model(full)
        return actions

    def admin_action(self, function_qualname: str) -> Optional[str]:
        """The model of a module-level admin action listed in `actions`, "" when unknown, None
        when the function is not one."""
        if function_qualname not in self._admin_actions:
            return None
        return self._admin_actions[function_qualname] or ""

    def admin_model(self, qualname: str) -> Optional[str]:
        for ancestor in self.ancestry(qualname):
            if self._admins.get(ancestor):
                return self._admins[ancestor]
        return None

    # --- class attributes used by views, forms and serializers -----------------------------------

    def class_attribute(self, qualname: str, name: str) -> Optional[Tuple[ModuleSummary, Expr]]:
        for ancestor in self.ancestry(qualname):
            symbol = self.resolve_qualname(ancestor)
            if symbol is not None and symbol.kind == "class" and name in symbol.node.attributes:
                return symbol.module, symbol.node.attributes[name]
        return None

    def meta_model(self, qualname: str) -> Optional[str]:
        """`Meta.model` of a ModelForm or ModelSerializer."""
        for ancestor in self.ancestry(qualname):
            symbol = self.resolve_qualname(ancestor)
            if symbol is not None and symbol.kind == "class" and "model" in symbol.node.meta:
                return self.relation_target(symbol.module, symbol.node.meta["model"], "")
        return None

    def view_model(self, qualname: str) -> Optional[str]:
        """The model of a generic view, from its `model` or `queryset` attribute."""
        found = self.class_attribute(qualname, "model")
        if found is not None:
            return self.relation_target(found[0], found[1], "")
        found = self.class_attribute(qualname, "queryset")
        if found is not None:
            module, expr = found
            while expr[0] in ("call", "attr"):
                expr = expr[1]
            if expr[0] == "ref":
                parts = expr[1].split(".")
                for cut in range(len(parts), 0, -1):
                    target = self.relation_target(module, ("ref", ".".join(parts[:cut])), "")
                    if target:
                        return target
        return None

    # --- annotations -----------------------------------------------------------------------------

    def annotation(self, module: ModuleSummary, text: Optional[str]) -> Optional[Tuple[str, Optional[str]]]:
        """What an annotation says: ("instance", model), ("queryset", model or None),
        ("instances", model) for collections of instances, ("object", class) for an instance of
        another project class, or None."""
        node = _parse_annotation(text) if text else None
        return self._annotation(module, node, 0) if node is not None else None

    def _annotation(self, module: ModuleSummary, node: ast.AST, depth: int):
        if depth > 5:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return self.annotation(module, node.value) if depth < 5 else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            sides = [s for s in (node.left, node.right) if not _is_none(s)]
            return self._annotation(module, sides[0], depth + 1) if len(sides) == 1 else None
        if isinstance(node, (ast.Name, ast.Attribute)):
            symbol = self.expr_symbol(module, _ast_ref(node))
            if symbol is not None and symbol.kind == "assignment" and symbol.node[0] == "annotation":
                return self.annotation(symbol.module, symbol.node[1]) if depth < 5 else None  # an alias
            qualname = symbol.qualname if symbol is not None else None
            if qualname is None:
                return None
            if self.is_model_class(qualname):
                return ("instance", qualname)
            if qualname in fw.QUERYSET_ANNOTATIONS or self.is_queryset_class(qualname):
                return ("queryset", None)
            if qualname in fw.HTTP_REQUESTS:
                return ("request", None)
            symbol = self.resolve_qualname(qualname)
            if symbol is not None and symbol.kind == "class":
                return ("object", qualname)  # an instance of another project class
            return None
        if isinstance(node, ast.Subscript):
            outer = self.expr_qualname(module, _ast_ref(node.value)) or ""
            inner = node.slice
            if isinstance(inner, ast.Index):  # pragma: no cover - Python 3.8 AST shape
                inner = inner.value
            items = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
            outer_name = _last(outer)
            if outer_name == "Optional" and items:
                return self._annotation(module, items[0], depth + 1)
            if outer_name == "Union":
                rest = [i for i in items if not _is_none(i)]
                return self._annotation(module, rest[0], depth + 1) if len(rest) == 1 else None
            if outer_name == "Annotated" and items:
                return self._annotation(module, items[0], depth + 1)
            inner_type = self._annotation(module, items[0], depth + 1) if items else None
            if outer in fw.QUERYSET_ANNOTATIONS or (outer and self.is_queryset_class(outer)):
                return ("queryset", inner_type[1] if inner_type and inner_type[0] == "instance" else None)
            if outer_name in _COLLECTIONS and inner_type and inner_type[0] == "instance":
                if outer_name in ("tuple", "Tuple") and len(items) == 2 and not _is_ellipsis(items[1]):
                    return None
                return ("instances", inner_type[1])
        return None


_COLLECTIONS = frozenset(
    {
        "list",
        "List",
        "set",
        "Set",
        "frozenset",
        "FrozenSet",
        "tuple",
        "Tuple",
        "Sequence",
        "MutableSequence",
        "Iterable",
        "Iterator",
        "Collection",
        "AbstractSet",
        "MutableSet",
    }
)

_BUILTIN_NAMES = frozenset(
    {"staticmethod", "classmethod", "property", "list", "tuple", "set", "dict", "frozenset", "sorted", "object"}
)


@functools.lru_cache(maxsize=4096)
def _parse_annotation(text: str) -> Optional[ast.expr]:
    try:
        return ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def cls_meta(cls: ClassSummary, name: str):
    """A literal value of the class's `Meta` (`abstract`, `proxy`), else None."""
    value = cls.meta.get(name)
    return value[1] if value is not None and value[0] in ("const", "str") else None


def _common_prefix(a: Tuple[str, ...], b: Tuple[str, ...]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _ast_ref(node: ast.AST) -> Expr:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ("ref", ".".join(reversed(parts)))
    return ("?",)


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_ellipsis(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis
