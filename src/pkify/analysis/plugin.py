"""The interface between the analysis and what it knows of frameworks.

The analysis knows Python. What a framework adds (that `Order.objects.get()` is a row, that
`send.delay(order)` sends `order` to a task) comes from plugins: the inference state asks each
plugin in turn, and the first that answers wins; a plugin answers None for what is not its
business. Modelled on jedi's `plugins/django.py` hooks and pytype's overlays. The analysis never
imports a plugin by name: the front ends hand the state the plugins to use
(`pkify.frameworks.PLUGINS`).

A plugin is made for one inference state (`self.state`), and may keep what it computes from
the project there (a catalog of models, of tasks), memoised in `state.memo`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, FrozenSet, Optional

from .values import Args, Origin, Value

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from ..project.index import Symbol, TypeForm
    from ..project.summary import ModuleSummary
    from .evaluator import Evaluator
    from .facts import Fact
    from .state import Function, InferenceState


class Plugin:
    # Decorators that leave a function a plain function (known not to be something else).
    transparent_decorators: FrozenSet[str] = frozenset()
    # Regular expressions, alternatives of the pattern a file must match to be analysed at all
    # (`\.delay\(`): files without any are never parsed with libcst.
    hints: FrozenSet[str] = frozenset()
    # Members every object of the framework's classes has (a model's `save`, `pk`): an object
    # that has one may be of any of them (see `InferenceState.parameter_from_uses`).
    common_members: FrozenSet[str] = frozenset()

    def __init__(self, state: "InferenceState") -> None:
        self.state = state

    # --- names -----------------------------------------------------------------------------------

    def class_value(self, symbol: "Symbol") -> Optional[Value]:
        """A project class as a value (a model class, a task class)."""
        return None

    def function_value(self, symbol: "Symbol") -> Optional[Value]:
        """A project function as a value (a task)."""
        return None

    def external_value(self, qualname: str) -> Optional[Value]:
        """A name from outside the project (Django's `User`, Celery's `current_app`)."""
        return None

    # --- behaviour -------------------------------------------------------------------------------

    def attribute(self, base: Value, name: str, origin: Origin) -> Optional[Value]:
        """`base.name`, before the value's own `attribute` (`x.pk` is a key whatever x is)."""
        return None

    def library_call(self, qualname: str, args: Args, origin: Origin) -> Optional[Value]:
        """A call of a function from outside the project (`get_object_or_404(...)`)."""
        return None

    def instance_value(self, class_qualname: str, origin: Origin) -> Optional[Value]:
        """What calling a project class gives (a form, a Celery app)."""
        return None

    def self_value(self, class_qualname: str, origin: Origin) -> Optional[Value]:
        """What `self` is in a method of a project class (a row of a model, a view)."""
        return None

    def annotation_value(self, form: "TypeForm", origin: Origin, receiver: Value) -> Optional[Value]:
        """What an annotation says a value is (`Order`, `QuerySet[Order]`). `receiver`: the
        `self` of the function whose return is annotated, or UNKNOWN."""
        return None

    def parameter_values(self, function: "Function") -> Dict[str, Value]:
        """Parameters whose value follows from where the function is used (a signal
        receiver's `instance`, an admin action's `queryset`), by name."""
        return {}

    def first_parameter(self, function: "Function") -> Optional[Value]:
        """The first parameter of a function that is not a method (a bound task's `self`)."""
        return None

    # --- facts -----------------------------------------------------------------------------------

    def call_fact(self, evaluator: "Evaluator", node: "cst.Call") -> "Optional[Fact]":
        """A call this plugin records (a task call), else None."""
        return None

    def fact_names(self, module: "ModuleSummary") -> FrozenSet[str]:
        """The names (`delay`, `send_receipt`) a call in `module` must be made with for
        `call_fact` to record it: a walk for facts runs only the statements that make such
        calls and those they need (see `analysis.focus`)."""
        return frozenset()

    def returns_fact(self, function: "cst.FunctionDef") -> bool:
        """Whether `return_fact` may record the `return` statements of this function (a
        task's, by its decorators or name): they are then run in a walk for facts."""
        return False

    def return_fact(self, evaluator: "Evaluator", node: "cst.Return", value: Value) -> "Optional[Fact]":
        """A `return` statement this plugin records (what a task returns), else None. `value`
        may be lazy: `evaluator.force(value)` when it matters."""
        return None

    # --- summaries -------------------------------------------------------------------------------

    def assignment_value(self, symbol: "Symbol") -> Optional[Value]:
        """A module- or class-level assignment's value, read from its summary form, when the
        plugin knows it better than a call would tell (`app.register_task(Task())`, a project's
        `Signal()`)."""
        return None
