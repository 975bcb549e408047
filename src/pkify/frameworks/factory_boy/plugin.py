"""factory_boy for the analysis: a project class derived from `DjangoModelFactory` with a
`class Meta: model = Order` (its own or inherited) makes `Order` rows: `OrderFactory()`,
`.create()`, `.build()` give one, `.create_batch(n)` / `.build_batch(n)` a list of them. Tests
send what factories make, and `pkify fix` must see those calls as callers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from ...analysis.plugin import Plugin
from ...analysis.values import Args, Origin, Value
from ...project.index import Symbol
from ...project.summary import Ref, Str, literal
from ..django_orm.plugin import DjangoORM
from ..django_orm.values import Instance, Instances

if TYPE_CHECKING:  # pragma: no cover
    from ...analysis.state import InferenceState

MODEL_FACTORIES = frozenset({"factory.django.DjangoModelFactory", "factory.DjangoModelFactory"})
ONE = frozenset({"create", "build", "_create", "_build"})
MANY = frozenset({"create_batch", "build_batch"})


@dataclass(frozen=True)
class ModelFactory(Value):
    """A factory class of the project, and the model it makes."""

    qualname: str
    model: str

    def call(self, state: "InferenceState", args: Args, origin: Origin) -> Value:
        return Instance(self.model, origin)

    def method_call(self, state: "InferenceState", name: str, args: Args, origin: Origin) -> Optional[Value]:
        if name in ONE:
            return Instance(self.model, origin)
        if name in MANY:
            return Instances(self.model, origin)
        return None


class FactoryBoy(Plugin):
    def class_value(self, symbol: Symbol) -> Optional[Value]:
        index = self.state.index
        if not index.has_ancestor(symbol.qualname, MODEL_FACTORIES):
            return None
        found = index.class_meta(symbol.qualname, "model")
        if found is None:
            return None
        module, expr = found
        models = self.state.plugin(DjangoORM).catalog
        if isinstance(expr, Ref):
            model = index.expr_qualname(module, expr)
            return ModelFactory(symbol.qualname, model) if model and models.is_model_class(model) else None
        label = literal(expr) if isinstance(expr, Str) else None
        model = models.model_by_label(label) if isinstance(label, str) else None
        return ModelFactory(symbol.qualname, model) if model else None
