"""Runs the project `tests/test_returns_end_to_end.py` writes, for real: Django on a SQLite file
database, Celery with the in-memory broker, an in-memory result backend that stores results
(`cache+memory://`), the JSON serializer and an in-process worker.

    python returns_scenarios.py PROJECT_DIR

Each scenario sends a task that does its work and returns what it made, then waits for the
stored result. Before `pkify fix` the tasks return rows: the work is done, but storing the result
fails (kombu's EncodeError). After it they return keys, and the result is stored and read.
Prints one JSON object: {scenario name: {"result": "ok" | an error's type, "done": bool}}.
"""

import json
import os
import sys

project = sys.argv[1]
sys.path.insert(0, project)
os.chdir(project)
os.environ["DJANGO_SETTINGS_MODULE"] = "rsite.settings"

import django  # noqa: E402

django.setup()

from celery.contrib.testing.worker import start_worker  # noqa: E402
from django.core.management import call_command  # noqa: E402

from orders import tasks  # noqa: E402
from orders.models import Order  # noqa: E402
from rsite.celery import app  # noqa: E402

app.conf.broker_transport_options = {"polling_interval": 0.01}
call_command("migrate", run_syncdb=True, verbosity=0)


def keys(value):
    """The result as stored: a key, or a list of keys."""
    return isinstance(value, int) or (isinstance(value, list) and all(isinstance(v, int) for v in value))


def scenario_instance():
    order = Order.objects.create(email="a@example.com")
    result = tasks.mark_paid.delay(order.pk)
    return result, lambda: Order.objects.get(pk=order.pk).paid


def scenario_queryset():
    Order.objects.create(email="b@example.com", paid=False)
    result = tasks.unpaid_orders.delay()
    return result, lambda: True


def scenario_list_of_instances():
    Order.objects.create(email="c@example.com", paid=True)
    result = tasks.archive_paid.delay()
    return result, lambda: Order.objects.filter(paid=True, archived=False).count() == 0


results = {}
with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
    for name, scenario in sorted(globals().items()):
        if not name.startswith("scenario_"):
            continue
        result, done = scenario()
        try:
            value = result.get(timeout=15)
            outcome = "ok" if keys(value) else f"unexpected result: {value!r}"
        except Exception as error:  # what storing the result raised, as the backend recorded it
            outcome = type(error).__name__
        results[name[len("scenario_"):]] = {"result": outcome, "done": bool(done())}
print(json.dumps(results, indent=2))
