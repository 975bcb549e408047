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
from typing import TYPE_CHECKING, Callable, Dict, Iterable, List, Optional, Pattern, Sequence, Set, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider, ScopeProvider

from ..analysis.facts import Fact
from ..analysis.units import Unit
from ..analysis.values import Mapping, Sequence as SequenceValue, Value
from ..diagnostics import Diagnostic, FileResult
from ..frameworks.celery.plugin import Celery
from ..frameworks.celery.values import Argument, Task, TaskCall
from ..frameworks.django_orm.plugin import DjangoORM
from ..frameworks.django_orm.values import Instance, Instances, QuerySet
from ..project.files import SourceError, absolute
from ..project.noqa import without_noqa
from ..rules import RULES
from ..rules.arguments import offending
from . import deferral, edits as E, returns, serializable
from .local import LocalChange, LocalFixer
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
    # Models the call sites send besides `model` (proxies of it, its multi-table children).
    sent: Tuple[str, ...] = ()

    # A dict whose entries hold rows: (key, model) of those entries; the parameter keeps its name
    # and the task puts the rows back in the dict it gets.
    keys: Tuple[Tuple[str, str], ...] = ()

    def names(self) -> Tuple[str, ...]:
        """The names the rewritten task introduces."""
        if self.keys:
            return ()
        return (self.new_name, f"{self.param}_by_pk") if self.many and self.as_list else (self.new_name,)

    def models(self) -> List[str]:
        return [model for _, model in self.keys] if self.keys else [self.model] if self.model else []


@dataclass
class Decision:
    task: Task
    sites: List[Site]
    conversions: List[Conversion] = field(default_factory=list)
    reason: Optional[str] = None  # why the task is left alone
    compat: Optional[str] = None  # with --compat: what the task accepts of the old messages

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
    finished: List[Tuple[str, str]] = field(default_factory=list)  # (path, line): `--compat` code removed
    local: List[LocalChange] = field(default_factory=list)

    def describe(self, path: Optional[str] = None) -> Iterable[str]:
        """One line per task (changed, or left alone and why), for the user; `path`: only those
        about that file."""
        for where, line in self.finished:
            if path is None or absolute(Path(where)) == absolute(Path(path)):
                yield line
        for decision in self.decisions:
            if path is not None and path not in decision.paths:
                continue
            name = decision.task.qualname.rsplit(".", 1)[-1]
            if decision.reason is None:
                renamed = ", ".join(_describe(c) for c in decision.conversions)
                compat = f"; {decision.compat}" if decision.compat else ""
                yield (
                    f"{decision.where}: {name}: {renamed}; {len(decision.sites)} call site(s) in "
                    f"{len(decision.paths)} file(s){compat}"
                )
            else:
                yield f"{decision.where}: {name}: left unchanged: {decision.reason}"
        for change in self.local:
            if path is None or absolute(Path(change.path)) == absolute(Path(path)):
                yield change.describe()
        for diagnostic in self.unresolved:
            if path is None or absolute(Path(diagnostic.path)) == absolute(Path(path)):
                yield (
                    f"{display(diagnostic.path)}:{diagnostic.line}: left unchanged: the task called here is not "
                    "defined in the project"
                )


# --- the plan ------------------------------------------------------------------------------------

# The codes whose fix stays where they are reported (no task's signature changes).
LOCAL_FIXERS: Dict[str, LocalFixer] = {
    "CEL201": deferral.defer_sends,
    "CEL104": serializable.fix_values,
    "CEL105": returns.fix_returns,
}


def signature_codes() -> Set[str]:
    """The fixable codes whose fix changes what a task receives (CEL101-103): decided per task."""
    return {code for code, rule in RULES.items() if rule.fixable and code not in LOCAL_FIXERS}



def plan(session: "Session", paths: Sequence[Path], options: FixOptions, jobs: int = 1) -> FixPlan:
    return Planner(session, options).plan(paths, jobs)


class Planner:
    def __init__(self, session: "Session", options: FixOptions) -> None:
        self.session = session
        self.options = options
        self.sources: Dict[str, str] = {}
        self.units: Dict[str, Unit] = {}
        self.parsed: Dict[str, cst.Module] = {}  # files read for `_finish_compat` only
        self.sites: List[Site] = []
        self.facts: Dict[str, List[Fact]] = {}  # path -> the facts of the file, analysed whole
        self.decisions: List[Decision] = []
        self.errors: List[str] = []
        # A reference to a task (by qualified name) the analysis found no call in: where, and what.
        self.unexplained: Dict[str, str] = {}

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
        fixable = signature_codes()
        reported: Set[str] = set()
        unresolved: List[Diagnostic] = []
        local: Dict[str, List[Diagnostic]] = {code: [] for code in LOCAL_FIXERS}
        for file, result in zip(files, results):
            if str(file) not in named:
                continue
            if result.error:
                self.errors.append(f"{display(str(file))}: error: {result.error}")
            for diagnostic in result.diagnostics:
                if diagnostic.code in local:
                    local[diagnostic.code].append(diagnostic)
                if diagnostic.code not in fixable:
                    continue
                if diagnostic.task is None:
                    unresolved.append(diagnostic)
                else:
                    reported.add(diagnostic.task)
        tasks = [t for t in (self.tasks.task(q) for q in sorted(reported)) if t is not None]
        decisions: List[Decision] = []
        file_edits: Dict[str, E.Edits] = {}
        if tasks:
            self._collect(tasks, files, results)
            by_task: Dict[str, List[Site]] = {}
            for site in self.sites:
                if site.call.task is not None:
                    by_task.setdefault(site.call.task.qualname, []).append(site)
            decisions = [self.decide(task, by_task.get(task.qualname, [])) for task in tasks]
            for decision in decisions:
                if decision.reason is None:
                    self.plan_edits(decision, file_edits)
        self.decisions = decisions
        changes: List[LocalChange] = []
        for code, fixer in LOCAL_FIXERS.items():
            if RULES[code].fixable:
                changes += fixer(self, local[code], file_edits)
        finished = [] if self.options.compat else self._finish_compat(sorted(named), file_edits)
        changed = {}
        for path, edits in file_edits.items():
            new = E.apply_edits(self._module(path), edits).code
            if new != self.sources[path]:
                changed[path] = (self.sources[path], new)
        return FixPlan(decisions, unresolved, changed, self.errors, finished, changes)

    # --- the second release after `--compat` -----------------------------------------------------

    def _module(self, path: str) -> cst.Module:
        unit = self.units.get(path)
        return unit.module if unit is not None else self.parsed[path]

    def _finish_compat(self, paths: List[str], file_edits: Dict[str, E.Edits]) -> List[Tuple[str, str]]:
        """A plain fix takes out what an earlier `--compat` fix wrote in the named files (the
        tasks' code for messages sent before the fix, the old keyword-only parameters), leaving
        what a plain fix would have written in the first place."""
        finished: List[Tuple[str, str]] = []
        for path in paths:
            source = self._source(path)
            if source is None or E.COMPAT_MARK not in source:
                continue
            if path not in self.units:
                try:
                    self.parsed[path] = cst.parse_module(source)
                except cst.ParserSyntaxError:
                    continue  # `check` said so already
            module = self._module(path)
            positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
            edits = file_edits.setdefault(path, {})
            for node in _functions(module):
                if not E.has_compat(node):
                    continue
                previous = edits.get(node)
                edits[node] = _then(previous, E.finish_compat) if previous is not None else _finish
                line = positions[node].start.line if node in positions else 0
                finished.append((path, (
                    f"{display(path)}:{line}: {node.name.value}: the `--compat` code for messages sent before the "
                    "fix removed"
                )))
        return finished

    # --- every call of the tasks to change -------------------------------------------------------

    def _collect(self, tasks: List[Task], files: List[Path], results: List[FileResult]) -> None:
        """Every reference to the tasks in the project, tests and files `extend-exclude` leaves
        out of reports included: in the files whose calls `check` saw refer to them, in the
        files that name them (`send_receipt(order)` runs it here, under any name it is imported
        as; `mock.patch("shop.tasks.send_receipt")`), and in the tasks' own modules."""
        qualnames = {t.qualname for t in tasks}
        names = self._names(tasks)
        words = re.compile(r"\b(?:%s)\b" % "|".join(map(re.escape, sorted(names))))
        hint = re.compile(f"{self.session.hint.pattern}|{words.pattern}")
        candidates = {str(f) for f, r in zip(files, results) if qualnames & set(r.tasks)}
        candidates |= {t.module.path for t in tasks}
        project = self.session.project
        # the installed packages read with the project (`libraries`) may send them too
        library = [Path(p) for p in project.index.by_path if project.in_library(p)]
        for file in [*project.every_python_file(), *library]:
            if str(file) not in candidates:
                source = self._source(str(file))
                if source is not None and words.search(source):
                    candidates.add(str(file))
        self.session.project.include(Path(p) for p in candidates)
        ordered = sorted(candidates)
        for number, path in enumerate(ordered, 1):
            if self.options.progress:
                print(f"\rpkify: reading {number}/{len(ordered)} files", end="", file=sys.stderr, flush=True)
            self._analyse(path, hint)
            unit = self.units.get(path)
            if unit is not None:
                self._account(path, unit, names, qualnames)
        if self.options.progress:
            print(file=sys.stderr)

    def _account(self, path: str, unit: Unit, names: Set[str], qualnames: Set[str]) -> None:
        """The references to the tasks in a file that are none of the calls the analysis found
        (a task kept in a dict, passed to a function pkify cannot follow): a fix that changes a
        task's signature could not follow them, so it leaves the task alone."""
        index = self.session.project.index
        module = unit.summary
        positions = unit.positions()
        ranges = [positions[s.call.node] for s in self.sites if s.path == path and s.call.node in positions]

        def covered(node: cst.CSTNode) -> bool:
            at = positions.get(node)
            if at is None:
                return True
            start, end = (at.start.line, at.start.column), (at.end.line, at.end.column)
            return any((r.start.line, r.start.column) <= start and end <= (r.end.line, r.end.column) for r in ranges)

        scopes = MetadataWrapper(unit.module, unsafe_skip_copy=True).resolve(ScopeProvider)
        module_scope = scopes.get(unit.module)
        references: List[Tuple[cst.CSTNode, str]] = []
        for scope in {s for s in scopes.values() if s is not None}:
            for access in scope.accesses:
                name = access.node
                if not isinstance(name, cst.Name) or not any(r.scope is module_scope for r in access.referents):
                    continue
                parent = _attribute_parent(unit, name)
                dotted = f"{name.value}.{parent.attr.value}" if parent is not None else name.value
                symbol = index.resolve(module, dotted)
                if symbol is not None and symbol.qualname in qualnames:
                    references.append((parent if parent is not None else name, symbol.qualname))
        for reference, qualname in references:
            if not covered(reference) and _handed_on(unit, reference):
                where = f"{display(path)}:{unit.line(reference)}"
                self.unexplained.setdefault(qualname, f"{where} (`{_statement_text(unit, reference)}`)")

    def _names(self, tasks: List[Task]) -> Set[str]:
        """The names the tasks go by in the project: their own, and every import alias."""
        index = self.session.project.index
        qualnames = {t.qualname for t in tasks}
        names = {t.qualname.rsplit(".", 1)[-1] for t in tasks}
        for module in index.modules():
            for local, target in module.imports.items():
                if local in names:
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
        self.facts[path] = facts
        reported = set() if self.session.project.in_library(path) else self._reported(path, facts)
        for fact in facts:
            if isinstance(fact, TaskCall):
                ids = {id(a.node) for a in fact.arguments if (unit.line(a.node), unit.column(a.node)) in reported}
                self.sites.append(Site(path, fact, ids))

    def _reported(self, path: str, facts) -> Set[Tuple[int, int]]:
        """Where `check` reports a fixable code in this file (`# noqa` and the settings applied)."""
        diagnostics = self.session.diagnostics(facts, path, Path(path))
        result = without_noqa(FileResult(path, diagnostics), Path(path), self.sources[path])
        codes = signature_codes()
        return {(d.line, d.column) for d in result.diagnostics if d.code in codes}

    def file_facts(self, path: str) -> Optional[Tuple[Unit, List[Fact]]]:
        """A file analysed whole (its unit is what the edits apply to) and its facts; None when
        it cannot be read (the error is kept for the output)."""
        self._analyse(path, self.session.hint)
        unit = self.units.get(path)
        return (unit, self.facts[path]) if unit is not None else None

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
            if site.call.forwarded:
                helper = site.call.forwarded.rsplit(".", 1)[-1]
                return _leave(decision, f"the call at {site.where} sends through the dispatch helper `{helper}`")
            mapped = map_arguments(task, site.call)
            if isinstance(mapped, str):
                return _leave(decision, f"the call at {site.where} {mapped}")
            for name in params:
                received.setdefault(name, []).append((site, mapped.get(name)))
        body_names = _names_in(node)
        unexplained = self.unexplained.get(task.qualname)
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
                if self.options.compat:  # the model old messages hold, for `isinstance()`
                    models = {
                        a.value.model if isinstance(a.value, QuerySet) else _container_model(a.value)
                        for site, a in uses
                        if a is not None and site.reports(a)
                    }
                    sent = {m for m in models if isinstance(m, str)}
                    shared = self._shared_model(sent, None) if sent and len(sent) == len(models) else None
                    if shared is None:
                        return _leave(decision, f"--compat: pkify cannot tell the model of the rows `{name}` was sent")
                    conversion.model = shared
                decision.conversions.append(conversion)
                continue
            silenced = next(
                (
                    site
                    for site, a in uses
                    if a is not None
                    and site.call.sends
                    and offending(a.value)
                    and not site.reports(a)
                    and not self.session.project.in_library(site.path)
                ),
                None,
            )
            if silenced is not None:
                return _leave(
                    decision,
                    f"the call at {silenced.where} is not reported (`# noqa`, --ignore or per-file-ignores) "
                    f"and would be left behind",
                )
            if unexplained is not None:
                return _leave(decision, f"pkify cannot follow the reference at {unexplained}, which would be left behind")
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
            taken = next((n for n in conversion.names() if n in params or n in body_names), None)
            if taken is not None:
                return _leave(decision, f"the name `{taken}` is already used in the task")
            decision.conversions.append(conversion)
        project = self.session.project
        changes_signature = not all(c.sites_only for c in decision.conversions)
        sent_by_library = next((site for site in sites if project.in_library(site.path)), None)
        if not decision.conversions:
            decision.reason = "no parameter to change"
        elif project.in_library(task.module.path) and changes_signature:
            return _leave(decision, "it is defined in an installed package (`libraries`), which pkify does not rewrite")
        elif sent_by_library is not None and changes_signature:
            return _leave(
                decision,
                f"it is also sent from an installed package at {sent_by_library.where} (`libraries`), "
                "which pkify does not rewrite",
            )
        return decision

    def _conversion(self, name: str, uses, default, node: cst.FunctionDef) -> "Conversion | str":
        kinds: Set[str] = set()
        models: Set[Optional[str]] = set()
        lists = False
        keys: Optional[Dict[str, Optional[str]]] = None
        resent: Optional[Site] = None  # the task sends its own parameter again
        for site, argument in uses:
            if argument is None:
                if default is None:
                    return f"the call at {site.where} leaves out `{name}`, which has no default"
                if not (isinstance(default, cst.Name) and default.value == "None"):
                    return f"`{name}` has a default other than None"
                continue
            value = argument.value
            if _is_own_parameter(site, argument, name, node):
                resent = site
                continue  # `self.retry(args=(order,))` inside the task: the new parameter
            if isinstance(value, Instance):
                kinds.add("one")
                models.add(value.model)
            elif isinstance(value, QuerySet):
                if value.what == "values queryset":
                    return f"the call at {site.where} sends a `values()` QuerySet; pass `list(...)` of it by hand"
                kinds.add("many")
                models.add(value.model)
            elif isinstance(value, Mapping):
                found = _mapping_keys(value)
                if isinstance(found, str) or (keys is not None and found != keys):
                    why = found if isinstance(found, str) else "holds rows under other keys than elsewhere"
                    return f"the dict the call at {site.where} sends {why}"
                keys = found
                kinds.add("mapping")
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
        if kinds == {"mapping"} and resent is not None:
            # The task's dict holds rows again once they are fetched: sending it again would need
            # `{**event, "customer": event["customer"].pk}`, which the analysis reads as still
            # holding the row (a later key does not replace an earlier one there).
            return f"the task sends its dict `{name}` again at {resent.where}; pkify does not rewrite that"
        if kinds == {"mapping"} and keys:
            if None in keys.values():
                return f"the model of the rows `{name}` holds is not known at every call site"
            default_none = isinstance(default, cst.Name) and default.value == "None"
            pairs = tuple(sorted((k, m) for k, m in keys.items() if m is not None))
            return Conversion(name, name, False, False, None, default_none=default_none, keys=pairs)
        if None in models or not models:
            return f"the model of `{name}` is not the same known model at every call site"
        model = self._shared_model({m for m in models if m is not None}, _annotated_model(node, name, self.models))
        if model is None:
            return f"the model of `{name}` is not the same known model at every call site"
        many = kinds == {"many"}
        return Conversion(
            name,
            _plural_id(name) if many else _singular_id(name),
            many,
            lists,
            model,
            default_none=isinstance(default, cst.Name) and default.value == "None",
            sent=tuple(sorted(m for m in models if m is not None and m != model)),
        )

    def _shared_model(self, models: Set[str], annotated: Optional[str]) -> Optional[str]:
        """The model to fetch the rows of several call sites with: the one the parameter's
        annotation names when every call site's rows are of it (it, a proxy of it, a child of
        it); else the most specific model with a table that all of them are (the concrete model
        of proxies, the parent of multi-table children); None when they share none."""
        catalog = self.models

        def lineage(model: str) -> List[str]:
            """The model and the project models it inherits from (proxies included, abstract
            models not), nearest first."""
            return [model, *(p for p in catalog.concrete_parents(model) if p != model)]

        def tables(model: str) -> List[str]:
            """Of those, the models with a table of their own (a proxy's rows are its concrete
            model's; a proxy's manager may hide some of them)."""
            found = [m for m in lineage(model) if not getattr(catalog.model(m), "proxy", False)]
            return found or [model]

        common: Optional[List[str]] = None
        for model in sorted(models):
            own = tables(model)
            common = own if common is None else [m for m in common if m in own]
        if annotated is not None and models and all(annotated in lineage(m) for m in models):
            return annotated
        return common[0] if common else None

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
                if conversion.keys:  # the entries of the dict that hold rows, wherever it was written
                    assert isinstance(argument.value, Mapping)
                    for entry in argument.value.entries:
                        if entry.key in dict(conversion.keys) and entry.node is not None:
                            edits[entry.node] = E.pk_edit(entry.value)
                    continue
                if _is_own_parameter(site, argument, name, node):
                    edits[argument.node] = E.replace_with(cst.Name(conversion.new_name))
                else:
                    edits[argument.node] = E.pk_edit(argument.value)
                if argument.keyword is not None and argument.holder is not None:
                    edits[argument.holder] = E.rename_keyword(conversion.new_name)
        # With --compat, a task that already takes keys changes too: old messages hold instances.
        changing = [c for c in decision.conversions if not c.sites_only or self.options.compat]
        if not changing:
            return
        keywords = _compat_keywords(node, changing) if self.options.compat else {}
        if self.options.compat:
            renamed = {c.param for c in changing if c.new_name != c.param}
            refused = [p.name.value for p in node.params.params if p.name.value in renamed - set(keywords)]
            decision.compat = "--compat: accepts the messages sent before the fix" + (
                ", except those that name " + ", ".join(f"`{p}`" for p in refused) + " (a parameter without "
                "a default follows it)"
                if refused
                else ""
            )
        definition_edits = file_edits.setdefault(task.module.path, {})
        definition_edits[node] = E.rewrite_definition(
            changing, self._fetches(task, changing, node.name.value, keywords), self._pk_is_int, keywords
        )
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

    def _model_reference(self, task: Task, model: str) -> Tuple[str, Optional[Tuple[str, str, Optional[str]]]]:
        """How the task's module names the model, and what to import for it (module, name,
        alias; None if nothing)."""
        name = model.rsplit(".", 1)[-1]
        index = self.session.project.index
        bound = None if name in task.module.type_checking else index.lookup(task.module, name)
        if bound is not None and bound.qualname == model:
            return name, None
        module = model.rsplit(".", 1)[0]
        if bound is not None:  # the name means something else there
            alias = f"{name}Model"
            return alias, (module, name, alias)
        return name, (module, name, None)

    def _fetches(
        self, task: Task, conversions: List[Conversion], function: str, keywords: Dict[str, bool]
    ) -> List[cst.BaseStatement]:
        """The statements at the top of the task: the imports of the models (unless at the top
        of the module), what `--compat` adds for old messages, the fetches."""
        statements: List[cst.BaseStatement] = []
        if self.options.imports == "local":
            statements += self._imports(task, conversions)
        if self.options.compat:
            for conversion in conversions:
                names = {model: self._fetcher(task, model)[0] for model in conversion.models()}
                keyword = conversion.param in keywords
                statements += E.compat_statements(
                    conversion, names, function, keyword, keyword and keywords[conversion.param]
                )
        for conversion in (c for c in conversions if not c.sites_only):
            if conversion.keys:
                fetched = [(key, *self._fetcher(task, model)) for key, model in conversion.keys]
                statements.append(E.rebuild_mapping(conversion, fetched, self.options.missing))
                continue
            assert conversion.model is not None
            name, manager = self._fetcher(task, conversion.model)
            statements += E.fetch_statements(conversion, name, manager, self.options.missing)
        return statements

    def _fetcher(self, task: Task, model: str) -> Tuple[str, str]:
        """How the task's module names the model, and the manager to fetch its rows with."""
        name, _ = self._model_reference(task, model)
        info = self.models.model(model)
        return name, "objects" if info is None or "objects" in info.managers else "_default_manager"

    def _imports(self, task: Task, conversions: List[Conversion]) -> List[cst.BaseStatement]:
        """One `from shop.models import Customer, Order` per module the models come from."""
        wanted: Dict[str, List[Tuple[str, Optional[str]]]] = {}
        for model in (m for c in conversions for m in c.models()):
            _, imported = self._model_reference(task, model)
            if imported is not None:
                module, name, alias = imported
                names = wanted.setdefault(module, [])
                if (name, alias) not in names:
                    names.append((name, alias))
        return [E.import_statement(module, sorted(names, key=lambda n: (n[0], n[1] or ""))) for module, names in wanted.items()]


def _describe(conversion: Conversion) -> str:
    if conversion.sites_only:
        return f"`{conversion.param}` (already a primary key in the task: call sites pass `.pk`)"
    if conversion.keys:
        keys = ", ".join(f'`"{key}"`' for key, _ in conversion.keys)
        return f"`{conversion.param}` (a dict: call sites pass primary keys under {keys}, the task fetches them)"
    text = f"`{conversion.param}` -> `{conversion.new_name}`"
    if conversion.sent and conversion.model:
        shared = conversion.model.rsplit(".", 1)[-1]
        others = ", ".join(f"`{m.rsplit('.', 1)[-1]}`" for m in conversion.sent)
        text += f" (fetched as `{shared}`, which the {others} rows sent are too)"
    return text


def _annotated_model(node: cst.FunctionDef, name: str, catalog) -> Optional[str]:
    """The model a task's parameter is annotated with, when the annotation is a model's name
    (`order: Order`, `order: "shop.Order"`)."""
    params = node.params
    for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
        if param.name.value == name and param.annotation is not None:
            text = cst.Module(body=[]).code_for_node(param.annotation.annotation).strip("\"' ")
            last = text.rsplit(".", 1)[-1]
            found = [m for m in catalog.models() if m.rsplit(".", 1)[-1] == last]
            return found[0] if len(found) == 1 else None
    return None


def _attribute_parent(unit: Unit, name: cst.Name) -> Optional[cst.Attribute]:
    """`tasks.send_receipt` when `name` is `tasks` in it."""
    parent = unit.parents().get(name)
    return parent if isinstance(parent, cst.Attribute) and parent.value is name else None


def _handed_on(unit: Unit, node: cst.CSTNode) -> bool:
    """Whether a reference to a task hands it to code that may call it in ways pkify does not
    see: kept in a container, passed to a call that is not one pkify understands, returned.
    (Calls pkify understands cover their references; imports, registrations with
    `app.register_task`, reading an attribute do not pass arguments.)"""
    parent = unit.parents().get(node)
    if isinstance(parent, (cst.Element, cst.DictElement, cst.Return)):
        return True
    if isinstance(parent, cst.Arg):
        call = unit.parents().get(parent)
        if not isinstance(call, cst.Call):
            return True
        if _PATCH_OBJECT.search(unit.code(call.func)) and call.args and call.args[0] is parent:
            return False  # `mock.patch.object(task, "delay")`: a mock takes its place (its assertions are facts)
        name = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
        return name != "register_task"
    return False


_PATCH_OBJECT = re.compile(r"(?:^|\.)patch\.object$")


def _statement_text(unit: Unit, node: cst.CSTNode) -> str:
    """The simple statement that holds `node`, on one line, shortened."""
    parents = unit.parents()
    while node in parents and not isinstance(node, (cst.SimpleStatementLine, cst.Decorator)):
        node = parents[node]
    if isinstance(node, cst.Decorator):
        text = "@" + " ".join(unit.code(node.decorator).split())
        return text if len(text) <= 60 else text[:57] + "..."
    parts = node.body if isinstance(node, cst.SimpleStatementLine) else [node]
    text = " ".join("; ".join(unit.code(part) for part in parts).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _compat_keywords(node: cst.FunctionDef, conversions: List[Conversion]) -> Dict[str, bool]:
    """The renamed parameters whose old name `--compat` keeps as a keyword-only parameter (for
    messages that sent it by keyword), each with whether its new parameter gets a default of
    None for that, having none (it may only when every positional parameter after it has a
    default, or gets one). None for a positional-only parameter: no message names it."""
    renamed = {c.param for c in conversions if c.new_name != c.param}
    found: Dict[str, bool] = {}
    later_defaults = True  # every positional parameter after this one has a default
    for param in reversed(node.params.params):
        name = param.name.value
        if name in renamed and (param.default is not None or later_defaults):
            found[name] = param.default is None
        later_defaults = later_defaults and (param.default is not None or found.get(name, False))
    for param in node.params.kwonly_params:
        if param.name.value in renamed:
            found[param.name.value] = param.default is None
    return found


def _functions(module: cst.Module) -> List[cst.FunctionDef]:
    found: List[cst.FunctionDef] = []

    class Collector(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            found.append(node)

    module.visit(Collector())
    return found


def _finish(node: cst.CSTNode) -> cst.CSTNode:
    assert isinstance(node, cst.FunctionDef)
    return E.finish_compat(node)


def _then(first: E.Edit, then: Callable[[cst.FunctionDef], cst.FunctionDef]) -> E.Edit:
    def edit(node: cst.CSTNode) -> cst.CSTNode:
        done = first(node)
        assert isinstance(done, cst.FunctionDef)
        return then(done)

    return edit


def _leave(decision: Decision, reason: str) -> Decision:
    decision.reason = reason
    decision.conversions = []
    return decision


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


def _mapping_keys(value: Mapping) -> "Dict[str, Optional[str]] | str":
    """The keys of a dict that hold rows, with their model; or what makes it one pkify cannot
    rewrite."""
    found: Dict[str, Optional[str]] = {}
    for entry in value.entries:
        if isinstance(entry.value, Instance):
            if entry.key is None or entry.node is None:
                return "holds rows under keys pkify cannot read"
            found[entry.key] = entry.value.model
        elif offending(entry.value):
            return "holds several rows under one key"
    if offending(value.values):
        return "holds rows under keys pkify cannot read"
    return found


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
