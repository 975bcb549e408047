"""Summaries of files written for a newer Python than the one running pkify.

The running interpreter's `ast` rejects them; libcst parses them, and the few constructs the old
`ast` cannot read are rewritten into ones it can (a summary never looks inside them): PEP 758
`except A, B:`, PEP 695 type parameters and `type` statements, PEP 701 f-strings, PEP 750
t-strings, `match` and `except*`.
"""

from __future__ import annotations

import ast
import warnings

import libcst as cst

from .units import parse_module
from ..project.files import SourceError


def parse_with_libcst(source: str, rejected: SyntaxError) -> ast.Module:
    """`rejected`: why the running Python's `ast` refused the file. If it still refuses it once
    the newer constructs are rewritten, that was the reason: a syntax error (CPython's limits,
    such as 200 nested parentheses, which libcst does not have)."""
    module = parse_module(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(module.visit(_OlderSyntax()).code)
    except SyntaxError as error:
        if error.msg == rejected.msg:
            raise SourceError(
                f"syntax error at line {rejected.lineno}, column {rejected.offset}: {rejected.msg}"
            ) from None
        raise SourceError(f"cannot read syntax this Python does not know: {error.msg}") from None
    except (ValueError, RecursionError) as error:
        raise SourceError(f"cannot read syntax this Python does not know: {error}") from None


class _OlderSyntax(cst.CSTTransformer):
    def leave_ExceptHandler(self, original, updated):
        if isinstance(updated.type, cst.Tuple) and not updated.type.lpar:
            return updated.with_changes(type=updated.type.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]))
        return updated

    def leave_ExceptStarHandler(self, original, updated):
        handler = cst.ExceptHandler(body=updated.body, type=updated.type, name=updated.name)
        return self.leave_ExceptHandler(original, handler)

    def leave_TryStar(self, original, updated):
        return cst.Try(body=updated.body, handlers=updated.handlers, orelse=updated.orelse, finalbody=updated.finalbody)

    def leave_FunctionDef(self, original, updated):
        return updated.with_changes(type_parameters=None)

    def leave_ClassDef(self, original, updated):
        return updated.with_changes(type_parameters=None)

    def leave_TypeAlias(self, original, updated):
        return cst.Assign(targets=[cst.AssignTarget(updated.name)], value=updated.value)

    def leave_FormattedString(self, original, updated):
        return cst.SimpleString('""')

    def leave_TemplatedString(self, original, updated):
        return cst.SimpleString('""')

    def leave_Match(self, original, updated):
        return cst.If(test=cst.Name("True"), body=cst.IndentedBlock([cst.SimpleStatementLine([cst.Pass()])]))
