"""Runs fixtures/e2e/transactions for real: Django on a SQLite file database, Celery with the
in-memory broker, the JSON serializer and an in-process worker.

    python transaction_scenarios.py PROJECT_DIR before|after

Each scenario calls project code that sends tasks inside a transaction, and keeps an outer
transaction open for a moment afterwards (as a slow request would). `before`: the worker runs the
tasks before the commit and does not find the rows (DoesNotExist). `after` (once `pkify fix` has
deferred the sends): nothing runs before the commit, and every task does its work after it.
Prints one JSON object: {scenario name: "ok" | "DoesNotExist" | an error description}.
"""

import json
import os
import sys
import time
import traceback

project, mode = sys.argv[1], sys.argv[2]
sys.path.insert(0, project)
os.chdir(project)
os.environ["DJANGO_SETTINGS_MODULE"] = "txsite.settings"

import django  # noqa: E402

django.setup()

from celery.contrib.testing.worker import start_worker  # noqa: E402
from celery.signals import task_failure  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402

from billing import views  # noqa: E402
from billing.models import Invoice  # noqa: E402
from txsite.celery import app  # noqa: E402

app.conf.broker_transport_options = {"polling_interval": 0.01}
call_command("migrate", run_syncdb=True, verbosity=0)
failures = []
task_failure.connect(lambda sender=None, exception=None, **kw: failures.append(repr(exception)), weak=False)
customers = iter(range(1, 1_000_000))


def scenario_atomic_block():
    customer = next(customers)
    views.close_month(customer)
    return customer, {"sent": True, "audited": True}


def scenario_atomic_decorator():
    customer = next(customers)
    views.reissue(customer)
    return customer, {"sent": True}


def scenario_view_under_atomic_requests():
    customer = next(customers)
    response = Client().get(f"/invoices/{customer}/")
    assert response.status_code == 200, response.status_code
    return customer, {"sent": True, "audited": True}


SCENARIOS = {name[len("scenario_"):]: f for name, f in sorted(globals().items()) if name.startswith("scenario_")}


def wait(condition, seconds):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def run(name, scenario):
    del failures[:]
    with transaction.atomic():  # held open after the send, as a slow request would
        customer, expected = scenario()
        wait(lambda: failures, 5 if mode == "before" else 1)
    if failures:
        return "DoesNotExist" if all("DoesNotExist" in f for f in failures) else f"task failures: {failures}"

    def done():
        rows = Invoice.objects.filter(customer=customer)
        return rows.exists() and all(all(getattr(row, k) == v for k, v in expected.items()) for row in rows)

    if wait(lambda: done() or failures, 20) and not failures:
        return "ok"
    return f"no effect in the database; task failures: {failures}"


results = {}
with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
    for name, scenario in SCENARIOS.items():
        try:
            results[name] = run(name, scenario)
        except Exception:
            results[name] = traceback.format_exc(limit=3)
print(json.dumps(results, indent=2))
