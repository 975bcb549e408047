"""The pytest plugin (`pkify.pytest_plugin`): a guard on what tests send to Celery tasks.

Each test runs pytest in a subprocess (pytester) on a small project with real Django (SQLite in
memory) and real Celery (eager, JSON), and reads the outcome of every test from a JUnit report.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from typing import Dict, Optional

import pytest

pytest_plugins = ["pytester"]

MODELS = """\
from django.db import models


class Order(models.Model):
    email = models.CharField(max_length=100)

    class Meta:
        app_label = "shop"
"""

TASKS = """\
from celery import Celery

app = Celery("shop", task_cls="celery.contrib.django.task:DjangoTask")
app.conf.update(task_always_eager=True, task_eager_propagates=True, task_serializer="json")

# A second app whose results a backend stores.
stored = Celery("stored", backend="cache+memory://")
stored.conf.update(task_always_eager=True, task_eager_propagates=True)

# A third that sends its messages to a broker (in memory): not eager.
broker = Celery("broker", broker="memory://")


@app.task
def send_receipt(order):
    return None


@app.task
def noop():
    return None


@app.task
def load(pk):
    from shop.models import Order

    return Order.objects.get(pk=pk)


@app.task
def count(orders):
    return len(orders)


@app.task
def relay(pk):
    send_receipt.delay(pk)


@broker.task
def later(order):
    return None


@stored.task
def make_order(email):
    from shop.models import Order

    return Order.objects.create(email=email)


@stored.task
def make_order_id(email):
    from shop.models import Order

    return Order.objects.create(email=email).pk
"""

CONFTEST = """\
import django
import pytest
from django.conf import settings

settings.configure(
    INSTALLED_APPS=["shop"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
)
django.setup()

from django.db import connection  # noqa: E402

from shop.models import Order  # noqa: E402

with connection.schema_editor() as editor:
    editor.create_model(Order)


@pytest.fixture
def order():
    return Order.objects.create(email="a@example.com")
"""

SENDS = """\
import django.test
from celery import chain, chord, group
from django.db import transaction

from shop.models import Order
from shop.tasks import broker, count, later, load, make_order, make_order_id, noop, relay, send_receipt


def test_delay_instance(order):
    send_receipt.delay(order)


def test_delay_pk(order):
    send_receipt.delay(order.pk)


def test_chain_instance(order):
    chain(noop.si(), send_receipt.si(order)).delay()


def test_chain_passes_a_returned_instance(order):
    chain(load.s(order.pk), send_receipt.s()).delay()


def test_chain_pks(order):
    chain(noop.si(), send_receipt.si(order.pk)).delay()


def test_group_keyword(order):
    group([send_receipt.s(order=order)]).delay()


def test_chord_results(order):
    chord([load.s(order.pk), load.s(order.pk)], count.s()).delay()


def test_queryset(order):
    send_receipt.apply_async(kwargs={"order": Order.objects.filter(email=order.email)})


def test_list_of_instances(order):
    send_receipt.apply_async(([order],), countdown=5)


def test_set():
    send_receipt.delay({1, 2})


def test_pickle(order):
    send_receipt.apply_async((order,), serializer="pickle")


def test_chain_to_a_broker(order):
    chain(later.s(order.pk), later.si(order)).delay()


def test_send_task_by_name(order):
    broker.send_task("shop.tasks.later", args=[order])


def test_delay_to_a_broker(order):
    later.delay(order.pk)


def test_list_of_pks(order):
    send_receipt.delay([order.pk])


def test_atomic(order):
    with transaction.atomic():
        send_receipt.delay(order.pk)


def test_atomic_on_commit(order):
    with transaction.atomic():
        send_receipt.delay_on_commit(order.pk)


def test_on_commit_instance(order):
    with transaction.atomic():
        send_receipt.delay_on_commit(order)


def test_direct_apply_in_atomic(order):
    with transaction.atomic():
        relay.apply((order.pk,))


def test_returns_instance():
    make_order.delay("b@example.com")


def test_returns_pk():
    make_order_id.delay("b@example.com")


def test_returns_instance_ignored():
    make_order.apply_async(("b@example.com",), ignore_result=True)


class InTestCase(django.test.TestCase):
    def test_delay(self):
        send_receipt.delay(Order.objects.create(email="c@example.com").pk)

    def test_atomic(self):
        with transaction.atomic():
            send_receipt.delay(1)
"""

GUARD = "(pkify guard: "


@pytest.fixture
def shop(pytester: pytest.Pytester) -> pytest.Pytester:
    package = pytester.path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(MODELS)
    (package / "tasks.py").write_text(TASKS)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_sends=SENDS)
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> Dict[str, Optional[str]]:
    """Each test's failure message (None: passed)."""
    report = pytester.path / "report.xml"
    # (hypothesis's plugin, installed for pkify's own tests, takes a second to load)
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest", f"--junitxml={report}", *args)
    outcomes: Dict[str, Optional[str]] = {}
    for case in ElementTree.parse(report).iter("testcase"):
        name = case.get("name", "")
        if case.get("classname", "").endswith("InTestCase"):
            name = f"InTestCase.{name}"
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        outcomes[name] = None if failure is None else failure.get("message", "")
    return outcomes


@pytest.mark.slow  # a whole pytest run with Django and Celery
def test_the_guard_reports_each_send_with_code_task_and_argument(shop: pytest.Pytester) -> None:
    failures = run(shop, "--pkify-guard-transactions")
    receipt = "shop.tasks.send_receipt"
    expected = {
        "test_delay_instance": f"CEL101 {receipt}: argument 1 is a `shop.Order` instance "
        "(`Order` is not JSON serializable); pass its primary key and fetch it inside the task",
        "test_delay_pk": None,
        # eager canvases run `.apply()`, which skips the serializer: only the guard sees these
        "test_chain_instance": f"CEL101 {receipt}: argument 1 is a `shop.Order` instance",
        "test_chain_passes_a_returned_instance": f"CEL101 {receipt}: argument 1 is a `shop.Order` instance",
        "test_chain_pks": None,
        "test_group_keyword": f"CEL101 {receipt}: keyword argument `order` is a `shop.Order` instance",
        "test_chord_results": "CEL103 shop.tasks.count: argument 1 is a `list` holding `shop.Order` instances "
        "(`Order` is not JSON serializable); pass their primary keys and fetch them inside the task",
        "test_queryset": f"CEL102 {receipt}: keyword argument `order` is a QuerySet of `shop.Order` "
        "(`QuerySet` is not JSON serializable); pass a list of primary keys and fetch the rows inside the task",
        "test_list_of_instances": f"CEL103 {receipt}: argument 1 is a `list` holding `shop.Order` instances",
        "test_set": f"CEL104 {receipt}: argument 1 is a `set` (`set` is not JSON serializable); pass a list",
        "test_pickle": f"CEL101 {receipt}: argument 1 is a `shop.Order` instance "
        "(pickled, it is a snapshot of the row as it was when it was sent); pass its primary key",
        "test_chain_to_a_broker": "CEL101 shop.tasks.later: argument 1 is a `shop.Order` instance",
        "test_send_task_by_name": "CEL101 shop.tasks.later: argument 1 is a `shop.Order` instance",
        "test_delay_to_a_broker": None,
        "test_list_of_pks": None,
        "test_atomic": f"CEL201 {receipt}: sent inside an open transaction (an atomic block on database `default`)",
        "test_atomic_on_commit": None,
        # checked when the call is made: a TestCase would never run the callback
        "test_on_commit_instance": f"CEL101 {receipt}: argument 1 is a `shop.Order` instance",
        # `.apply()` runs the body here, inside the transaction: its own send is in it
        "test_direct_apply_in_atomic": f"CEL201 {receipt}: sent inside an open transaction",
        "test_returns_instance": "CEL105 shop.tasks.make_order: its return value is a `shop.Order` instance, "
        "which the result backend stores (`Order` is not JSON serializable); return its primary key",
        "test_returns_pk": None,
        "test_returns_instance_ignored": None,
        # TestCase's own transaction is not the code's
        "InTestCase.test_delay": None,
        "InTestCase.test_atomic": f"CEL201 {receipt}: sent inside an open transaction",
    }
    assert set(failures) == set(expected)
    for test, message in expected.items():
        failure = failures[test]
        if message is None:
            assert failure is None, f"{test}: {failure}"
        else:
            assert failure is not None, f"{test} passed"
            assert failure.startswith(f"Failed: {message}"), f"{test}: {failure}"
            code = message.split()[0]
            assert f"{GUARD}" in failure and f"`pkify rule {code}`" in failure, failure


@pytest.mark.slow  # a whole pytest run with Django and Celery
def test_without_the_guard_eager_canvases_and_transactions_pass(shop: pytest.Pytester) -> None:
    failures = run(shop)
    for test in (
        "test_chain_instance",
        "test_chain_passes_a_returned_instance",
        "test_group_keyword",
        "test_chord_results",
        "test_pickle",
        "test_atomic",
        "test_returns_instance",
        "InTestCase.test_atomic",
    ):
        assert failures[test] is None, f"{test}: {failures[test]}"
    # Celery's eager apply_async serializes: it fails by itself, without pkify's message
    assert failures["test_delay_instance"] is not None and GUARD not in failures["test_delay_instance"]


@pytest.mark.parametrize(
    "args, ini, expected",
    [
        (("-p", "pkify"), "", False),
        (("--pkify-guard-transactions",), "", True),
        ((), "pkify_guard = true", False),
        (("-p", "no:pkify"), "pkify_guard = true", None),
    ],
)
def test_how_the_guard_is_enabled(pytester: pytest.Pytester, args: tuple, ini: str, expected: Optional[bool]) -> None:
    """Whether the guard is on, and with the transaction check (in-process: nothing is sent)."""
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(
        f"""
        def test_state(request):
            guard = request.config.pluginmanager.get_plugin("pkify-guard")
            assert (None if guard is None else guard.transactions) is {expected}
            assert ("_pkify_guard" in request.fixturenames) is {expected is not None}
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest", *args).assert_outcomes(passed=1)


def test_loading_the_plugin_imports_neither_django_nor_celery() -> None:
    code = (
        "import sys, pkify.pytest_plugin; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'celery', 'kombu', 'libcst'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
