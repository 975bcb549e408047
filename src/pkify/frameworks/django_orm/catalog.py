"""The project's models, as Django would see them: which classes are models, their relation
fields (inherited ones and reverse accessors included), managers and labels.

Built from the symbol index, lazily; every answer is memoised in the index's memo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Tuple

from ...project.index import SymbolIndex, last
from ...project.memo import memoized
from ...project.summary import Attr, Call, ClassSummary, Const, Expr, ModuleSummary, Ref, Str, literal
from . import names


@dataclass(frozen=True)
class Relation:
    kind: str  # "fk" (an instance), "m2m" (a related manager), "gfk" (an instance of any model)
    target: Optional[str]  # model qualname, None when unknown


@dataclass(frozen=True)
class Manager:
    manager_class: Optional[str]  # project manager class qualname
    queryset_class: Optional[str]  # project queryset class qualname


@dataclass(frozen=True)
class Model:
    qualname: str
    name: str
    label: str  # "app_label.Name", as Django spells it
    abstract: bool
    fields: Dict[str, Relation]  # relation fields only, inherited ones included
    scalars: FrozenSet[str]  # names of other fields declared
    managers: Dict[str, Manager]
    constants: FrozenSet[str]  # class attributes bound to literals (STATUS_PAID = "p")
    custom_pk: bool = False  # a field declared `primary_key=True` (a UUID, a code...)
    proxy: bool = False


@dataclass(frozen=True)
class Field:
    """What a class-body assignment of a model declares."""

    kind: str  # "relation", "manager", "scalar"
    relation: Optional[Relation] = None
    related_name: Optional[str] = None
    one_to_one: bool = False
    manager: Optional[Manager] = None


def meta(cls: ClassSummary, name: str):
    """A literal value of the class's `Meta` (`abstract`, `proxy`), else None."""
    return literal(cls.meta.get(name))


class ModelCatalog:
    def __init__(self, index: SymbolIndex, model_bases: Tuple[str, ...]) -> None:
        self.index = index
        self.memo = index.memo
        self.model_bases = model_bases

    # --- which classes are models ----------------------------------------------------------------

    def external_model_base(self, qualname: str) -> bool:
        """Third-party bases from a `*.models` module count as models (`TimeStampedModel`,
        `MPTTModel`, `PolymorphicModel`, wagtail's `Page`)."""
        if qualname in names.MODEL_ROOTS or qualname in names.BUILTIN_MODELS:
            return True
        if any(qualname == n or qualname.endswith("." + n) for n in self.model_bases):
            return True
        module, _, name = qualname.rpartition(".")
        if not module or module.split(".")[0] == "django" or not name[:1].isupper():
            return False
        if name.endswith(names.NOT_MODEL_SUFFIXES):
            return False
        return "models" in module.split(".")

    @memoized(default=False)
    def is_model_class(self, qualname: Optional[str]) -> bool:
        if not qualname:
            return False
        if qualname in names.BUILTIN_MODELS:
            return True
        if self.index.class_symbol(qualname) is None:
            return False
        index = self.index
        ancestry = index.ancestry(qualname)
        if any(self.external_model_base(a) for a in ancestry if index.is_external(a)):
            return True
        if any(self._fetched_base(a) for a in ancestry):
            return True
        # A base from a library pkify cannot see (`openwisp_utils.base.TimeStampedEditableModel`):
        # the class, or a project ancestor, declares Django model fields or is an abstract model.
        return any(index.is_external(a) for a in ancestry) and any(self._declares_model(a) for a in ancestry)

    def _fetched_base(self, qualname: str) -> bool:
        """A project class with a base fetched by its label (`BaseDevice = load_model("config",
        "Device")`, `User = get_user_model()`): what these return is always a model class, the
        project's or another package's (swapper's abstract-then-concrete pattern)."""
        symbol = self.index.class_symbol(qualname)
        if symbol is None or symbol.module is None:
            return False
        for base in symbol.class_summary.bases:
            found = self.index.expr_symbol(symbol.module, base)
            if found is None or found.kind != "assignment" or found.module is None:
                continue
            value = found.expression
            if isinstance(value, Call) and isinstance(value.func, Ref):
                called = self.index.expr_qualname(found.module, value.func)
                if called in names.GET_MODEL or called in names.GET_USER_MODEL:
                    return True
        return False

    def _declares_model(self, qualname: str) -> bool:
        symbol = self.index.class_symbol(qualname)
        if symbol is None or symbol.module is None:
            return False
        cls = symbol.class_summary
        if meta(cls, "abstract") is True:
            return True
        for value in cls.attributes.values():
            if isinstance(value, Call) and isinstance(value.func, Ref):
                called = self.index.expr_qualname(symbol.module, value.func) or ""
                if called.startswith("django.db.models.") and (
                    called.endswith("Field") or last(called) in names.FOREIGN_KEY_FIELDS
                ):
                    return True
        return False

    @memoized(default={})
    def models(self) -> Dict[str, ClassSummary]:
        """Every project model class, by qualified name."""
        found = {}
        for module in self.index.modules():
            for qualname, cls in module.classes.items():
                full = f"{module.name}.{qualname}"
                if cls.bases and self.is_model_class(full):
                    found[full] = cls
        return found

    def is_queryset_class(self, qualname: Optional[str]) -> bool:
        return self.index.has_ancestor(qualname, names.QUERYSET_ROOTS)

    def is_manager_class(self, qualname: str) -> bool:
        if qualname in names.MANAGER_ROOTS or self.index.has_ancestor(qualname, names.MANAGER_ROOTS):
            return True
        # Third-party managers pkify cannot see (`InheritanceManager`, `TreeManager`, ...).
        return any(last(a).endswith("Manager") and self.index.is_external(a) for a in self.index.ancestry(qualname))

    # --- names and labels ------------------------------------------------------------------------

    def app_label(self, qualname: str) -> str:
        """As Django labels a model's app: `Meta.app_label`, else the label of the project
        AppConfig whose `name` is the model's package (`label`, else the last part of `name`:
        pretix's `pretix.base` is `pretixbase`), else the package that holds its models module."""
        cls = self.models().get(qualname)
        if cls is not None and isinstance(meta(cls, "app_label"), str):
            return meta(cls, "app_label")
        module = qualname.rpartition(".")[0]
        configured = [name for name in self.app_configs() if module == name or module.startswith(name + ".")]
        if configured:
            return self.app_configs()[max(configured, key=len)]
        parts = qualname.split(".")[:-1]
        if "models" in parts:
            i = len(parts) - 1 - parts[::-1].index("models")
            if i > 0:
                return parts[i - 1]
        return parts[-2] if len(parts) > 1 else parts[0] if parts else ""

    @memoized(default={})
    def app_configs(self) -> Dict[str, str]:
        """The project's AppConfigs: the app's package (`name`) -> its label."""
        found: Dict[str, str] = {}
        for module in self.index.modules():
            for local, cls in module.classes.items():
                if not self.index.has_ancestor(f"{module.name}.{local}", names.APP_CONFIG):
                    continue
                name, label = literal(cls.attributes.get("name")), literal(cls.attributes.get("label"))
                if isinstance(name, str) and name:
                    found[name] = label if isinstance(label, str) and label else name.rpartition(".")[2]
        return found

    def label(self, qualname: str) -> str:
        if qualname in names.BUILTIN_LABELS:
            return names.BUILTIN_LABELS[qualname]
        return f"{self.app_label(qualname)}.{last(qualname)}"

    @memoized(default=None)
    def model_by_label(self, label: str, near: Optional[str] = None) -> Optional[str]:
        """A model named by a string: "app.Model", "Model" (same app, else unique) or "self"."""
        if label == "self":
            return near
        for builtin, builtin_label in names.BUILTIN_LABELS.items():
            if builtin_label.lower() == label.lower():
                return builtin
        app, _, name = label.rpartition(".")
        named = [q for q in self.models() if last(q) == name]
        if app:
            exact = [q for q in named if self.app_label(q) == app]
            if len(exact) == 1:
                return exact[0]
        elif near is not None:
            same_app = [q for q in named if self.app_label(q) == self.app_label(near)]
            if len(same_app) == 1:
                return same_app[0]
        return named[0] if len(named) == 1 else None

    @memoized(default=None)
    def user_model(self) -> Optional[str]:
        """The model `AUTH_USER_MODEL` names in the project's settings (read as text): the one
        label every settings module that sets it agrees on; else the one the settings module
        named by DJANGO_SETTINGS_MODULE (manage.py, wsgi.py) sets, directly or through a star
        import; Django's `User` when nothing sets it; None (some model) when it cannot tell."""
        setting = "AUTH_USER_MODEL"
        labels = {literal(m.assignments[setting]) for m in self.index.modules() if setting in m.assignments}
        if not labels:
            return names.DEFAULT_USER_MODEL
        if len(labels) > 1:
            declared = {m.settings_module for m in self.index.modules() if m.settings_module}
            labels = set()
            for dotted in declared:
                module = self.index.find_module(dotted)
                symbol = self.index.lookup(module, setting) if module is not None else None
                if symbol is not None and symbol.kind == "assignment":
                    labels.add(literal(symbol.node))  # type: ignore[arg-type]
        label = labels.pop() if len(labels) == 1 else None
        return self.model_by_label(label) if isinstance(label, str) else None

    def relation_target(
        self, module: ModuleSummary, expr: Optional[Expr], owner: Optional[str] = None
    ) -> Optional[str]:
        """The model a relation field, a `model = ...` attribute or a registration names."""
        if expr is None:
            return None
        if isinstance(expr, Str):
            return self.model_by_label(expr.value, owner)
        if isinstance(expr, Call) and isinstance(expr.func, Ref):
            return self._fetched_model(module, expr)
        qualname = self.index.expr_qualname(module, expr)
        if qualname is None:
            return None
        if qualname in names.AUTH_USER_MODEL_SETTING or qualname.endswith("settings.AUTH_USER_MODEL"):
            return self.user_model()
        return qualname if self.is_model_class(qualname) else None

    def _fetched_model(self, module: ModuleSummary, call: Call) -> Optional[str]:
        """The model of `apps.get_model("app", "Model")` (keywords too), of an AppConfig's
        `self.get_model("Model")` (a model of that name: the only one in the project), and the
        model a label call names (`swapper.get_model_name("app", "Model")`, in a relation)."""
        assert isinstance(call.func, Ref)
        called = self.index.expr_qualname(module, call.func)
        fetches = called in names.GET_MODEL or called in names.MODEL_LABEL
        if not fetches and call.func.name != "self.get_model":
            return None
        words = [*call.args[:2], *(v for k, v in call.kwargs if k in ("app_label", "model_name"))]
        label = [literal(w) for w in words]
        if not label or not all(isinstance(part, str) for part in label):
            return None
        return self.model_by_label(".".join(label))  # type: ignore[arg-type]

    def _project_class(self, qualname: Optional[str]) -> Optional[str]:
        return qualname if self.index.class_symbol(qualname) is not None else None

    # --- fields ----------------------------------------------------------------------------------

    def field(self, module: ModuleSummary, expr: Expr, owner: str) -> Optional[Field]:
        """What a class-body assignment of a model declares, None if nothing pkify reads."""
        if not isinstance(expr, Call):
            return None
        func = expr.func
        # Managers built from querysets: QS.as_manager(), Manager.from_queryset(QS)()
        if isinstance(func, Ref) and func.name.endswith(".as_manager"):
            queryset = self.index.expr_qualname(module, Ref(func.name[: -len(".as_manager")]))
            return Field("manager", manager=Manager(None, self._project_class(queryset)))
        if isinstance(func, Call) and isinstance(func.func, Ref) and func.func.name.endswith(".from_queryset"):
            manager = self.index.expr_qualname(module, Ref(func.func.name[: -len(".from_queryset")]))
            queryset = self.index.expr_qualname(module, func.args[0]) if func.args else None
            return Field("manager", manager=Manager(self._project_class(manager), self._project_class(queryset)))
        if not isinstance(func, Ref):
            return None
        wrapped = expr.args[0] if expr.args else None
        if (  # a manager class wrapped by a library: `ScopedManager(QS.as_manager().__class__, ...)`
            isinstance(wrapped, Attr)
            and wrapped.name == "__class__"
            and isinstance(wrapped.value, Call)
            and isinstance(wrapped.value.func, Ref)
            and wrapped.value.func.name.endswith(".as_manager")
        ):
            queryset = self.index.expr_qualname(module, Ref(wrapped.value.func.name[: -len(".as_manager")]))
            return Field("manager", manager=Manager(None, self._project_class(queryset)))
        qualname = self.index.expr_qualname(module, func) or func.name
        name = last(qualname)
        if name in names.FOREIGN_KEY_FIELDS or name in names.MANY_TO_MANY_FIELDS or qualname in names.GENERIC_RELATION:
            target = expr.args[0] if expr.args else expr.keyword("to")
            many = name in names.MANY_TO_MANY_FIELDS or qualname in names.GENERIC_RELATION
            related = literal(expr.keyword("related_name"))
            related_name = related if isinstance(related, str) else None
            if qualname in names.GENERIC_RELATION:
                related_name = "+"
            relation = Relation("m2m" if many else "fk", self.relation_target(module, target, owner))
            return Field("relation", relation, related_name, name.endswith("OneToOneField"))
        if qualname in names.GENERIC_FOREIGN_KEY:
            return Field("relation", Relation("gfk", None), "+")
        if self.is_manager_class(qualname):
            project = self._project_class(qualname)
            return Field("manager", manager=Manager(project, self._manager_queryset(project)))
        factory = self.index.resolve_qualname(qualname)
        if name.endswith("Manager") and factory is not None and factory.kind == "function":
            return Field("manager", manager=Manager(None, None))  # a project function making managers
        if name.endswith("Field"):
            return Field("scalar")
        return None

    def _manager_queryset(self, manager: Optional[str]) -> Optional[str]:
        """The queryset class of a manager class defined as `Manager.from_queryset(QS)`."""
        if manager is None:
            return None
        for ancestor in self.index.ancestry(manager):
            symbol = self.index.class_symbol(ancestor)
            if symbol is None:
                continue
            for base in symbol.class_summary.bases:
                if isinstance(base, Call) and isinstance(base.func, Ref) and base.func.name.endswith(".from_queryset"):
                    if base.args:
                        assert symbol.module is not None
                        return self._project_class(self.index.expr_qualname(symbol.module, base.args[0]))
        return None

    # --- models ----------------------------------------------------------------------------------

    @memoized(default=None)
    def model(self, qualname: Optional[str]) -> Optional[Model]:
        """Everything pkify knows of one model, inherited fields and managers included."""
        if not qualname:
            return None
        if qualname in names.BUILTIN_MODELS:
            fields = {
                name: Relation(kind, self.user_model() if target == "<user>" else target)
                for name, (kind, target) in names.BUILTIN_MODELS[qualname].items()
            }
            fields.update(self._reverse().get(qualname, {}))
            managers = {"objects": Manager(None, None)}
            return Model(
                qualname, last(qualname), self.label(qualname), False, fields, frozenset(), managers, frozenset()
            )
        models = self.models()
        if qualname not in models:
            return None
        fields: Dict[str, Relation] = {}
        scalars: set = set()
        managers: Dict[str, Manager] = {}
        constants: set = set()
        custom_pk = False
        # Walk ancestors from the most distant, so that nearer declarations override.
        for ancestor in reversed(self.index.ancestry(qualname)):
            for name, (kind, target) in names.BUILTIN_BASE_FIELDS.get(ancestor, {}).items():
                fields[name] = Relation(kind, target)
            cls = models.get(ancestor)
            symbol = self.index.class_symbol(ancestor)
            if cls is None or symbol is None or symbol.module is None:
                continue
            for name, expr in cls.attributes.items():
                declared = self.field(symbol.module, expr, ancestor)
                if declared is None:
                    if isinstance(expr, (Str, Const)):
                        constants.add(name)
                    continue
                if declared.relation is not None:
                    fields[name] = declared.relation
                elif declared.manager is not None:
                    managers[name] = declared.manager
                else:
                    scalars.add(name)
                if isinstance(expr, Call) and ("primary_key", Const(True)) in expr.kwargs:
                    custom_pk = True
        cls = models[qualname]
        proxy = meta(cls, "proxy") is True
        if not proxy:
            for parent in self.concrete_parents(qualname):  # multi-table inheritance
                fields.setdefault(f"{last(parent).lower()}_ptr", Relation("fk", parent))
        if not managers:
            managers["objects"] = Manager(None, None)
        for name in ("_default_manager", "_base_manager"):
            managers[name] = next(iter(managers.values()))
        fields.update({k: v for k, v in self._reverse().get(qualname, {}).items() if k not in fields})
        return Model(
            qualname,
            last(qualname),
            self.label(qualname),
            meta(cls, "abstract") is True,
            fields,
            frozenset(scalars),
            managers,
            frozenset(constants),
            custom_pk,
            proxy,
        )

    def concrete_parents(self, qualname: str) -> List[str]:
        """The project models a model inherits from that have a table of their own."""
        models = self.models()
        return [a for a in self.index.ancestry(qualname)[1:] if a in models and meta(models[a], "abstract") is not True]

    def concrete_model(self, qualname: str) -> str:
        """The model whose table holds the rows of `qualname`: itself, or the concrete model of
        a proxy."""
        model = self.model(qualname)
        if model is None or not model.proxy:
            return qualname
        for parent in self.concrete_parents(qualname):  # a proxy of a proxy: up to the table
            found = self.model(parent)
            if found is not None and not found.proxy:
                return parent
        return qualname

    def _declaring(self, qualname: str) -> List[str]:
        """The classes whose fields a concrete model declares itself: the model and its abstract
        ancestors up to the first concrete one (a proxy declares none: its fields are its
        concrete model's, and so are the reverse accessors they make)."""
        models = self.models()
        own = [qualname]
        for ancestor in self.index.ancestry(qualname)[1:]:
            if ancestor in models and meta(models[ancestor], "abstract") is not True:
                break
            own.append(ancestor)
        return own

    @memoized(default={})
    def _reverse(self) -> Dict[str, Dict[str, Relation]]:
        """Reverse accessors: target model -> {accessor: relation back to the source model}."""
        reverse: Dict[str, Dict[str, Relation]] = {}
        models = self.models()
        for qualname, cls in models.items():
            if meta(cls, "abstract") is True or meta(cls, "proxy") is True:
                continue
            for parent in self.concrete_parents(qualname)[:1]:  # `article.featuredarticle`
                reverse.setdefault(parent, {})[last(qualname).lower()] = Relation("fk", qualname)
            for ancestor in self._declaring(qualname):
                owner = models.get(ancestor)
                symbol = self.index.class_symbol(ancestor)
                if owner is None or symbol is None or symbol.module is None:
                    continue
                for expr in owner.attributes.values():
                    declared = self.field(symbol.module, expr, qualname)
                    if declared is None or declared.relation is None or declared.relation.target is None:
                        continue
                    lower = last(qualname).lower()
                    related_name = declared.related_name
                    if related_name is None:
                        accessor = lower if declared.one_to_one else f"{lower}_set"
                    elif related_name.endswith("+"):
                        continue
                    else:
                        accessor = related_name.replace("%(class)s", lower).replace(
                            "%(app_label)s", self.app_label(qualname).lower()
                        )
                    back = Relation("fk" if declared.one_to_one else "m2m", qualname)
                    reverse.setdefault(declared.relation.target, {})[accessor] = back
        return reverse
