"""Runs the example project's scenarios for real: Django on SQLite, Celery with the in-memory
broker, the JSON serializer and an in-process worker.

    python scenarios.py PROJECT_DIR before|after

`before`: every scenario must fail when the task is sent (kombu's EncodeError).
`after`: every scenario must go through the worker and leave its effect in the database.
Prints one JSON object: {scenario name: "ok" | "EncodeError" | an error description}.
"""

import json
import os
import sys
import time
import traceback

project, mode = sys.argv[1], sys.argv[2]
sys.path.insert(0, project)
os.chdir(project)
os.environ["DJANGO_SETTINGS_MODULE"] = "shopsite.settings"

import django  # noqa: E402

django.setup()

from celery.signals import task_failure  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from kombu.exceptions import EncodeError  # noqa: E402

from shop import views  # noqa: E402
from shop.admin import OrderAdmin  # noqa: E402
from shop.models import Customer, Event, Export, Order, Product  # noqa: E402
from shopsite.celery import app  # noqa: E402

app.conf.broker_transport_options = {"polling_interval": 0.01}  # the memory broker polls once a second by default
call_command("migrate", run_syncdb=True, verbosity=0)
failures = []
task_failure.connect(lambda sender=None, exception=None, **kw: failures.append(f"{sender.name}: {exception!r}"), weak=False)
counter = iter(range(1_000_000))


def customer(paid=False):
    """A user, their customer and one order, made without signals (bulk_create)."""
    n = next(counter)
    user = User.objects.create(username=f"user{n}")
    (buyer,) = Customer.objects.bulk_create([Customer(user=user, email=f"user{n}@example.com")])
    (order,) = Order.objects.bulk_create([Order(customer=buyer, number=f"N{n}", paid=paid)])
    return user, buyer, order


def request(user, method="get"):
    made = getattr(RequestFactory(), method)("/")
    made.user = user
    return made


def fresh(model, pk):
    return model.objects.get(pk=pk)


def scenario_model_method_sends_self():
    _, _, order = customer()
    order.mark_paid()
    return lambda: fresh(Order, order.pk).receipts_sent == 1 and fresh(Order, order.pk).payment_logged


def scenario_foreign_key_to_bound_task():
    _, buyer, order = customer()
    order.remind()
    return lambda: fresh(Customer, buyer.pk).notifications == 1


def scenario_view_alias_on_commit_and_class_based_task():
    user, buyer, order = customer()
    views.pay(request(user), order.pk)
    return lambda: (
        fresh(Order, order.pk).receipts_sent == 1
        and fresh(Order, order.pk).reconciled
        and fresh(Customer, buyer.pk).notifications == 1
    )


def scenario_view_list_and_queryset():
    user, _, order = customer()
    views.archive(request(user))
    return lambda: fresh(Order, order.pk).archived and Export.objects.filter(numbers=order.number).exists()


def scenario_detail_view_object_in_kwargs():
    user, _, order = customer()
    views.OrderDetail.as_view()(request(user, "post"), pk=order.pk)
    return lambda: fresh(Order, order.pk).receipts_sent == 1


def scenario_signal_receiver_instance():
    _, buyer, _ = customer()
    order = Order.objects.create(customer=buyer, number="signal")
    return lambda: fresh(Order, order.pk).receipts_sent == 1


def scenario_connected_receiver_with_countdown():
    user = User.objects.create(username=f"new{next(counter)}")
    buyer = Customer.objects.create(user=user, email="new@example.com")
    return lambda: fresh(Customer, buyer.pk).welcomed


def scenario_admin_action_queryset():
    user, _, order = customer()
    OrderAdmin(Order, admin.site).archive(request(user), Order.objects.filter(pk=order.pk))
    return lambda: fresh(Order, order.pk).archived


def scenario_admin_save_model_signature():
    user, _, order = customer()
    OrderAdmin(Order, admin.site).save_model(request(user), order, None, True)
    return lambda: fresh(Order, order.pk).receipts_sent == 1


def scenario_management_command_group():
    _, _, order = customer(paid=True)
    call_command("resend_receipts")
    return lambda: fresh(Order, order.pk).receipts_sent >= 1


def scenario_proxy_model_and_concrete_model_call_sites():
    """One call site sends a `FeaturedProduct` (a proxy whose manager hides the other products),
    another a plain `Product`: the task must fetch both with `Product`."""
    user, _, _ = customer()
    featured = Product.objects.create(name=f"lamp{next(counter)}", featured=True)
    plain = Product.objects.create(name=f"chair{next(counter)}")
    views.feature(request(user), featured.pk)
    views.restock(request(user), plain.pk)
    return lambda: (
        fresh(Product, featured.pk).listings_refreshed == 1 and fresh(Product, plain.pk).listings_refreshed == 1
    )


def scenario_dict_holding_an_instance():
    user, buyer, _ = customer()
    views.subscribe(request(user))
    return lambda: Event.objects.filter(customer=buyer, status="new", note="subscribed").exists()


def scenario_dict_filled_key_by_key():
    user, buyer, _ = customer()
    views.note(request(user), buyer.pk)
    return lambda: fresh(Customer, buyer.pk).notifications == 1


def scenario_list_with_duplicates_keeps_order():
    user, buyer, first = customer()
    (second,) = Order.objects.bulk_create([Order(customer=buyer, number=f"N{next(counter)}")])
    views.export_again(request(user), first.pk)
    numbers = ",".join([first.number, second.number, first.number])
    return lambda: Export.objects.filter(numbers=numbers).exists()


def scenario_aliased_task_run_directly_and_sent():
    """`mail_receipt(order)` runs the task in the command itself (nothing is sent: it works before
    the fix, and must pass the key after it); `mail_receipt.delay(other)` sends it."""
    _, buyer, order = customer()
    (other,) = Order.objects.bulk_create([Order(customer=buyer, number=f"N{next(counter)}")])
    call_command("mail_receipt", order.pk)
    return lambda: fresh(Order, order.pk).receipts_sent == 1 and fresh(Order, other.pk).receipts_sent == 1


def scenario_project_tests_with_mocks_and_a_real_send():
    """The project's own tests, run here outside a transaction (so that the worker sees their
    rows): two assert what a mocked task was given, one sends the task for real."""
    from shop.tests.test_tasks import ReceiptTests

    for name in (
        "test_marking_paid_sends_the_receipt",
        "test_reminding_notifies_the_customer",
        "test_the_receipt_is_queued",
    ):
        try:
            getattr(ReceiptTests(name), name)()
        except AssertionError as error:
            raise AssertionError(f"{name} failed: {error}") from None
    return lambda: Order.objects.filter(number="queued-by-test", receipts_sent=1).exists()


SCENARIOS = {name[len("scenario_"):]: f for name, f in sorted(globals().items()) if name.startswith("scenario_")}


def run_before():
    results = {}
    for name, scenario in SCENARIOS.items():
        try:
            scenario()
        except EncodeError:
            results[name] = "EncodeError"
        except Exception:
            results[name] = traceback.format_exc(limit=3)
        else:
            results[name] = "sent without error"
    return results


def run_after():
    from celery.contrib.testing.worker import start_worker

    results = {}
    with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
        for name, scenario in SCENARIOS.items():
            del failures[:]
            try:
                done = scenario()
            except Exception:
                results[name] = traceback.format_exc(limit=3)
                continue
            deadline = time.monotonic() + 20
            while not done() and time.monotonic() < deadline and not failures:
                time.sleep(0.05)
            if done():
                results[name] = "ok"
            else:
                results[name] = f"no effect in the database; task failures: {failures}"
    return results


print(json.dumps(run_before() if mode == "before" else run_after(), indent=2))
