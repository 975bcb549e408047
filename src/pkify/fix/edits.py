"""The rewrites `pkify fix` makes, as functions from a libcst node to its replacement, and
applied by node identity (`apply_edits`). New code is built from libcst templates
(`parse_template_expression` / `parse_template_statement`), never by formatting strings of code.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Set, Tuple

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
        inner = node.args[0].value
        if isinstance(inner, (cst.List, cst.Tuple, cst.Set, cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            return pks_of_iterable(inner)  # `set([a, b])`: the rows written out, not a QuerySet
        return pks_of_queryset(inner)
    return pks_of_iterable(node)


def send_on_commit(on_commit: str, partial: str, using: Optional[str]) -> Edit:
    """`task.delay(a, b=1)` -> `transaction.on_commit(functools.partial(task.delay, a, b=1))`,
    with `using="other"` for a database other than the default one."""

    def edit(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.Call)
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        # Arguments written one per line stay so: the task's method gets a line of its own.
        spread = isinstance(node.whitespace_before_args, cst.ParenthesizedWhitespace)
        after = cst.Comma(whitespace_after=node.whitespace_before_args) if spread else comma
        first = cst.Arg(node.func, comma=after if node.args else cst.MaybeSentinel.DEFAULT)
        bound = cst.Call(
            cst.parse_expression(partial), args=[first, *node.args], whitespace_before_args=node.whitespace_before_args
        )
        args = [cst.Arg(bound)]
        if using is not None:
            database = cst.SimpleString(json.dumps(using))
            args = [cst.Arg(bound, comma=comma), cst.Arg(database, keyword=cst.Name("using"), equal=_equal(False))]
        return cst.Call(cst.parse_expression(on_commit), args=args, lpar=node.lpar, rpar=node.rpar)

    return edit


def rename_keyword(new_name: str) -> Edit:
    """`order=...` -> `order_id=...`; `{"order": ...}` -> `{"order_id": ...}`, `d["order"]` ->
    `d["order_id"]` (quotes kept)."""

    def edit(node: cst.CSTNode) -> cst.CSTNode:
        if isinstance(node, cst.Arg) and node.keyword is not None:
            return node.with_changes(keyword=cst.Name(new_name))
        if isinstance(node, cst.DictElement) and isinstance(node.key, cst.SimpleString):
            return node.with_changes(key=_renamed(node.key, new_name))
        if isinstance(node, cst.SimpleString):  # `d["order"] = ...`
            return _renamed(node, new_name)
        return node

    return edit


def _renamed(key: cst.SimpleString, new_name: str) -> cst.SimpleString:
    return key.with_changes(value=f"{key.prefix}{key.quote}{new_name}{key.quote}")


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
    if conversion.many and conversion.as_list:
        return _fetch_in_order(conversion, names, missing)
    if conversion.many:
        template = "{model}.{manager}.filter(pk__in={new})"
    else:
        template = "{model}.{manager}.get(pk={new})"
    if conversion.default_none:
        template = f"{template} if {{new}} is not None else None"
    fetch = parse_template_expression(template, new=names["new"], model=names["model"], manager=names["manager"])
    if missing == "skip" and not conversion.many:
        statement = "try:\n    {old} = {fetch}\nexcept {model}.DoesNotExist:\n    return\n"
        return [parse_template_statement(statement, old=names["old"], fetch=fetch, model=names["model"])]
    return [parse_template_statement("{old} = {fetch}\n", old=names["old"], fetch=fetch)]


def _fetch_in_order(conversion: "Conversion", names: Dict[str, cst.Name], missing: str) -> List[cst.BaseStatement]:
    """A list of rows comes back in the order, and with the duplicates, it was sent in:
    `orders_by_pk = Order.objects.in_bulk(order_ids)` then `orders = [orders_by_pk[pk] for pk in
    order_ids]` (rows gone in between are left out with `--missing=skip`)."""
    by_pk = cst.Name(f"{conversion.param}_by_pk")
    template = "{model}.{manager}.in_bulk({new} or [])" if conversion.default_none else "{model}.{manager}.in_bulk({new})"
    fetch = parse_template_expression(template, model=names["model"], manager=names["manager"], new=names["new"])
    rows = "[{by_pk}[pk] for pk in {new} if pk in {by_pk}]" if missing == "skip" else "[{by_pk}[pk] for pk in {new}]"
    rebuilt = parse_template_expression(rows, by_pk=by_pk, new=names["new"])
    if conversion.default_none:
        rebuilt = parse_template_expression("{rows} if {new} is not None else None", rows=rebuilt, new=names["new"])
    return [
        parse_template_statement("{by_pk} = {fetch}\n", by_pk=by_pk, fetch=fetch),
        parse_template_statement("{old} = {rows}\n", old=names["old"], rows=rebuilt),
    ]


def rebuild_mapping(conversion: "Conversion", fetched: List[Tuple[str, str, str]], missing: str) -> cst.BaseStatement:
    """`criteria = {**criteria, "customer": Customer.objects.get(pk=criteria["customer"])}`: the
    dict the task got, copied, with its rows fetched again under their keys (`fetched`: key,
    model name, manager), one key a line when there are several; with `--missing=skip`, inside
    `try: ... except Customer.DoesNotExist: return`."""
    param = cst.Name(conversion.param)
    placeholders: Dict[str, Any] = {"param": param}  # template names -> nodes
    entries = []
    for number, (key, model, manager) in enumerate(fetched):
        quoted = cst.SimpleString(json.dumps(key))
        placeholders[f"key{number}"] = quoted
        placeholders[f"fetch{number}"] = parse_template_expression(
            "{model}.{manager}.get(pk={param}[{key}])",
            model=cst.Name(model), manager=cst.Name(manager), param=param, key=quoted,
        )
        entries.append(f"{{key{number}}}: {{fetch{number}}}")  # `{key0}: {fetch0}`
    if len(entries) == 1:
        rebuilt = "{**{param}, " + entries[0] + "}"
    else:
        rebuilt = "{\n" + "".join(f"    {line},\n" for line in ["**{param}", *entries]) + "}"
    if conversion.default_none:
        rebuilt += " if {param} is not None else None"
    if missing == "skip":
        models = list(dict.fromkeys(model for _, model, _ in fetched))
        errors = [parse_template_expression("{model}.DoesNotExist", model=cst.Name(m)) for m in models]
        placeholders["caught"] = errors[0] if len(errors) == 1 else cst.Tuple([cst.Element(e) for e in errors])
        indented = rebuilt.replace("\n", "\n    ")
        template = f"try:\n    {{param}} = {indented}\nexcept {{caught}}:\n    return\n"
    else:
        template = f"{{param}} = {rebuilt}\n"
    return parse_template_statement(template, **placeholders)


# --- --compat: the first of two releases ----------------------------------------------------

COMPAT_MARK = "# pkify --compat:"
_COMPAT_COMMENT = f"{COMPAT_MARK} for messages sent before the fix (the next `pkify fix` removes this)"


def _marked(statement: cst.BaseStatement) -> cst.BaseStatement:
    return statement.with_changes(leading_lines=[cst.EmptyLine(comment=cst.Comment(_COMPAT_COMMENT))])


def compat_statements(
    conversion: "Conversion", models: Dict[str, str], function: str, keyword: bool, required: bool
) -> List[cst.BaseStatement]:
    """What makes a task accept the messages sent before the fix, at the top of its body:

        if order is not None:               # the old keyword (`keyword`)
            order_id = order.pk
        elif isinstance(order_id, Order):   # an instance where the key is now expected
            order_id = order_id.pk
        elif order_id is None:              # `order_id` has a default only for this (`required`)
            raise TypeError("send_receipt() missing 1 required argument: 'order_id'")

    (for several rows, each row's key; for a dict, its entries'). Each statement carries the
    comment that lets the next plain fix find it and take it out again. `models`: qualified name
    -> the name the task's module knows the model by."""
    old, new = cst.Name(conversion.param), cst.Name(conversion.new_name)
    missing = cst.SimpleString(json.dumps(f"{function}() missing 1 required argument: '{conversion.new_name}'"))
    if conversion.keys:
        statements = []
        for key, model in conversion.keys:
            test = "{old} is not None and isinstance({old}[{key}], {model})" if conversion.default_none else (
                "isinstance({old}[{key}], {model})"
            )
            template = "if " + test + ":\n    {old} = {**{old}, {key}: {old}[{key}].pk}\n"
            statement = parse_template_statement(
                template, old=old, key=cst.SimpleString(json.dumps(key)), model=cst.Name(models[model])
            )
            statements.append(_marked(statement))
        return statements
    assert conversion.model is not None
    names: Dict[str, Any] = dict(old=old, new=new, model=cst.Name(models[conversion.model]))
    if conversion.many:
        each = "[row.pk if isinstance(row, {model}) else row for row in {new}]"
        if keyword:
            template = "if {old} is not None:\n    {new} = [row.pk for row in {old}]\n"
            template += f"elif {{new}} is not None:\n    {{new}} = {each}\n"
            if required:
                template += "else:\n    raise TypeError({missing})\n"
        else:
            template = f"if {{new}} is not None:\n    {{new}} = {each}\n"
    else:
        template = "if isinstance({new}, {model}):\n    {new} = {new}.pk\n"
        if keyword:
            template = "if {old} is not None:\n    {new} = {old}.pk\nel" + template
            if required:
                template += "elif {new} is None:\n    raise TypeError({missing})\n"
    names["missing"] = missing
    used = {name: node for name, node in names.items() if f"{{{name}}}" in template}
    return [_marked(parse_template_statement(template, **used))]


def _is_mark(line: cst.EmptyLine) -> bool:
    return line.comment is not None and line.comment.value.startswith(COMPAT_MARK)


def is_compat(statement: cst.CSTNode) -> bool:
    """A statement `--compat` wrote (its comment says so)."""
    return any(_is_mark(line) for line in getattr(statement, "leading_lines", ()))


def has_compat(node: cst.FunctionDef) -> bool:
    return isinstance(node.body, cst.IndentedBlock) and any(is_compat(s) for s in node.body.body)


def finish_compat(node: cst.FunctionDef) -> cst.FunctionDef:
    """The task without what `--compat` added: its marked statements, the old keyword-only
    parameters they read (`order=None`), and the default of a parameter that had none before
    (the statement raises TypeError when it is left out)."""
    body = node.body
    assert isinstance(body, cst.IndentedBlock)
    kept: List[cst.BaseStatement] = []
    dropped: Set[str] = set()  # old keyword-only parameters
    required: Set[str] = set()  # parameters whose default goes
    carried: List[cst.EmptyLine] = []  # the user's own lines above a removed statement
    for statement in body.body:
        if not is_compat(statement):
            if carried:
                statement = statement.with_changes(leading_lines=[*carried, *getattr(statement, "leading_lines", ())])
                carried = []
            kept.append(statement)
            continue
        carried += [line for line in getattr(statement, "leading_lines", ()) if not _is_mark(line)]
        if not isinstance(statement, cst.If):
            continue
        tested, assigned = _is_not_none(statement.test), _assigned(statement.body)
        if tested is not None and tested not in assigned:  # `if order is not None: order_id = ...`
            dropped.add(tested)
        if _raises(statement):
            required |= assigned
    params = node.params

    def without_default(param: cst.Param) -> cst.Param:
        if param.name.value in required:
            return param.with_changes(default=None, equal=cst.MaybeSentinel.DEFAULT)
        return param

    kwonly = [without_default(p) for p in params.kwonly_params if not (p.name.value in dropped and _defaults_to_none(p))]
    star_arg = params.star_arg
    positional = [without_default(p) for p in params.params]
    if len(kwonly) < len(params.kwonly_params) and params.star_kwarg is None:
        # The parameter before the ones taken out now ends the list: no comma after it.
        if not kwonly and isinstance(star_arg, cst.ParamStar):  # the `*` --compat added
            star_arg = cst.MaybeSentinel.DEFAULT
        if kwonly:
            kwonly[-1] = kwonly[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        elif isinstance(star_arg, cst.Param):
            star_arg = star_arg.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        elif positional:
            positional[-1] = positional[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    elif not kwonly and isinstance(star_arg, cst.ParamStar):  # `*, **kwargs` is not Python
        star_arg = cst.MaybeSentinel.DEFAULT
    params = params.with_changes(params=positional, star_arg=star_arg, kwonly_params=kwonly)
    if not kept:
        kept = [cst.SimpleStatementLine([cst.Pass()], leading_lines=carried)]
    return node.with_changes(params=params, body=body.with_changes(body=kept))


def _is_not_none(test: cst.BaseExpression) -> Optional[str]:
    """`name` of `name is not None`."""
    if (
        isinstance(test, cst.Comparison)
        and isinstance(test.left, cst.Name)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.IsNot)
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
    ):
        return test.left.value
    return None


def _raises(statement: cst.If) -> bool:
    """Whether a branch of the `if` chain raises (the parameter was required before)."""
    branch: Optional[cst.CSTNode] = statement
    while isinstance(branch, (cst.If, cst.Else)):
        block = branch.body
        if isinstance(block, cst.IndentedBlock) and any(
            isinstance(line, cst.SimpleStatementLine) and any(isinstance(s, cst.Raise) for s in line.body)
            for line in block.body
        ):
            return True
        branch = branch.orelse if isinstance(branch, cst.If) else None
    return False


def _assigned(block: cst.BaseSuite) -> Set[str]:
    """The names a block assigns (`order_id = order.pk`)."""
    found: Set[str] = set()
    lines = block.body if isinstance(block, cst.IndentedBlock) else [block]
    for line in lines:
        if isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in line.body:
                if isinstance(small, cst.Assign):
                    found |= {t.target.value for t in small.targets if isinstance(t.target, cst.Name)}
    return found


def _defaults_to_none(param: cst.Param) -> bool:
    return isinstance(param.default, cst.Name) and param.default.value == "None"


def import_statement(module: str, names: List[Tuple[str, Optional[str]]]) -> cst.BaseStatement:
    """`from shop.models import Customer, Order` (`Order as OrderModel` when the name is taken)."""
    dotted = cst.parse_expression(module)
    assert isinstance(dotted, (cst.Name, cst.Attribute))
    aliases = [
        cst.ImportAlias(cst.Name(name), asname=cst.AsName(cst.Name(alias)) if alias else None) for name, alias in names
    ]
    return cst.SimpleStatementLine([cst.ImportFrom(module=dotted, names=aliases)])


def rewrite_definition(
    conversions: "List[Conversion]",
    fetches: List[cst.BaseStatement],
    pk_is_int: Callable[[str], bool],
    keywords: Optional[Dict[str, bool]] = None,
) -> Edit:
    """The task's parameters renamed (annotations and docstring following) and its rows fetched
    at the top of its body, after the docstring. `keywords` (`--compat`): the old parameters
    kept as keyword-only ones (`*, order=None`), each with whether its new parameter gets a
    default of None for them."""
    renames = {c.param: c for c in conversions if c.new_name != c.param}
    keywords = keywords or {}
    defaulted = {renames[old].new_name for old, default in keywords.items() if default and old in renames}

    def edit(node: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(node, cst.FunctionDef)

        def rename(param: cst.Param) -> cst.Param:
            conversion = renames.get(param.name.value)
            if conversion is None:
                return param
            changed = param.with_changes(name=cst.Name(conversion.new_name))
            if param.annotation is not None and not conversion.keys:  # a dict stays a dict
                assert conversion.model is not None
                annotation = id_annotation(param.annotation.annotation, conversion, pk_is_int(conversion.model))
                changed = changed.with_changes(
                    annotation=param.annotation.with_changes(annotation=annotation) if annotation else None
                )
            return changed

        def default(param: cst.Param) -> cst.Param:
            if param.name.value in defaulted and param.default is None:
                return param.with_changes(default=cst.Name("None"), equal=_equal(param.annotation is not None))
            return param

        params = node.params.with_changes(
            posonly_params=[rename(p) for p in node.params.posonly_params],
            params=[default(rename(p)) for p in node.params.params],
            kwonly_params=[default(rename(p)) for p in node.params.kwonly_params],
        )
        if keywords:
            added = [
                cst.Param(cst.Name(old), default=cst.Name("None"), equal=_equal(False)) for old in keywords if old in renames
            ]
            star = params.star_arg if isinstance(params.star_arg, (cst.Param, cst.ParamStar)) else cst.ParamStar()
            params = params.with_changes(star_arg=star, kwonly_params=[*params.kwonly_params, *added])
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


def _equal(spaced: bool) -> cst.AssignEqual:
    """`=` of a default: `order=None`, `order: int | None = None` (as PEP 8 writes them)."""
    space = cst.SimpleWhitespace(" " if spaced else "")
    return cst.AssignEqual(whitespace_before=space, whitespace_after=space)


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
    # The model fetched, and those the call sites send (the annotation may name a proxy of it).
    model_names = sorted({m.rsplit(".", 1)[-1] for m in (conversion.model, *conversion.sent)}, key=len, reverse=True)
    alternatives = "|".join(map(re.escape, model_names))
    pattern = r"(['\"]?)(?:[\w.]+\.)?\b(?:" + alternatives + r")\b\1"  # `Order`, `"Order"`
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
