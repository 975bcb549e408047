"""`pkify fix`: call sites pass primary keys, and each task fetches its rows itself.

The engine's task calls are grouped by task across the whole project. A task is changed only
when every one of its call sites can be rewritten the same way: each sends, for a parameter,
model instances (or QuerySets, or lists of instances) of one known model. Then the parameter is
renamed (`order` -> `order_id`, `orders` -> `order_ids`), the row is fetched at the top of the
body under the old name, and every call site passes `.pk` (a list of primary keys for several
rows). Otherwise the task is left alone and the reason is given.
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import libcst as cst

from .calls import Argument, TaskCall
from .engine import ModuleContext
from .index import Task
from .project import TASK_CALL_HINT, Project
from .sources import Excluder, SourceError, absolute, read_source, walk_python_files
from .values import Instance, Instances, Mapping, QuerySet, Sequence as SequenceValue, Value

Edit = Callable[[cst.CSTNode], cst.CSTNode]


@dataclass(frozen=True)
class FixOptions:
    missing: str = "raise"  # "skip": a task whose row is gone returns early instead of raising
    imports: str = "local"  # "top": import the model at the top of the task's module


@dataclass
class Site:
    """One call of a task, where it stands."""

    path: str
    ctx: ModuleContext
    call: TaskCall

    @property
    def where(self) -> str:
        return f"{_display(self.path)}:{self.ctx.line(self.call.node)}"


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
        return f"{_display(self.task.module.path)}:{line}"


@dataclass
class FixResult:
    decisions: List[Decision]
    unresolved: List[Site]  # offending calls whose task is not defined in the project
    changed: Dict[str, Tuple[str, str]]  # path -> (old text, new text)
    errors: List[str]


def _display(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def _offending(value: Value) -> bool:
    return isinstance(value, (Instance, QuerySet, Instances)) or (
        isinstance(value, (SequenceValue, Mapping)) and _holds_instances(value)
    )


def _holds_instances(value: Value, depth: int = 0) -> bool:
    if isinstance(value, (Instance, Instances, QuerySet)):
        return True
    if depth > 4:
        return False
    if isinstance(value, SequenceValue):
        return any(_holds_instances(v, depth + 1) for _, v in value.items)
    if isinstance(value, Mapping):
        return any(_holds_instances(v, depth + 1) for _, _, v, _ in value.entries)
    return False


class Fixer:
    def __init__(self, project: Project, options: FixOptions = FixOptions(), progress: bool = False) -> None:
        self.project = project
        self.index = project.index
        self.options = options
        self.progress = progress
        self.sources: Dict[str, str] = {}
        self.contexts: Dict[str, ModuleContext] = {}
        self.sites: List[Site] = []
        self.errors: List[str] = []

    # --- finding every call ----------------------------------------------------------------------

    def _files(self) -> List[Path]:
        root = self.project.root
        return list(walk_python_files([root], Excluder(self.project.settings.excludes, root)))

    def _analyse(self, path: Path, hint) -> None:
        key = str(path)
        if key in self.contexts:
            return
        try:
            source = self.sources.get(key) or read_source(path)
            self.sources[key] = source
            ctx, calls = self.project.analyse(path, source, hint)
        except SourceError as error:
            self.errors.append(f"{_display(key)}: error: {error}")
            return
        self.contexts[key] = ctx
        self.sites.extend(Site(key, ctx, call) for call in calls)

    def _collect(self, files: List[Path]) -> None:
        """Every task call in the project: files that look like they send to a task, then files
        that call a task to be changed directly (`send_receipt(order)` runs it here)."""
        total = len(files)
        for number, path in enumerate(files, 1):
            if self.progress:
                print(f"\rpkify: reading {number}/{total} files", end="", file=sys.stderr, flush=True)
            try:
                source = read_source(path)
            except SourceError as error:
                self.errors.append(f"{_display(str(path))}: error: {error}")
                continue
            self.sources[str(path)] = source
            if TASK_CALL_HINT.search(source):
                self._analyse(path, TASK_CALL_HINT)
        if self.progress:
            print(file=sys.stderr)
        names = {
            s.call.task.function.name
            for s in self.sites
            if s.call.task and s.call.task.function and any(_offending(a.value) for a in s.call.arguments)
        }
        if names:
            direct = re.compile(r"\b(?:%s)\s*\(" % "|".join(map(re.escape, sorted(names))))
            for path in files:
                if direct.search(self.sources.get(str(path), "")):
                    self.contexts.pop(str(path), None)
                    self.sites = [s for s in self.sites if s.path != str(path)]
                    self._analyse(path, re.compile(f"{TASK_CALL_HINT.pattern}|{direct.pattern}"))

    # --- deciding --------------------------------------------------------------------------------

    def run(self, paths: Sequence[Path]) -> FixResult:
        files = self._files()
        self._collect(files)
        wanted = {str(absolute(p)) for p in paths}
        named = {
            str(f) for f in files if str(f) in wanted or any(str(f).startswith(w.rstrip("/") + "/") for w in wanted)
        }
        by_task: Dict[str, List[Site]] = {}
        unresolved: List[Site] = []
        offending_tasks: Set[str] = set()
        for site in self.sites:
            offends = site.call.sends and any(_offending(a.value) for a in site.call.arguments)
            if site.call.task is None:
                if offends and site.path in named:
                    unresolved.append(site)
                continue
            by_task.setdefault(site.call.task.qualname, []).append(site)
            if offends and site.path in named:
                offending_tasks.add(site.call.task.qualname)
        decisions = [self.decide(self.index.task(q), by_task[q]) for q in sorted(offending_tasks)]
        edits: Dict[str, Dict[cst.CSTNode, Edit]] = {}
        for decision in decisions:
            if decision.reason is None:
                self.plan_edits(decision, edits)
        changed = {}
        for path, file_edits in edits.items():
            ctx = self.contexts[path]
            new = ctx.module.visit(_ApplyEdits(file_edits)).code
            if new != self.sources[path]:
                changed[path] = (self.sources[path], new)
        return FixResult(decisions, unresolved, changed, self.errors)

    def decide(self, task: Task, sites: List[Site]) -> Decision:
        decision = Decision(task, sites)
        if task.function is None:
            decision.reason = "its definition was not found"
            return decision
        definition = self._definition(task)
        if definition is None:
            decision.reason = f"its definition in {_display(task.module.path)} could not be read"
            return decision
        node = definition[1]
        params = {p.name: p for p in task.params}
        defaults = _defaults(node)
        received: Dict[str, List[Tuple[Site, Optional[Argument]]]] = {}
        for site in sites:
            if site.call.dynamic:
                return self._leave(decision, f"the call at {site.where} passes arguments pkify cannot list")
            inexact = next((a for a in site.call.arguments if not a.exact and _offending(a.value)), None)
            if inexact is not None:
                text = site.ctx.short(inexact.node)
                return self._leave(decision, f"the call at {site.where} sends arguments built elsewhere (`{text}`)")
            if site.call.partial:
                return self._leave(decision, f"the signature at {site.where} gets its arguments later")
            mapped = _map_arguments(task, site.call)
            if isinstance(mapped, str):
                return self._leave(decision, f"the call at {site.where} {mapped}")
            for name in params:
                received.setdefault(name, []).append((site, mapped.get(name)))
        body_names = _names_in(node)
        for name, uses in received.items():
            if not any(a is not None and site.call.sends and _offending(a.value) for site, a in uses):
                continue
            param = params[name]
            if param.kind not in ("positional", "keyword"):
                return self._leave(decision, f"`{name}` is a `*` parameter")
            if _used_as_primary_key(node, name):
                conversion = _sites_only(name, uses)
                if isinstance(conversion, str):
                    return self._leave(decision, conversion)
                decision.conversions.append(conversion)
                continue
            convention = self.index.calling_convention(task)
            if convention is not None:
                return self._leave(
                    decision,
                    f"its task class `{convention.rsplit('.', 1)[-1]}` changes the arguments before the task "
                    f"gets them; pkify cannot tell what `{name}` should receive",
                )
            conversion = self._conversion(task, name, uses, defaults.get(name), node)
            if isinstance(conversion, str):
                return self._leave(decision, conversion)
            if conversion.new_name in params or conversion.new_name in body_names:
                return self._leave(decision, f"the name `{conversion.new_name}` is already used in the task")
            decision.conversions.append(conversion)
        if not decision.conversions:
            decision.reason = "no parameter to change"
        return decision

    @staticmethod
    def _leave(decision: Decision, reason: str) -> Decision:
        decision.reason = reason
        decision.conversions = []
        return decision

    def _conversion(self, task: Task, name: str, uses, default, node) -> "Conversion | str":
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
                text = site.ctx.short(argument.node)
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

    def _definition(self, task: Task) -> Optional[Tuple[ModuleContext, cst.FunctionDef]]:
        path = task.module.path
        if path not in self.contexts:
            try:
                self._analyse(Path(path), TASK_CALL_HINT)
            except SourceError:
                return None
        ctx = self.contexts.get(path)
        if ctx is None:
            return None
        found = ctx.function(task.function.qualname)
        return (ctx, found[0]) if found else None

    # --- rewriting -------------------------------------------------------------------------------

    def plan_edits(self, decision: Decision, edits: Dict[str, Dict[cst.CSTNode, Edit]]) -> None:
        task = decision.task
        conversions = {c.param: c for c in decision.conversions}
        ctx, node = self._definition(task)
        for site in decision.sites:
            mapped = _map_arguments(task, site.call)
            file_edits = edits.setdefault(site.path, {})
            for name, argument in mapped.items():
                conversion = conversions.get(name)
                if conversion is None or argument is None:
                    continue
                if conversion.sites_only:
                    if site.call.sends and _offending(argument.value):
                        file_edits[argument.node] = _pk_edit(argument.value)
                    continue
                if _is_own_parameter(site, argument, name, node):
                    file_edits[argument.node] = _replace_with(cst.Name(conversion.new_name))
                else:
                    file_edits[argument.node] = _pk_edit(argument.value)
                if argument.keyword is not None and argument.holder is not None:
                    file_edits[argument.holder] = _rename_keyword(conversion.new_name)
        changing = [c for c in decision.conversions if not c.sites_only]
        if not changing:
            return
        definition_edits = edits.setdefault(task.module.path, {})
        fetches = self._fetches(task, ctx, changing)
        definition_edits[node] = _rewrite_definition(changing, fetches, self._pk_is_int)
        if self.options.imports == "top":
            imports = self._top_imports(task, changing)
            if imports:
                previous = definition_edits.get(ctx.module)
                definition_edits[ctx.module] = _add_top_imports(imports, previous)

    def _pk_is_int(self, model: str) -> bool:
        info = self.index.model(model)
        return info is not None and not info.custom_pk

    def _model_reference(self, task: Task, model: str) -> Tuple[str, Optional[str]]:
        """How the task's module names the model, and the import to add (None if none)."""
        name = model.rsplit(".", 1)[-1]
        bound = None if name in task.module.type_checking else self.index.lookup(task.module, name)
        if bound is not None and bound.qualname == model:
            return name, None
        module = model.rsplit(".", 1)[0]
        if bound is not None:  # the name means something else there
            alias = f"{name}Model"
            return alias, f"from {module} import {name} as {alias}"
        return name, f"from {module} import {name}"

    def _fetches(self, task: Task, ctx: ModuleContext, conversions: List[Conversion]) -> List[str]:
        lines: List[str] = []
        for conversion in conversions:
            name, import_line = self._model_reference(task, conversion.model)
            if import_line and self.options.imports == "local" and import_line not in lines:
                lines.append(import_line)
        for conversion in conversions:
            name, _ = self._model_reference(task, conversion.model)
            info = self.index.model(conversion.model)
            manager = "objects" if info is None or "objects" in info.managers else "_default_manager"
            new, old = conversion.new_name, conversion.param
            if conversion.many:
                fetch = f"{name}.{manager}.filter(pk__in={new})"
                fetch = f"list({fetch})" if conversion.as_list else fetch
            else:
                fetch = f"{name}.{manager}.get(pk={new})"
            if conversion.default_none:
                fetch = f"{fetch} if {new} is not None else None"
            if self.options.missing == "skip" and not conversion.many:
                lines.append(f"try:\n    {old} = {fetch}\nexcept {name}.DoesNotExist:\n    return\n")
            else:
                lines.append(f"{old} = {fetch}")
        return lines

    def _top_imports(self, task: Task, conversions: List[Conversion]) -> List[str]:
        imports = []
        for conversion in conversions:
            _, import_line = self._model_reference(task, conversion.model)
            if import_line and import_line not in imports:
                imports.append(import_line)
        return imports


# --- argument mapping ----------------------------------------------------------------------------


def _map_arguments(task: Task, call: TaskCall) -> "Dict[str, Optional[Argument]] | str":
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
            if mapped[name] is None or _offending(argument.value):
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
    if site.path != site.ctx.summary.path:
        return False
    positions = site.ctx.positions()
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
        if argument is None or not (site.call.sends and _offending(argument.value)):
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
        models = [_container_model(v) for _, v in value.items]
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


# --- edits ---------------------------------------------------------------------------------------


class _ApplyEdits(cst.CSTTransformer):
    """Applies edits by node identity, inside out, so that edits inside an edited node are kept."""

    def __init__(self, edits: Dict[cst.CSTNode, Edit]) -> None:
        super().__init__()
        self.edits = edits

    def on_leave(self, original_node, updated_node):
        edit = self.edits.get(original_node)
        return edit(updated_node) if edit is not None else updated_node


_ATOMS = (
    cst.Name,
    cst.Attribute,
    cst.Call,
    cst.Subscript,
    cst.List,
    cst.Dict,
    cst.Set,
    cst.ListComp,
    cst.SetComp,
    cst.DictComp,
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.FormattedString,
    cst.Integer,
)


def _atom(node: cst.BaseExpression) -> cst.BaseExpression:
    """The expression, parenthesised unless it can take `.attr` as it is."""
    if isinstance(node, _ATOMS) or node.lpar:
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _dot_pk(node: cst.BaseExpression) -> cst.BaseExpression:
    return cst.Attribute(value=_atom(node), attr=cst.Name("pk"))


def _pks_of_queryset(node: cst.BaseExpression) -> cst.BaseExpression:
    return cst.parse_expression('list(_.values_list("pk", flat=True))').visit(_Substitute(node))


def _pks_of_iterable(node: cst.BaseExpression) -> cst.BaseExpression:
    return cst.parse_expression("[obj.pk for obj in _]").visit(_Substitute(node))


class _Substitute(cst.CSTTransformer):
    """Puts an expression where a template says `_`."""

    def __init__(self, node: cst.BaseExpression) -> None:
        super().__init__()
        self.node = node

    def leave_Name(self, original_node, updated_node):
        if updated_node.value == "_":
            return self.node.with_changes(lpar=self.node.lpar, rpar=self.node.rpar)
        return updated_node


def _replace_with(node: cst.BaseExpression) -> Edit:
    return lambda updated: node.with_changes(lpar=updated.lpar, rpar=updated.rpar)


def _pk_edit(value: Value) -> Edit:
    """The rewrite of an argument expression according to what it sends."""

    def edit(node: cst.BaseExpression) -> cst.BaseExpression:
        return _to_pks(node, value)

    return edit


def _to_pks(node: cst.BaseExpression, value: Value) -> cst.BaseExpression:
    if isinstance(value, Instance):
        return _dot_pk(node)
    if isinstance(value, QuerySet):
        return _pks_of_queryset(node)
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)) and isinstance(value, SequenceValue):
        elements = []
        for element, (_, item) in zip(node.elements, value.items):
            elements.append(element.with_changes(value=_to_pks(element.value, item)))
        if isinstance(node, cst.Set):  # JSON has no sets
            return cst.List(elements=elements, lpar=node.lpar, rpar=node.rpar)
        return node.with_changes(elements=elements)
    if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
        comprehension = cst.ListComp(elt=_dot_pk(node.elt), for_in=node.for_in)
        return comprehension.with_changes(lpar=node.lpar if isinstance(node, cst.ListComp) else [])
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value in ("list", "tuple", "set")
        and len(node.args) == 1
        and not node.args[0].keyword
        and not node.args[0].star
    ):
        return _pks_of_queryset(node.args[0].value)
    return _pks_of_iterable(node)


def _rename_keyword(new_name: str) -> Edit:
    def edit(node: cst.CSTNode) -> cst.CSTNode:
        if isinstance(node, cst.Arg) and node.keyword is not None:
            return node.with_changes(keyword=cst.Name(new_name))
        if isinstance(node, cst.DictElement) and isinstance(node.key, cst.SimpleString):
            quote = node.key.quote
            return node.with_changes(key=node.key.with_changes(value=f"{node.key.prefix}{quote}{new_name}{quote}"))
        return node

    return edit


def _rewrite_definition(conversions: List[Conversion], fetches: List[str], pk_is_int) -> Edit:
    renames = {c.param: c for c in conversions}

    def edit(node: cst.FunctionDef) -> cst.FunctionDef:
        def rename(param: cst.Param) -> cst.Param:
            conversion = renames.get(param.name.value)
            if conversion is None:
                return param
            changed = param.with_changes(name=cst.Name(conversion.new_name))
            if param.annotation is not None:
                annotation = _id_annotation(param.annotation.annotation, conversion, pk_is_int(conversion.model))
                changed = changed.with_changes(
                    annotation=param.annotation.with_changes(annotation=annotation) if annotation else None
                )
            return changed

        params = node.params.with_changes(
            posonly_params=[rename(p) for p in node.params.posonly_params],
            params=[rename(p) for p in node.params.params],
            kwonly_params=[rename(p) for p in node.params.kwonly_params],
        )
        body = node.body
        if isinstance(body, cst.SimpleStatementSuite):  # `def f(order): pass`
            body = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=list(body.body))])
        statements = list(body.body)
        start = 1 if statements and _is_docstring(statements[0]) else 0
        if start:
            statements[0] = _rename_in_docstring(statements[0], conversions)
        new = [cst.parse_statement(line if line.endswith("\n") else line + "\n") for line in fetches]
        return node.with_changes(params=params, body=body.with_changes(body=[*statements[:start], *new, *statements[start:]]))

    return edit


def _id_annotation(annotation: cst.BaseExpression, conversion: Conversion, pk_is_int: bool) -> Optional[cst.BaseExpression]:
    """`Order` -> `int`, `Optional[Order]` -> `Optional[int]`, `QuerySet[Order]` -> `list[int]`;
    None (drop it) when the primary key is not an integer or the annotation is not understood."""
    if not pk_is_int:
        return None
    text = cst.Module(body=[]).code_for_node(annotation)
    if isinstance(annotation, cst.SimpleString):
        text = annotation.evaluated_value
    model_name = conversion.model.rsplit(".", 1)[-1]
    pattern = r"(['\"]?)(?:[\w.]+\.)?\b" + re.escape(model_name) + r"\b\1"  # `Order`, `"Order"`
    if conversion.many:
        text = re.sub(r"(?:[\w.]+\.)?(?:QuerySet|Manager)\[", "list[", text)
    text = re.sub(pattern, "int", text)
    if conversion.many and "list[" not in text and "List[" not in text and "Sequence[" not in text:
        text = "list[int]"
    if "[" not in text and "|" in text:  # `int | Order` became `int | int`
        members = list(dict.fromkeys(member.strip() for member in text.split("|")))
        text = " | ".join(members)
    try:
        return cst.parse_expression(text)
    except cst.ParserSyntaxError:
        return None


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _rename_in_docstring(statement: cst.SimpleStatementLine, conversions: List[Conversion]) -> cst.SimpleStatementLine:
    """`:param order:` and Google-style `order (Order):` lines follow the rename."""
    string = statement.body[0].value
    if not isinstance(string, cst.SimpleString):
        return statement
    text = string.value
    for conversion in conversions:
        old, new = re.escape(conversion.param), conversion.new_name
        text = re.sub(rf"(:param\s+(?:[\w.\[\]]+\s+)?){old}(\s*:)", rf"\g<1>{new}\g<2>", text)
        text = re.sub(rf"(:type\s+){old}(\s*:)", rf"\g<1>{new}\g<2>", text)
        text = re.sub(rf"(?m)^(\s+){old}(\s*(?:\([^)\n]*\))?\s*:)", rf"\g<1>{new}\g<2>", text)
    return statement.with_changes(body=[statement.body[0].with_changes(value=string.with_changes(value=text))])


def _add_top_imports(imports: List[str], previous: Optional[Edit]) -> Edit:
    def edit(module: cst.Module) -> cst.Module:
        if previous is not None:
            module = previous(module)
        body = list(module.body)
        present = {module.code_for_node(s).strip() for s in body if isinstance(s, cst.SimpleStatementLine)}
        missing = [cst.parse_statement(line + "\n") for line in imports if line not in present]
        if not missing:
            return module
        at = 0
        for i, statement in enumerate(body):
            if i == 0 and _is_docstring(statement):
                at = 1
            elif isinstance(statement, cst.SimpleStatementLine) and isinstance(
                statement.body[0], (cst.Import, cst.ImportFrom)
            ):
                at = i + 1
            else:
                break
        return module.with_changes(body=[*body[:at], *missing, *body[at:]])

    return edit


def unified_diff(path: str, old: str, new: str) -> str:
    name = _display(path)
    return "".join(
        difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{name}", f"b/{name}")
    )


def describe(result: FixResult) -> Iterable[str]:
    """One line per task (changed, or left alone and why), for the user."""
    for decision in result.decisions:
        name = decision.task.qualname.rsplit(".", 1)[-1]
        if decision.reason is None:
            renamed = ", ".join(
                f"`{c.param}` (already a primary key in the task: call sites pass `.pk`)"
                if c.sites_only
                else f"`{c.param}` -> `{c.new_name}`"
                for c in decision.conversions
            )
            files = {s.path for s in decision.sites} | {decision.task.module.path}
            yield (
                f"{decision.where}: {name}: {renamed}; {len(decision.sites)} call site(s) in "
                f"{len(files)} file(s)"
            )
        else:
            yield f"{decision.where}: {name}: left unchanged: {decision.reason}"
    for site in result.unresolved:
        yield f"{site.where}: left unchanged: the task called here is not defined in the project"
