"""Executing code abstractly: a function (with its parameters' values), a class body, a module,
and the facts of a checked file.

A checked file is read as fragments (see `units`): only the functions whose lines match the
plugins' hint are parsed and walked; when a match is outside every function (module- or
class-level code) the whole module is. Nested functions and classes are walked where they stand,
with the names bound at that point visible inside (a closure).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Optional, Pattern, Set, Tuple

import libcst as cst

from ..project.summary import ModuleSummary
from .evaluator import Env, Evaluator, Scope
from .facts import Fact, Frame, Observer, Recorder
from .focus import Focus
from ..project.files import SourceError
from ..project.regions import split_lines
from .units import Fragment, Unit, cut, fragments, hint_lines, interesting_scopes, parse_ast, parse_module
from .values import Value
from .walker import Walker

if TYPE_CHECKING:  # pragma: no cover
    from .state import InferenceState


def walk_function(
    state: "InferenceState",
    unit: Unit,
    node: cst.FunctionDef,
    outer: Tuple[Env, ...],
    owner: Optional[str],
    qualname: str,
    receiver: Optional[Value],
    recorder: Optional[Recorder],
    nested: bool = True,
    frame: Optional[Frame] = None,
    bindings: Optional[Dict[str, Value]] = None,
    focus: Optional[Focus] = None,
) -> Walker:
    """Walk one function body; `outer` holds the enclosing functions' names. `receiver`: what
    its `self` is (None: what the class says); `bindings`: what a call passes to its parameters;
    `focus`: the only statements to run (else the recorder's)."""
    env = state.parameters(unit, node, owner, qualname, receiver, bindings)
    evaluator = Evaluator(state, unit, Scope(env, outer, owner, qualname), recorder)
    on_function = None
    if nested:
        local = qualname[len(unit.summary.name) + 1 :]
        on_function = _nested(state, unit, f"{local}.<locals>", None, outer, True, recorder)
    walker = Walker(evaluator, on_function, focus=focus)
    if recorder is None:
        walker.end = walker.walk(node.body.body, env)
        return walker
    frame = frame or Frame()
    frame.function, frame.owner, frame.body = qualname, owner, node.body.body
    if recorder.calls:  # where a recorded call stands (a walk that records no facts needs none)
        frame.decorators = tuple(evaluator.lazy_value(d.decorator) for d in node.decorators)
    with recorder.entering(frame):
        walker.end = walker.walk(node.body.body, env)
    return walker


def _nested(
    state: "InferenceState",
    unit: Unit,
    prefix: str,
    owner: Optional[str],
    outer: Tuple[Env, ...],
    closure: bool,
    recorder: Optional[Recorder],
    scopes: Optional[Set[str]] = None,
):
    """The handler for a def or class met while walking: analyse it where it stands.
    `closure`: the names bound at that point are visible inside (not so for module- and
    class-level names, which are looked up otherwise). `scopes`: the only ones to walk."""

    def handle(node: cst.CSTNode, env: Env, evaluator: Evaluator) -> None:
        assert isinstance(node, (cst.FunctionDef, cst.ClassDef))
        name = f"{prefix}.{node.name.value}" if prefix else node.name.value
        if scopes is not None and name not in scopes:
            return
        inner_outer = (dict(env), *outer) if closure else outer
        if isinstance(node, cst.FunctionDef):
            frame = None
            if recorder is not None and recorder.calls and closure:
                parent = recorder.context()
                callees = recorder.callbacks(node.name.value)
                frame = Frame(parent=parent, passed_to=tuple(evaluator.lazy_value(c) for c in callees))
            qualname = f"{unit.summary.name}.{name}"
            walk_function(state, unit, node, inner_outer, owner, qualname, None, recorder, frame=frame)
        else:
            walk_class(state, unit, node, inner_outer, name, recorder, scopes)

    return handle


def walk_class(
    state: "InferenceState",
    unit: Unit,
    node: cst.ClassDef,
    outer: Tuple[Env, ...],
    name: str,
    recorder: Optional[Recorder],
    scopes: Optional[Set[str]] = None,
) -> None:
    qualname = f"{unit.summary.name}.{name}"
    evaluator = Evaluator(state, unit, Scope({}, outer, qualname), recorder)
    on_function = _nested(state, unit, name, qualname, outer, False, recorder, scopes)
    walker = Walker(evaluator, on_function, module_level=True)  # class-level names are not visible to methods
    if recorder is None:
        walker.walk(node.body.body, evaluator.env)
        return
    with recorder.entering(Frame(owner=qualname)):
        walker.walk(node.body.body, evaluator.env)


def walk_module(
    state: "InferenceState",
    unit: Unit,
    scopes: Optional[Set[str]] = None,
    observe: Optional[Observer] = None,
    recorder: Optional[Recorder] = None,
) -> List[Fact]:
    """The facts of a whole module, in the order met. `scopes`: the only functions and classes
    worth walking (see `units.interesting_scopes`); None walks them all. `observe(fact,
    evaluator)` sees each fact with the evaluator where it stands."""
    recorder = recorder or Recorder(state, unit, observe)
    evaluator = Evaluator(state, unit, Scope({}), recorder)
    walker = Walker(evaluator, _nested(state, unit, "", None, (), False, recorder, scopes), module_level=True)
    walker.walk(unit.module.body, evaluator.env)
    return recorder.facts


def walk_unit(state: "InferenceState", unit: Unit, recorder: Recorder) -> List[Fact]:
    """A unit walked with a recorder of the caller's: a whole module, or a function alone."""
    if unit.fragment is None:
        return walk_module(state, unit, recorder=recorder)
    return walk_fragment(state, unit, recorder)


def walk_fragment(state: "InferenceState", unit: Unit, recorder: Optional[Recorder] = None) -> List[Fact]:
    """The facts of a function cut out of its module."""
    assert unit.fragment is not None
    recorder = recorder or Recorder(state, unit)
    found = unit.function(unit.fragment.qualname)
    assert found is not None
    node, owner = found
    walk_function(state, unit, node, (), owner, f"{unit.summary.name}.{unit.fragment.qualname}", None, recorder)
    return recorder.facts


def file_facts(state: "InferenceState", summary: ModuleSummary, source: str, hint: Pattern[str]) -> List[Fact]:
    """The facts of a checked file: only the functions whose lines match `hint` are parsed,
    unless a match is outside every function. Raises SourceError when the file does not parse."""
    lines = hint_lines(source, hint)
    found: List[Fact] = []
    parts: List[Optional[Fragment]] = [None]
    cut_out = fragments(summary, lines)
    if cut_out:
        parts = list(cut_out)
    # The file as on disk (not standard input, not an editor's buffer): its functions parsed
    # alone are shared with the rest of the analysis (a function's callers, what it returns).
    on_disk = state.same_on_disk(summary.path, source)
    source_lines = split_lines(source)
    for fragment in parts:
        if fragment is None:
            unit = None
        elif on_disk:
            unit = state.fragment_unit(summary, fragment)
        else:
            unit = _fragment(summary, fragment, source_lines)
        if unit is None:  # the whole module is needed, or a function does not parse alone
            state.memo.note_read(summary.path)
            tree = parse_ast(source)
            whole = Unit(summary, parse_module(source))
            scopes = interesting_scopes(tree, lines) if tree else None
            return walk_module(state, whole, scopes, recorder=state.facts_recorder(whole))
        found.extend(walk_fragment(state, unit, state.facts_recorder(unit)))
    return found


def module_facts(
    state: "InferenceState", summary: ModuleSummary, source: str, hint: Pattern[str]
) -> Tuple[Unit, List[Fact]]:
    """A file parsed whole (positions, and rewrites, are the file's) and the facts of its
    functions and classes whose lines match `hint`: the same facts as `file_facts` finds (a
    function sees module-level names the same way whether it is parsed alone or not)."""
    unit = Unit(summary, parse_module(source))
    lines = hint_lines(source, hint)
    if not lines:
        return unit, []
    tree = parse_ast(source)
    scopes = interesting_scopes(tree, lines) if tree else None
    return unit, walk_module(state, unit, scopes, recorder=state.facts_recorder(unit))


def _fragment(summary: ModuleSummary, fragment: Fragment, source_lines: List[str]) -> Optional[Unit]:
    code, dedented = cut(source_lines, fragment.start, fragment.end, fragment.indent)
    try:
        module = parse_module(code)
    except (SourceError, RecursionError):
        return None
    if len(module.body) != 1 or not isinstance(module.body[0], cst.FunctionDef):
        return None
    return Unit(summary, module, fragment, dedented)
