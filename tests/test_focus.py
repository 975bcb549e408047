"""The slice a walk runs when it needs only some statements (pkify.analysis.focus), and the
dispatch helpers whose names make a file worth reading (pkify.project.summary.forwarded_call)."""

from __future__ import annotations

import ast
import re
import textwrap
from typing import List

import libcst as cst

from pkify.analysis.focus import Focus, calling, making_facts
from pkify.analysis.units import Unit
from pkify.project.regions import match_lines
from pkify.project.summary import ModuleSummary, summarise
from pkify.project.project import dispatchers
from pkify.frameworks.celery import names


def _unit(code: str) -> Unit:
    return Unit(ModuleSummary(name="m", path="m.py", is_package=False), cst.parse_module(textwrap.dedent(code)))


def _running(unit: Unit, focus: Focus) -> List[str]:
    """The code of the small statements and headers the focus runs, in order."""
    return [unit.code(step.node).strip().splitlines()[0] for step in Focus.steps(unit) if focus.runs(step.node)]


def test_a_call_needs_what_binds_the_names_it_reads_and_nothing_else() -> None:
    unit = _unit(
        """
        def view(request, pk):
            order = Order.objects.get(pk=pk)
            total = compute(order)
            log = logger.info("x")
            other = order
            send.delay(other)
        """
    )
    focus = Focus.of(unit, calling(frozenset({"delay"})))
    assert _running(unit, focus) == ["order = Order.objects.get(pk=pk)", "other = order", "send.delay(other)"]
    statements = unit.module.body[0].body.body  # type: ignore[attr-defined]
    skipped = [unit.code(s).strip() for s in statements if all(focus.skips(small) for small in s.body)]
    assert skipped == ["total = compute(order)", 'log = logger.info("x")']


def test_attribute_paths_loops_with_blocks_and_appends_are_followed() -> None:
    unit = _unit(
        """
        def view(self, rows):
            self.order = Order.objects.first()
            self.count = 3
            items = []
            for row in rows:
                items.append(row)
            with lock() as held:
                pass
            send.delay(self.order.customer, items)
        """
    )
    running = _running(unit, Focus.of(unit, calling(frozenset({"delay"}))))
    assert "self.order = Order.objects.first()" in running
    assert "self.count = 3" not in running  # another attribute of `self`
    assert "items.append(row)" in running and "items = []" in running
    assert "for row in rows:" in running  # binds `row`, which the append reads
    assert "with lock() as held:" not in running


def test_nested_functions_are_entered_only_when_they_hold_a_needed_statement() -> None:
    unit = _unit(
        """
        def outer(order):
            def quiet():
                return compute()

            def loud():
                send.delay(order)

            transaction.on_commit(loud)
        """
    )
    focus = Focus.of(unit, calling(frozenset({"delay"})))
    outer = unit.module.body[0]
    quiet, loud = outer.body.body[0], outer.body.body[1]  # type: ignore[attr-defined]
    assert focus.enters(loud) and not focus.enters(quiet)


def test_facts_follow_local_aliases_and_the_returns_of_tasks() -> None:
    unit = _unit(
        """
        @shared_task
        def task(pk):
            row = Order.objects.get(pk=pk)
            return row

        def helper(order):
            dispatch = send_receipt.delay
            result = prepare(order)
            dispatch(order)
            return result
        """
    )

    def returns(function: cst.FunctionDef) -> bool:
        return function.name.value == "task"

    focus = Focus.of(unit, making_facts(unit, frozenset({"delay"}), returns))
    running = _running(unit, focus)
    assert running == ["row = Order.objects.get(pk=pk)", "return row", "dispatch = send_receipt.delay", "dispatch(order)"]


def _summary(code: str) -> ModuleSummary:
    source = textwrap.dedent(code)
    hint_lines = [line for line, _ in match_lines(source, re.compile(r"\.\w+\("))]
    return summarise(ast.parse(source), "shop.helpers", "shop/helpers.py", False, source, hint_lines)


def test_dispatch_helpers_send_a_task_a_parameter_holds() -> None:
    summary = _summary(
        """
        def dispatch(task, *args):
            task.delay(*args)

        class Sender:
            def send(self, task, order):
                task.apply_async(args=[order])

            def __init__(self, task):
                task.delay()

            def again(self):
                self.retry()

            @staticmethod
            def static(task):
                task.delay()
        """
    )
    assert dispatchers(summary, names.TASK_METHODS) == ("dispatch", "send", "static")
