"""The symbol index: every module's summary, and what its names refer to.

Built once per run from all Python files under the project root, so that a name imported in
`views.py` resolves to its definition in `tasks.py`. It knows Python (modules, imports, classes,
ancestry, assignments, annotations) and nothing of Django or Celery: the framework plugins build
their catalogs (models, tasks, receivers, ...) on top of it. Every query is memoised in the
index's `memo`, which the plugins' catalogs and the inference state share: adding a module
clears it all at once.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Tuple, Union

from .memo import Memo, memoized
from .project import Reexport
from .summary import OTHER, AnnotationText, Call, ClassSummary, Expr, FunctionSummary, ModuleSummary, Ref, Sub

SymbolNode = Union[ClassSummary, FunctionSummary, Expr, None]


@dataclass(frozen=True)
class Symbol:
    """What a name refers to. `external` symbols are outside the project (Django, Celery, ...)."""

    kind: str  # "module", "class", "function", "assignment", "external"
    qualname: str
    module: Optional[ModuleSummary] = field(default=None, compare=False)
    node: SymbolNode = field(default=None, compare=False)  # ClassSummary / FunctionSummary / Expr

    @property
    def class_summary(self) -> ClassSummary:
        assert isinstance(self.node, ClassSummary), self
        return self.node

    @property
    def function_summary(self) -> FunctionSummary:
        assert isinstance(self.node, FunctionSummary), self
        return self.node

    @property
    def expression(self) -> Expr:
        assert isinstance(self.node, Expr), self
        return self.node


@dataclass(frozen=True)
class TypeForm:
    """An annotation with its names resolved: `Optional[QuerySet[Order]]` is
    TypeForm("django.db.models.QuerySet", (TypeForm("shop.models.Order"),)); `Optional`, `Union`
    with None, `X | None`, `Annotated` and string annotations are unwrapped, aliases followed.
    `qualname` is None for what does not resolve to a name (a literal, an ellipsis)."""

    qualname: Optional[str]
    args: Tuple["TypeForm", ...] = ()

    @property
    def name(self) -> str:
        return last(self.qualname or "")


# Names that resolve even though no module defines them: the builtins pkify reads.
BUILTIN_NAMES = frozenset(
    {"staticmethod", "classmethod", "property", "list", "tuple", "set", "dict", "frozenset", "sorted", "object"}
)


def last(qualname: str) -> str:
    return qualname.rsplit(".", 1)[-1]


class SymbolIndex:
    def __init__(self, root: Path, summaries: Iterable[ModuleSummary], reexports: Tuple[Reexport, ...] = ()) -> None:
        self.root = root
        self.reexports = reexports
        self.memo = Memo()
        self.by_path: Dict[str, ModuleSummary] = {}
        self.by_name: Dict[str, List[ModuleSummary]] = {}
        for summary in summaries:
            self.by_path[summary.path] = summary
            self.by_name.setdefault(summary.name, []).append(summary)

    def include(self, *summaries: ModuleSummary) -> None:
        """Add modules that the walk from the root did not find (and forget every answer)."""
        for summary in summaries:
            self.by_path[summary.path] = summary
            self.by_name.setdefault(summary.name, []).append(summary)
        self.memo.clear()

    def modules(self) -> Iterable[ModuleSummary]:
        return self.by_path.values()

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

    @staticmethod
    def absolute(module: ModuleSummary, target: str) -> str:
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

    @memoized(default=None)
    def resolve(self, module: ModuleSummary, dotted: str) -> Optional[Symbol]:
        """What a dotted name written in `module` refers to."""
        first, *rest = dotted.split(".")
        symbol = self.lookup(module, first)
        for part in rest:
            if symbol is None:
                return None
            symbol = self.member(symbol, part)
        return symbol

    @memoized(default=None)
    def lookup(self, module: ModuleSummary, name: str) -> Optional[Symbol]:
        """A module-level name of `module`."""
        if name in module.classes:
            return Symbol("class", f"{module.name}.{name}", module, module.classes[name])
        if name in module.functions:
            return Symbol("function", f"{module.name}.{name}", module, module.functions[name])
        if name in module.imports:
            return self.resolve_qualname(self.absolute(module, module.imports[name]), module)
        if name in module.assignments:
            return Symbol("assignment", f"{module.name}.{name}", module, module.assignments[name])
        for star in module.star_imports:
            target = self.find_module(self.absolute(module, star), module)
            if target is not None and target is not module:
                found = self.lookup(target, name)
                if found is not None:
                    return found
        if module.is_package:
            sub = self.find_module(f"{module.name}.{name}", module)
            if sub is not None:
                return Symbol("module", sub.name, sub)
        return Symbol("external", name) if name in BUILTIN_NAMES else None

    @memoized(default=None)
    def resolve_qualname(self, qualname: str, near: Optional[ModuleSummary] = None) -> Optional[Symbol]:
        """A fully qualified name: the project symbol, or an external one."""
        parts = qualname.split(".")
        for cut in range(len(parts), 0, -1):
            module = self.find_module(".".join(parts[:cut]), near)
            if module is not None:
                symbol: Optional[Symbol] = Symbol("module", module.name, module)
                for part in parts[cut:]:
                    if symbol is None:
                        return None
                    symbol = self.member(symbol, part)
                return symbol
        return self.external(qualname)

    def external(self, qualname: str) -> Symbol:
        """A name from outside the project, by the module that defines it (see `Reexport`)."""
        for reexport in self.reexports:
            canonical = reexport.canonical(qualname)
            if canonical is not None:
                return Symbol("external", canonical)
        return Symbol("external", qualname)

    @memoized(default=None)
    def member(self, symbol: Symbol, name: str) -> Optional[Symbol]:
        """`symbol.name`: a module's name, a class's method, nested class or class attribute; an
        attribute of an instance assigned at module level (`app = Celery()`, `app.Task`)."""
        if symbol.kind == "external":
            return self.external(f"{symbol.qualname}.{name}")
        if symbol.kind == "module":
            assert symbol.module is not None
            return self.lookup(symbol.module, name)
        if symbol.kind == "class":
            cls = symbol.class_summary
            module = symbol.module
            assert module is not None
            if name in cls.methods:
                return Symbol("function", f"{symbol.qualname}.{name}", module, cls.methods[name])
            nested = f"{cls.qualname}.{name}"
            if nested in module.classes:
                return Symbol("class", f"{module.name}.{nested}", module, module.classes[nested])
            if name in cls.attributes:
                return Symbol("assignment", f"{symbol.qualname}.{name}", module, cls.attributes[name])
            return None
        if symbol.kind == "assignment":
            assert symbol.module is not None
            target = self.expr_symbol(symbol.module, symbol.expression)
            if target is not None and target.kind != "assignment":
                return self.member(target, name)
            value = symbol.expression
            if isinstance(value, Call) and isinstance(value.func, Ref):
                cls = self.expr_symbol(symbol.module, value.func)
                if cls is not None and cls.kind in ("class", "external"):
                    return self.instance_member(cls.qualname, name)
        return None

    def instance_member(self, class_qualname: str, name: str) -> Optional[Symbol]:
        """An attribute of an instance of a class: the nearest ancestor's, or the first external
        ancestor's (`celery.Celery.Task`)."""
        for ancestor in self.ancestry(class_qualname):
            symbol = self.resolve_qualname(ancestor)
            if symbol is None:
                continue
            if symbol.kind == "external":
                return Symbol("external", f"{ancestor}.{name}")
            found = self.member(symbol, name) if symbol.kind == "class" else None
            if found is not None:
                return found
        return None

    @memoized(default=None)
    def expr_symbol(self, module: ModuleSummary, expr: Optional[Expr]) -> Optional[Symbol]:
        """The symbol an expression names, following `alias = other` assignments."""
        if not isinstance(expr, Ref):
            return None
        symbol = self.resolve(module, expr.name)
        seen = 0
        while symbol is not None and symbol.kind == "assignment" and isinstance(symbol.node, Ref) and seen < 10:
            assert symbol.module is not None
            symbol = self.resolve(symbol.module, symbol.node.name)
            seen += 1
        return symbol

    def expr_qualname(self, module: ModuleSummary, expr: Optional[Expr]) -> Optional[str]:
        symbol = self.expr_symbol(module, expr)
        return symbol.qualname if symbol is not None else None

    def is_external(self, qualname: str) -> bool:
        symbol = self.resolve_qualname(qualname)
        return symbol is not None and symbol.kind == "external"

    def class_symbol(self, qualname: Optional[str]) -> Optional[Symbol]:
        """The project class of that name, or None."""
        if not qualname:
            return None
        symbol = self.resolve_qualname(qualname)
        return symbol if symbol is not None and symbol.kind == "class" else None

    # --- classes ---------------------------------------------------------------------------------

    def base_symbols(self, symbol: Symbol) -> List[Symbol]:
        """A class's bases. A base written as a call of a factory method (`Manager.from_queryset(QS)`)
        counts as the method's class; a subscripted one (`Generic[T]`) as what is subscripted."""
        result = []
        assert symbol.module is not None
        for base in symbol.class_summary.bases:
            if isinstance(base, Call):
                base = base.func
                if isinstance(base, Ref) and "." in base.name and last(base.name)[:1].islower():
                    base = Ref(base.name.rpartition(".")[0])
            if isinstance(base, Sub):
                base = base.value
            resolved = self.expr_symbol(symbol.module, base)
            if resolved is not None and resolved.kind in ("class", "external"):
                result.append(resolved)
        return result

    @memoized(default=())
    def ancestry(self, qualname: str) -> Tuple[str, ...]:
        """The qualified names of a class and all its ancestors, project and external, in
        Python's method resolution order (C3: a base shared by two mixins comes after both);
        depth first, as written, for a hierarchy C3 cannot order (Python would refuse it, or a
        name resolves to a class of its own hierarchy). An external class ends its chain."""
        symbol = self.resolve_qualname(qualname)
        if symbol is None or symbol.kind != "class":
            return (qualname,)
        bases = [b.qualname for b in self.base_symbols(symbol)]
        merged = _c3_merge([[*self.ancestry(b)] for b in bases] + [bases])
        if merged is not None and qualname not in merged:
            return (qualname, *merged)
        return self._depth_first(qualname)

    def _depth_first(self, qualname: str) -> Tuple[str, ...]:
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
        return tuple(seen)

    def has_ancestor(self, qualname: Optional[str], roots: Iterable[str]) -> bool:
        if not qualname:
            return False
        roots = roots if isinstance(roots, (frozenset, set)) else frozenset(roots)
        return any(a in roots for a in self.ancestry(qualname))

    def class_member(self, class_qualname: Optional[str], name: str) -> Optional[Symbol]:
        """A method or attribute defined by a project class or the nearest of its project
        ancestors that defines it."""
        if not class_qualname:
            return None
        for ancestor in self.ancestry(class_qualname):
            owner = self.class_symbol(ancestor)
            if owner is None:
                continue
            cls = owner.class_summary
            if name in cls.methods or name in cls.attributes:
                return self.member(owner, name)
        return None

    def subclasses(self, qualname: str) -> Tuple[str, ...]:
        """The project classes that have the class among their ancestors (itself left out)."""
        return self._descendants().get(qualname, ())

    @memoized(default={})
    def _descendants(self) -> Dict[str, Tuple[str, ...]]:
        """Every class's project subclasses, from one pass over the project's classes."""
        found: Dict[str, List[str]] = {}
        for module in self.modules():
            for local in module.classes:
                cls = f"{module.name}.{local}"
                for ancestor in self.ancestry(cls):
                    if ancestor != cls:
                        found.setdefault(ancestor, []).append(cls)
        return {ancestor: tuple(sorted(set(classes))) for ancestor, classes in found.items()}

    @memoized(default={})
    def classes_declaring(self) -> Dict[str, Tuple[str, ...]]:
        """Member name -> the project classes that declare it: a method, a class-body name (a
        field) or an attribute their methods assign (`self.order = ...`)."""
        found: Dict[str, Set[str]] = {}
        for module in self.modules():
            for local, cls in module.classes.items():
                qualname = f"{module.name}.{local}"
                for name in (*cls.methods, *cls.attributes, *cls.annotations, *cls.attribute_writes):
                    found.setdefault(name, set()).add(qualname)
        return {name: tuple(sorted(classes)) for name, classes in found.items()}

    @memoized(default={})
    def methods_named(self) -> Dict[str, Tuple[Symbol, ...]]:
        """Method name -> every project method of that name (the methods classes define)."""
        found: Dict[str, List[Symbol]] = {}
        for module in self.modules():
            for local, cls in module.classes.items():
                symbol = self.class_symbol(f"{module.name}.{local}")
                for name in cls.methods if symbol is not None else ():
                    method = self.member(symbol, name)  # type: ignore[arg-type]
                    if method is not None and method.kind == "function":
                        found.setdefault(name, []).append(method)
        return {name: tuple(methods) for name, methods in found.items()}

    def class_method(self, class_qualname: Optional[str], name: str) -> Optional[Symbol]:
        """A method defined by a project class or one of its project ancestors."""
        found = self.class_member(class_qualname, name)
        return found if found is not None and found.kind == "function" else None

    def class_attribute(self, qualname: str, name: str) -> Optional[Tuple[ModuleSummary, Expr]]:
        """A class-body assignment of the class or its nearest project ancestor that has one."""
        for ancestor in self.ancestry(qualname):
            symbol = self.class_symbol(ancestor)
            if symbol is not None and name in symbol.class_summary.attributes:
                assert symbol.module is not None
                return symbol.module, symbol.class_summary.attributes[name]
        return None

    def class_meta(self, qualname: str, name: str) -> Optional[Tuple[ModuleSummary, Expr]]:
        """`class Meta:` attribute of the class or its nearest project ancestor that has one."""
        for ancestor in self.ancestry(qualname):
            symbol = self.class_symbol(ancestor)
            if symbol is not None and name in symbol.class_summary.meta:
                assert symbol.module is not None
                return symbol.module, symbol.class_summary.meta[name]
        return None

    # --- annotations -----------------------------------------------------------------------------

    @memoized(default=None)
    def annotation(self, module: ModuleSummary, text: Optional[str]) -> Optional[TypeForm]:
        """An annotation written in `module`, its names resolved (see TypeForm); None when it
        says nothing pkify can read."""
        node = _parse_annotation(text) if text else None
        return self._type_form(module, node, 0) if node is not None else None

    def _type_form(self, module: ModuleSummary, node: ast.AST, depth: int) -> Optional[TypeForm]:
        if depth > 5:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return self.annotation(module, node.value)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            sides = [s for s in (node.left, node.right) if not _is_none(s)]
            return self._type_form(module, sides[0], depth + 1) if len(sides) == 1 else None
        if isinstance(node, (ast.Name, ast.Attribute)):
            symbol = self.expr_symbol(module, _ast_ref(node))
            if symbol is not None and symbol.kind == "assignment" and isinstance(symbol.node, AnnotationText):
                assert symbol.module is not None
                return self.annotation(symbol.module, symbol.node.text)  # a type alias
            return TypeForm(symbol.qualname) if symbol is not None else None
        if isinstance(node, ast.Subscript):
            outer = self.expr_qualname(module, _ast_ref(node.value)) or ""
            inner = node.slice
            if isinstance(inner, ast.Index):  # pragma: no cover - Python 3.8 AST shape
                inner = inner.value  # type: ignore[attr-defined]
            items = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
            name = last(outer)
            if name in ("Optional", "Annotated") and items:
                return self._type_form(module, items[0], depth + 1)
            if name == "Union":
                rest = [i for i in items if not _is_none(i)]
                return self._type_form(module, rest[0], depth + 1) if len(rest) == 1 else None
            args = tuple(
                self._type_form(module, item, depth + 1) or TypeForm(None)
                if not _is_ellipsis(item)
                else TypeForm("...")
                for item in items
            )
            return TypeForm(outer or None, args)
        return None


def _c3_merge(sequences: List[List[str]]) -> Optional[List[str]]:
    """C3's merge: repeatedly take the first head that is in no other sequence's tail; None
    when none is (an order Python refuses)."""
    result: List[str] = []
    sequences = [s for s in sequences if s]
    while sequences:
        for sequence in sequences:
            head = sequence[0]
            if not any(head in other[1:] for other in sequences):
                break
        else:
            return None
        result.append(head)
        sequences = [s[1:] if s[0] == head else s for s in sequences]
        sequences = [s for s in sequences if s]
    return result


@functools.lru_cache(maxsize=4096)
def _parse_annotation(text: str) -> Optional[ast.expr]:
    try:
        return ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


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
        return Ref(".".join(reversed(parts)))
    return OTHER  # not a name


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_ellipsis(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis
