"""The rewrites `pkify fix` makes, as functions from a libcst node to its replacement, and
applied by node identity (`apply_edits`). New code is built from libcst templates
(`parse_template_expression` / `parse_template_statement`), never by formatting strings of code.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable, Dict, List, Optional

import libcst as cst
from libcst.helpers import parse_template_expression, parse_template_statement

from ..analysis.values import Sequence as SequenceValue, Value
from ..frameworks.django_orm.values import Instance, QuerySet

if TYPE_CHECKING:  # pragma: no cover
    from .plan import Conversion

Edit = Callable[[cst.CSTNode], cst.CSTNode]
Edits = Dict[cst.CSTNode, Edit]


class _ApplyEdits(cst.CSTTransformer):
    """Applies edits by node identity, inside out, so that edits inside an edited node are kept."""

    def __init__(self, edits: Edits) -> None:
        super().__init__()
        self.edits = edits

    def on_leave(self, original_node, updated_node):
        edit = self.edits.get(original_node)
        return edit(updated_node) if edit is not None else updated_node


def apply_edits(module: cst.Module, edits: Edits) -> cst.Module:
    return module.visit(_ApplyEdits(edits))


# --- call sites ----------------------------------------------------------------------------------

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


def dot_pk(node: cst.BaseExpression) -> cst.BaseExpression:
    return parse_template_expression("{value}.pk", value=_atom(node))


def pks_of_queryset(node: cst.BaseExpression) -> cst.BaseExpression:
    return parse_template_expression('list({queryset}.values_list("pk", flat=True))', queryset=_atom(node))


def pks_of_iterable(node: cst.BaseExpression) -> cst.BaseExpression:
    return parse_template_expression("[obj.pk for obj in {rows}]", rows=node)


def replace_with(node: cst.BaseExpression) -> Edit:
    return lambda updated: node.with_changes(lpar=updated.lpar, rpar=updated.rpar)  # type: ignore[attr-defined]


def pk_edit(value: Value) -> Edit:
    """The rewrite of an argument expression according to what it sends."""

    def edit(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.BaseExpression)
        return to_pks(node, value)

    return edit


def to_pks(node: cst.BaseExpression, value: Value) -> cst.BaseExpression:
    if isinstance(value, Instance):
        return dot_pk(node)
    if isinstance(value, QuerySet):
        return pks_of_queryset(node)
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)) and isinstance(value, SequenceValue):
        elements = []
        for element, item in zip(node.elements, value.items):
            elements.append(element.with_changes(value=to_pks(element.value, item.value)))
        if isinstance(node, cst.Set):  # JSON has no sets
            return cst.List(elements=elements, lpar=node.lpar, rpar=node.rpar)
        return node.with_changes(elements=elements)
    if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
        comprehension = cst.ListComp(elt=dot_pk(node.elt), for_in=node.for_in)
        return comprehension.with_changes(lpar=node.lpar if isinstance(node, cst.ListComp) else [])
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value in ("list", "tuple", "set")
        and len(node.args) == 1
        and not node.args[0].keyword
        and not node.args[0].star
    ):
        return pks_of_queryset(node.args[0].value)
    return pks_of_iterable(node)


def rename_keyword(new_name: str) -> Edit:
    """`order=...` -> `order_id=...`; `{"order": ...}` -> `{"order_id": ...}` (quotes kept)."""

    def edit(node: cst.CSTNode) -> cst.CSTNode:
        if isinstance(node, cst.Arg) and node.keyword is not None:
            return node.with_changes(keyword=cst.Name(new_name))
        if isinstance(node, cst.DictElement) and isinstance(node.key, cst.SimpleString):
            key = node.key
            return node.with_changes(key=key.with_changes(value=f"{key.prefix}{key.quote}{new_name}{key.quote}"))
        return node

    return edit


# --- the task's definition -----------------------------------------------------------------------


def fetch_statements(conversion: "Conversion", model: str, manager: str, missing: str) -> List[cst.BaseStatement]:
    """`order = Order.objects.get(pk=order_id)` and its variants: several rows, a default of
    None, `--missing=skip`."""
    names = dict(
        old=cst.Name(conversion.param),
        new=cst.Name(conversion.new_name),
        model=cst.Name(model),
        manager=cst.Name(manager),
    )
    if conversion.many:
        template = "{model}.{manager}.filter(pk__in={new})"
        template = f"list({template})" if conversion.as_list else template
    else:
        template = "{model}.{manager}.get(pk={new})"
    if conversion.default_none:
        template = f"{template} if {{new}} is not None else None"
    fetch = parse_template_expression(template, new=names["new"], model=names["model"], manager=names["manager"])
    if missing == "skip" and not conversion.many:
        statement = "try:\n    {old} = {fetch}\nexcept {model}.DoesNotExist:\n    return\n"
        return [parse_template_statement(statement, old=names["old"], fetch=fetch, model=names["model"])]
    return [parse_template_statement("{old} = {fetch}\n", old=names["old"], fetch=fetch)]


def import_statement(module: str, name: str, alias: Optional[str]) -> cst.BaseStatement:
    """`from shop.models import Order` (`as OrderModel` when the name is taken)."""
    dotted = cst.parse_expression(module)
    if alias:
        return parse_template_statement(
            "from {module} import {name} as {alias}\n", module=dotted, name=cst.Name(name), alias=cst.Name(alias)
        )
    return parse_template_statement("from {module} import {name}\n", module=dotted, name=cst.Name(name))


def rewrite_definition(
    conversions: "List[Conversion]", fetches: List[cst.BaseStatement], pk_is_int: Callable[[str], bool]
) -> Edit:
    """The task's parameters renamed (annotations and docstring following) and its rows fetched
    at the top of its body, after the docstring."""
    renames = {c.param: c for c in conversions}

    def edit(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.FunctionDef)

        def rename(param: cst.Param) -> cst.Param:
            conversion = renames.get(param.name.value)
            if conversion is None:
                return param
            changed = param.with_changes(name=cst.Name(conversion.new_name))
            if param.annotation is not None:
                assert conversion.model is not None
                annotation = id_annotation(param.annotation.annotation, conversion, pk_is_int(conversion.model))
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
        statements: List[cst.BaseStatement] = list(body.body)  # type: ignore[arg-type]
        start = 1 if statements and is_docstring(statements[0]) else 0
        if start:
            statements[0] = _rename_in_docstring(statements[0], conversions)
        return node.with_changes(
            params=params, body=body.with_changes(body=[*statements[:start], *fetches, *statements[start:]])
        )

    return edit


def id_annotation(
    annotation: cst.BaseExpression, conversion: "Conversion", pk_is_int: bool
) -> Optional[cst.BaseExpression]:
    """`Order` -> `int`, `Optional[Order]` -> `Optional[int]`, `QuerySet[Order]` -> `list[int]`;
    None (drop it) when the primary key is not an integer or the annotation is not understood."""
    if not pk_is_int or conversion.model is None:
        return None
    text = cst.Module(body=[]).code_for_node(annotation)
    if isinstance(annotation, cst.SimpleString) and isinstance(annotation.evaluated_value, str):
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


def is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _rename_in_docstring(statement: cst.BaseStatement, conversions: "List[Conversion]") -> cst.BaseStatement:
    """`:param order:` and Google-style `order (Order):` lines follow the rename."""
    assert isinstance(statement, cst.SimpleStatementLine)
    expression = statement.body[0]
    assert isinstance(expression, cst.Expr)
    string = expression.value
    if not isinstance(string, cst.SimpleString):
        return statement
    text = string.value
    for conversion in conversions:
        old, new = re.escape(conversion.param), conversion.new_name
        text = re.sub(rf"(:param\s+(?:[\w.\[\]]+\s+)?){old}(\s*:)", rf"\g<1>{new}\g<2>", text)
        text = re.sub(rf"(:type\s+){old}(\s*:)", rf"\g<1>{new}\g<2>", text)
        text = re.sub(rf"(?m)^(\s+){old}(\s*(?:\([^)\n]*\))?\s*:)", rf"\g<1>{new}\g<2>", text)
    return statement.with_changes(body=[expression.with_changes(value=string.with_changes(value=text))])


def add_top_imports(imports: List[cst.BaseStatement], previous: Optional[Edit]) -> Edit:
    """The imports, after the module's docstring and first imports, unless already there."""

    def edit(module: cst.CSTNode) -> cst.CSTNode:
        if previous is not None:
            module = previous(module)
        assert isinstance(module, cst.Module)
        body = list(module.body)
        present = {module.code_for_node(s).strip() for s in body if isinstance(s, cst.SimpleStatementLine)}
        missing = [line for line in imports if module.code_for_node(line).strip() not in present]
        if not missing:
            return module
        at = 0
        for i, statement in enumerate(body):
            if i == 0 and is_docstring(statement):
                at = 1
            elif isinstance(statement, cst.SimpleStatementLine) and isinstance(
                statement.body[0], (cst.Import, cst.ImportFrom)
            ):
                at = i + 1
            else:
                break
        return module.with_changes(body=[*body[:at], *missing, *body[at:]])

    return edit
