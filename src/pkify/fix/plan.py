"""`pkify fix`: what to change, decided from the same facts and rules as `pkify check`.

The plan starts from what `check` reports (through the session: from the cache, in parallel) in
the named files; each task those diagnostics name is changed only when every one of its call
sites in the project can be rewritten the same way: each sends, for a parameter, model instances
(or QuerySets, or lists of instances) of one known model. Then the parameter is renamed (`order`
-> `order_id`, `orders` -> `order_ids`), the row is fetched at the top of the body under the old
name, and every call site passes `.pk` (a list of primary keys for several rows). Otherwise the
task is left alone and the reason is given. A diagnostic silenced by `# noqa`, `--ignore` or
`per-file-ignores` never starts a change, and a task whose signature would change under such a
call is left alone (its caller would be left behind).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Pattern, Sequence, Set, Tuple

import libcst as cst

from ..analysis.units import Unit
from ..analysis.values import Sequence as SequenceValue, Value
from ..diagnostics import Diagnostic, FileResult
from ..frameworks.hints import HINT
from ..frameworks.celery.plugin import Celery
from ..frameworks.celery.values import Argument, Task, TaskCall
from ..frameworks.django_orm.plugin import DjangoORM
from ..frameworks.django_orm.values import Instance, Instances, QuerySet
from ..project.files import SourceError, absolute
from ..project.noqa import without_noqa
from ..rules import RULES
from ..rules.arguments import offending
from . import edits as E
from .options import FixOptions, display

if TYPE_CHECKING:  # pragma: no cover
    from ..api import Session


@dataclass
class Site:
    """One call of a task, where it stands, and which of its arguments `check` reports."""

    path: str
    call: TaskCall
    reported: Set[int] = field(default_factory=set)  # id() of the argument nodes with a diagnostic

    @property
    def unit(self) -> Unit:
        return self.call.unit

    @property
    def where(self) -> str:
        return f"{display(self.path)}:{self.unit.line(self.call.node)}"

    def reports(self, argument: Optional[Argument]) -> bool:
        return argument is not None and id(argument.node) in self.reported


@dataclass
class Conversion:
    """One task parameter that will receive primary keys."""

    param: str  # "order"
    new_name: str  # "order_id"; the same name when only the call sites change
    many: bool  # a list of primary keys
    as_list: bool  # fetched as a list (the call sites sent lists), else as a QuerySet
    model: Optional[str]  # qualified name
    default_none: bool = False
    # The task already treats the parameter as a primary key (`Order.objects.get(pk=order_id)`):
    # only the call sites that send instances change.
    sites_only: bool = False


@dataclass
class Decision:
    task: Task
    sites: List[Site]
    conversions: List[Conversion] = field(default_factory=list)
    reason: Optional[str] = None  # why the task is left alone

    @property
    def where(self) -> str:
        line = self.task.function.line if self.task.function else 0
        return f"{display(self.task.module.path)}:{line}"

    @property
    def paths(self) -> Set[str]:
        """The files this decision is about: the task's and its callers'."""
        return {s.path for s in self.sites} | {self.task.module.path}


@dataclass
class FixPlan:
    decisions: List[Decision]
    unresolved: List[Diagnostic]  # reported calls whose task is not defined in the project
    changed: Dict[str, Tuple[str, str]]  # path -> (old text, new text)
    errors: List[str]

    def describe(self, path: Optional[str] = None) -> Iterable[str]:
        """One line per task (changed, or left alone and why), for the user; `path`: only those
        about that file."""
        for decision in self.decisions:
            if path is not None and path not in decision.paths:
                continue
            name = decision.task.qualname.rsplit(".", 1)[-1]
            if decision.reason is None:
                renamed = ", ".join(
                    f"`{c.param}` (already a primary key in the task: call sites pass `.pk`)"
                    if c.sites_only
                    else f"`{c.param}` -> `{c.new_name}`"
                    for c in decision.conversions
                )
                yield (
                    f"{decision.where}: {name}: {renamed}; {len(decision.sites)} call site(s) in "
                    f"{len(decision.paths)} file(s)"
                )
            else:
                yield f"{decision.where}: {name}: left unchanged: {decision.reason}"
        for diagnostic in self.unresolved:
            if path is None or absolute(Path(diagnostic.path)) == absolute(Path(path)):
                yield (
                    f"{display(diagnostic.path)}:{diagnostic.line}: left unchanged: the task called here is not "
                    "defined in the project"
                )


# --- the plan ------------------------------------------------------------------------------------


def plan(session: "Session", paths: Sequence[Path], options: FixOptions, jobs: int = 1) -> FixPlan:
    return Planner(session, options).plan(paths, jobs)


class Planner:
    def __init__(self, session: "Session", options: FixOptions) -> None:
        self.session = session
        self.options = options
        self.sources: Dict[str, str] = {}
        self.units: Dict[str, Unit] = {}
        self.sites: List[Site] = []
        self.errors: List[str] = []

    @property
    def tasks(self):
        return self.session.state.plugin(Celery).catalog

    def plan(self, paths: Sequence[Path], jobs: int) -> FixPlan:
        session = self.session
        files = session.project.python_files([session.root])
        results = session.check_many([(f, str(f)) for f in files], jobs=jobs)
        wanted = {str(absolute(p)) for p in paths}
        named = {
            str(f) for f in files if str(f) in wanted or any(str(f).startswith(w.rstrip("/") + "/") for w in wanted)
        }
        fixable = {code for code, rule in RULES.items() if rule.fixable}
        reported: Set[str] = set()
        unresolved: List[Diagnostic] = []
        for file, result in zip(files, results):
            if str(file) not in named:
                continue
            if result.error:
                self.errors.append(f"{display(str(file))}: error: {result.error}")
            for diagnostic in result.diagnostics:
                if diagnostic.code not in fixable:
                    continue
                if diagnostic.task is None:
                    unresolved.append(diagnostic)
                else:
                    reported.add(diagnostic.task)
        tasks = [t for t in (self.tasks.task(q) for q in sorted(reported)) if t is not None]
        if not tasks:
            return FixPlan([], unresolved, {}, self.errors)
        self._collect(tasks, files, results)
        by_task: Dict[str, List[Site]] = {}
        for site in self.sites:
            if site.call.task is not None:
                by_task.setdefault(site.call.task.qualname, []).append(site)
        decisions = [self.decide(task, by_task.get(task.qualname, [])) for task in tasks]
        file_edits: Dict[str, E.Edits] = {}
        for decision in decisions:
            if decision.reason is None:
                self.plan_edits(decision, file_edits)
        changed = {}
        for path, edits in file_edits.items():
            new = E.apply_edits(self.units[path].module, edits).code
            if new != self.sources[path]:
                changed[path] = (self.sources[path], new)
        return FixPlan(decisions, unresolved, changed, self.errors)

    # --- every call of the tasks to change -------------------------------------------------------

    def _collect(self, tasks: List[Task], files: List[Path], results: List[FileResult]) -> None:
        """Every call of the tasks in the project: in the files whose calls `check` saw refer to
        them, and in the files that name them otherwise (`send_receipt(order)` runs it here,
        under any name it is imported as); and the tasks' own modules."""
        qualnames = {t.qualname for t in tasks}
        direct = _direct_calls(self._names(tasks))
        hint = re.compile(f"{HINT.pattern}|{direct.pattern}")
        candidates = {str(f) for f, r in zip(files, results) if qualnames & set(r.tasks)}
        candidates |= {t.module.path for t in tasks}
        for file in files:
            if str(file) not in candidates:
                source = self._source(str(file))
                if source is not None and direct.search(source):
                    candidates.add(str(file))
        ordered = sorted(candidates)
        for number, path in enumerate(ordered, 1):
            if self.options.progress:
                print(f"\rpkify: reading {number}/{len(ordered)} files", end="", file=sys.stderr, flush=True)
            self._analyse(path, hint)
        if self.options.progress:
            print(file=sys.stderr)

    def _names(self, tasks: List[Task]) -> Set[str]:
        """The names the tasks go by in the project: their own, and every import alias."""
        index = self.session.project.index
        qualnames = {t.qualname for t in tasks}
        names = {t.qualname.rsplit(".", 1)[-1] for t in tasks}
        for module in index.modules():
            for local, target in module.imports.items():
                if target.rsplit(".", 1)[-1] in names or local in names:
                    continue
                symbol = index.resolve_qualname(index.absolute(module, target), module)
                if symbol is not None and symbol.qualname in qualnames:
                    names.add(local)
        return names

    def _source(self, path: str) -> Optional[str]:
        if path not in self.sources:
            try:
                self.sources[path] = self.session.project.read(Path(path))
            except SourceError as error:
                self.errors.append(f"{display(path)}: error: {error}")
                return None
        return self.sources[path]

    def _analyse(self, path: str, hint: Pattern[str]) -> None:
        if path in self.units or self._source(path) is None:
            return
        try:
            unit, facts = self.session.module_facts(Path(path), self.sources[path], hint)
        except SourceError as error:
            self.errors.append(f"{display(path)}: error: {error}")
            return
        self.units[path] = unit
        reported = self._reported(path, facts)
        for fact in facts:
            if isinstance(fact, TaskCall):
                ids = {id(a.node) for a in fact.arguments if (unit.line(a.node), unit.column(a.node)) in reported}
                self.sites.append(Site(path, fact, ids))

    def _reported(self, path: str, facts) -> Set[Tuple[int, int]]:
        """Where `check` reports a fixable code in this file (`# noqa` and the settings applied)."""
        diagnostics = self.session.diagnostics(facts, path, Path(path))
        result = without_noqa(FileResult(path, diagnostics), Path(path), self.sources[path])
        return {(d.line, d.column) for d in result.diagnostics if RULES[d.code].fixable}

    def _definition(self, task: Task) -> Optional[Tuple[Unit, cst.FunctionDef]]:
        path = task.module.path
        unit = self.units.get(path)
        if unit is None or task.function is None:
            return None
        found = unit.function(task.function.qualname)
        return (unit, found[0]) if found else None

    # --- deciding --------------------------------------------------------------------------------

    def decide(self, task: Task, sites: List[Site]) -> Decision:
        decision = Decision(task, sites)
        if task.function is None:
            return _leave(decision, "its definition was not found")
        definition = self._definition(task)
        if definition is None:
            return _leave(decision, f"its definition in {display(task.module.path)} could not be read")
        node = definition[1]
        params = {p.name: p for p in task.params}
        defaults = _defaults(node)
        received: Dict[str, List[Tuple[Site, Optional[Argument]]]] = {}
        for site in sites:
            if site.call.dynamic:
                return _leave(decision, f"the call at {site.where} passes arguments pkify cannot list")
            inexact = next((a for a in site.call.arguments if not a.exact and offending(a.value)), None)
            if inexact is not None:
                text = site.unit.short(inexact.node)
                return _leave(decision, f"the call at {site.where} sends arguments built elsewhere (`{text}`)")
            if site.call.partial:
                return _leave(decision, f"the signature at {site.where} gets its arguments later")
            mapped = map_arguments(task, site.call)
            if isinstance(mapped, str):
                return _leave(decision, f"the call at {site.where} {mapped}")
            for name in params:
                received.setdefault(name, []).append((site, mapped.get(name)))
        body_names = _names_in(node)
        for name, uses in received.items():
            if not any(site.reports(a) for site, a in uses):
                continue
            param = params[name]
            if param.kind not in ("positional", "keyword"):
                return _leave(decision, f"`{name}` is a `*` parameter")
            if _used_as_primary_key(node, name):
                conversion = _sites_only(name, uses)
                if isinstance(conversion, str):
                    return _leave(decision, conversion)
                decision.conversions.append(conversion)
                continue
            silenced = next(
                (
                    site
                    for site, a in uses
                    if a is not None and site.call.sends and offending(a.value) and not site.reports(a)
                ),
                None,
            )
            if silenced is not None:
                return _leave(
                    decision,
                    f"the call at {silenced.where} is not reported (`# noqa`, --ignore or per-file-ignores) "
                    f"and would be left behind",
                )
            convention = self.tasks.calling_convention(task)
            if convention is not None:
                return _leave(
                    decision,
                    f"its task class `{convention.rsplit('.', 1)[-1]}` changes the arguments before the task "
                    f"gets them; pkify cannot tell what `{name}` should receive",
                )
            conversion = self._conversion(name, uses, defaults.get(name), node)
            if isinstance(conversion, str):
                return _leave(decision, conversion)
            if conversion.new_name in params or conversion.new_name in body_names:
                return _leave(decision, f"the name `{conversion.new_name}` is already used in the task")
            decision.conversions.append(conversion)
        if not decision.conversions:
            decision.reason = "no parameter to change"
        return decision

    def _conversion(self, name: str, uses, default, node: cst.FunctionDef) -> "Conversion | str":
        kinds: Set[str] = set()
        models: Set[Optional[str]] = set()
        lists = False
        for site, argument in uses:
            if argument is None:
                if default is None:
                    return f"the call at {site.where} leaves out `{name}`, which has no default"
                if not (isinstance(default, cst.Name) and default.value == "None"):
                    return f"`{name}` has a default other than None"
                continue
            value = argument.value
            if _is_own_parameter(site, argument, name, node):
                continue  # `self.retry(args=(order,))` inside the task: the new parameter
            if isinstance(value, Instance):
                kinds.add("one")
                models.add(value.model)
            elif isinstance(value, QuerySet):
                if value.what == "values queryset":
                    return f"the call at {site.where} sends a `values()` QuerySet; pass `list(...)` of it by hand"
                kinds.add("many")
                models.add(value.model)
            elif isinstance(value, (Instances, SequenceValue)):
                model = _container_model(value)
                if model is False:
                    return f"the call at {site.where} sends a container that mixes instances and other values"
                kinds.add("many")
                models.add(model)
                lists = True
            else:
                text = site.unit.short(argument.node)
                if getattr(value, "pk", False):
                    return f"the call at {site.where} already passes a primary key (`{text}`)"
                return f"pkify cannot tell what the call at {site.where} passes as `{name}` (`{text}`)"
        if len(kinds) > 1:
            return f"`{name}` receives one instance at some call sites and several at others"
        if None in models or len(models) != 1:
            return f"the model of `{name}` is not the same known model at every call site"
        many = kinds == {"many"}
        return Conversion(
            name,
            _plural_id(name) if many else _singular_id(name),
            many,
            lists,
            models.pop(),
            default_none=isinstance(default, cst.Name) and default.value == "None",
        )

    # --- rewriting -------------------------------------------------------------------------------

    def plan_edits(self, decision: Decision, file_edits: Dict[str, E.Edits]) -> None:
        task = decision.task
        conversions = {c.param: c for c in decision.conversions}
        definition = self._definition(task)
        assert definition is not None
        unit, node = definition
        for site in decision.sites:
            mapped = map_arguments(task, site.call)
            assert not isinstance(mapped, str)
            edits = file_edits.setdefault(site.path, {})
            for name, argument in mapped.items():
                conversion = conversions.get(name)
                if conversion is None or argument is None:
                    continue
                if conversion.sites_only:
                    if site.reports(argument):
                        edits[argument.node] = E.pk_edit(argument.value)
                    continue
                if _is_own_parameter(site, argument, name, node):
                    edits[argument.node] = E.replace_with(cst.Name(conversion.new_name))
                else:
                    edits[argument.node] = E.pk_edit(argument.value)
                if argument.keyword is not None and argument.holder is not None:
                    edits[argument.holder] = E.rename_keyword(conversion.new_name)
        changing = [c for c in decision.conversions if not c.sites_only]
        if not changing:
            return
        definition_edits = file_edits.setdefault(task.module.path, {})
        definition_edits[node] = E.rewrite_definition(changing, self._fetches(task, changing), self._pk_is_int)
        if self.options.imports == "top":
            imports = self._imports(task, changing)
            if imports:
                definition_edits[unit.module] = E.add_top_imports(imports, definition_edits.get(unit.module))

    @property
    def models(self):
        return self.session.state.plugin(DjangoORM).catalog

    def _pk_is_int(self, model: str) -> bool:
        info = self.models.model(model)
        return info is not None and not info.custom_pk

    def _model_reference(self, task: Task, model: str) -> Tuple[str, Optional[cst.BaseStatement]]:
        """How the task's module names the model, and the import to add (None if none)."""
        name = model.rsplit(".", 1)[-1]
        index = self.session.project.index
        bound = None if name in task.module.type_checking else index.lookup(task.module, name)
        if bound is not None and bound.qualname == model:
            return name, None
        module = model.rsplit(".", 1)[0]
        if bound is not None:  # the name means something else there
            alias = f"{name}Model"
            return alias, E.import_statement(module, name, alias)
        return name, E.import_statement(module, name, None)

    def _fetches(self, task: Task, conversions: List[Conversion]) -> List[cst.BaseStatement]:
        statements: List[cst.BaseStatement] = []
        if self.options.imports == "local":
            statements += self._imports(task, conversions)
        for conversion in conversions:
            assert conversion.model is not None
            name, _ = self._model_reference(task, conversion.model)
            info = self.models.model(conversion.model)
            manager = "objects" if info is None or "objects" in info.managers else "_default_manager"
            statements += E.fetch_statements(conversion, name, manager, self.options.missing)
        return statements

    def _imports(self, task: Task, conversions: List[Conversion]) -> List[cst.BaseStatement]:
        imports: List[cst.BaseStatement] = []
        seen: Set[str] = set()
        for conversion in conversions:
            assert conversion.model is not None
            _, statement = self._model_reference(task, conversion.model)
            if statement is not None:
                text = cst.Module([]).code_for_node(statement)
                if text not in seen:
                    seen.add(text)
                    imports.append(statement)
        return imports


def _leave(decision: Decision, reason: str) -> Decision:
    decision.reason = reason
    decision.conversions = []
    return decision


def _direct_calls(names: Set[str]) -> Pattern[str]:
    """A call of a task by one of its names (`send_receipt(`, `send_receipt.run(`)."""
    alternatives = "|".join(map(re.escape, sorted(names)))
    return re.compile(r"\b(?:%s)\s*(?:\.\s*(?:run|apply)\s*)?\(" % alternatives)


# --- argument mapping ----------------------------------------------------------------------------


def map_arguments(task: Task, call: TaskCall) -> "Dict[str, Optional[Argument]] | str":
    """Task parameter -> the argument a call gives it (None when left out); or why the call
    does not fit the task's signature."""
    positional = [p for p in task.params if p.kind == "positional"]
    by_name = {p.name: p for p in task.params if p.kind in ("positional", "keyword")}
    star = {p.kind: p.name for p in task.params if p.kind in ("varargs", "varkw")}
    mapped: Dict[str, Optional[Argument]] = {p.name: None for p in task.params}
    for argument in call.arguments:
        if argument.kind in ("star", "double-star"):
            return "passes `*args` or `**kwargs`"
        if argument.position is not None and argument.keyword is None:
            if argument.position < len(positional):
                name = positional[argument.position].name
            elif "varargs" in star:
                name = star["varargs"]  # into the task's `*args`
            else:
                return "passes more positional arguments than the task takes"
        elif argument.keyword in by_name:
            name = argument.keyword
        elif "varkw" in star:
            name = star["varkw"]  # into the task's `**kwargs`
        else:
            return f"passes `{argument.keyword}`, which is not a parameter of the task"
        if name in star.values():
            previous = mapped[name]
            if previous is None or offending(argument.value):
                mapped[name] = argument  # what matters of a `*` parameter: whether it gets instances
            continue
        if mapped[name] is not None:
            return f"passes `{name}` twice"
        mapped[name] = argument
    return mapped


def _is_own_parameter(site: Site, argument: Argument, name: str, node: cst.FunctionDef) -> bool:
    """The task sending its own parameter again (`self.retry(args=(order,))`)."""
    if not (isinstance(argument.node, cst.Name) and argument.node.value == name):
        return False
    if site.path != site.unit.summary.path:
        return False
    positions = site.unit.positions()
    inside, outer = positions.get(site.call.node), positions.get(node)
    if inside is None or outer is None:
        return False
    start, end = (inside.start.line, inside.start.column), (inside.end.line, inside.end.column)
    return (outer.start.line, outer.start.column) <= start and end <= (outer.end.line, outer.end.column)


_ID_NAME = re.compile(r"^(?:pk|id|pks|ids)$|_(?:id|pk|ids|pks)$")
_ID_KEYWORD = re.compile(r"^(?:pk|id)$|_id$|__(?:pk|id|in|exact)$|^pk__|^id__")


def _used_as_primary_key(node: cst.FunctionDef, name: str) -> bool:
    """Whether the task already treats a parameter as primary key(s): it passes it to a lookup
    (`get(pk=order_id)`, `filter(id__in=ids)`) and never reads an attribute of it; or, when the
    body says neither, its name says so (`order_id`, `pk`)."""
    as_instance = as_key = False

    class Uses(cst.CSTVisitor):
        def visit_Attribute(self, attribute: cst.Attribute) -> None:
            nonlocal as_instance
            if isinstance(attribute.value, cst.Name) and attribute.value.value == name:
                as_instance = True

        def visit_Arg(self, arg: cst.Arg) -> None:
            nonlocal as_key
            if isinstance(arg.value, cst.Name) and arg.value.value == name and arg.keyword is not None:
                as_key |= bool(_ID_KEYWORD.search(arg.keyword.value))

    node.body.visit(Uses())
    if as_instance:
        return False
    return as_key or bool(_ID_NAME.search(name)) or _annotated_as_key(node, name)


_KEY_TYPES = frozenset({"int", "str", "UUID", "uuid.UUID"})


def _annotated_as_key(node: cst.FunctionDef, name: str) -> bool:
    """`uid: int | None`, `code: str`, `component: int | Component`: an annotation that says
    the parameter takes a key (the task accepts one already)."""
    params = node.params
    for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
        if param.name.value == name and param.annotation is not None:
            text = cst.Module(body=[]).code_for_node(param.annotation.annotation).strip("\"' ")
            text = re.sub(r"^(?:typing\.)?(?:Optional|Union)\[(.*)\]$", r"\1", text)
            members = {m.strip() for m in re.split(r"[|,]", text)}
            return bool(members & _KEY_TYPES)
    return False


def _sites_only(name: str, uses) -> "Conversion | str":
    """Only the call sites that send instances change; every one must say which rows."""
    many = set()
    for site, argument in uses:
        if not site.reports(argument):
            continue
        value = argument.value
        if isinstance(value, QuerySet) and value.what == "values queryset":
            return f"the call at {site.where} sends a `values()` QuerySet; pass `list(...)` of it by hand"
        if isinstance(value, (Instances, SequenceValue)) and _container_model(value) is False:
            return f"the call at {site.where} sends a container that mixes instances and other values"
        many.add(not isinstance(value, Instance))
    if len(many) > 1:
        return f"`{name}` receives one instance at some call sites and several at others"
    return Conversion(name, name, many == {True}, False, None, sites_only=True)


def _container_model(value: Value):
    """The one model of the instances a container holds; None if unknown; False if it also
    holds other things."""
    if isinstance(value, (Instance, Instances)):
        return value.model
    if isinstance(value, SequenceValue):
        models = [_container_model(item.value) for item in value.items]
        if not models or False in models or len(set(models)) != 1:
            return False
        return models[0]
    return False


def _defaults(node: cst.FunctionDef) -> Dict[str, Optional[cst.BaseExpression]]:
    params = node.params
    found = {}
    for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
        found[param.name.value] = param.default
    return found


def _names_in(node: cst.FunctionDef) -> Set[str]:
    names: Set[str] = set()

    class Collector(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            names.add(name.value)

    node.body.visit(Collector())
    return names


def _singular_id(name: str) -> str:
    return f"{name}_pk" if name.endswith("_id") else f"{name}_id"


def _plural_id(name: str) -> str:
    """`orders` -> `order_ids`, `categories` -> `category_ids`, `queryset` -> `queryset_ids`."""
    if name.endswith("ies") and len(name) > 3:
        return name[:-3] + "y_ids"
    if name.endswith(("sses", "xes", "ches", "shes")):
        return name[:-2] + "_ids"
    if name.endswith("s") and not name.endswith("ss") and len(name) > 1:
        return name[:-1] + "_ids"
    return name + "_ids"
