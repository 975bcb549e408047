"""Runs fixtures/e2e/serializable for real: Django on a SQLite file database, Celery with the
in-memory broker, the JSON serializer and an in-process worker.

    python serializable_scenarios.py PROJECT_DIR before|after

Each scenario sends a task with a value the JSON serializer may not carry (a set, a timedelta)
and waits for the worker's effect in the database (`before`: no worker is started, a send that
does not fail is reported as "sent"). Prints one JSON object:
{scenario name: "ok" | "EncodeError" | an error description}.
"""

import json
import os
import sys
import time
import traceback

project, mode = sys.argv[1], sys.argv[2]
sys.path.insert(0, project)
os.chdir(project)
os.environ["DJANGO_SETTINGS_MODULE"] = "tagsite.settings"

import django  # noqa: E402

django.setup()

from celery.contrib.testing.worker import start_worker  # noqa: E402
from celery.signals import task_failure  # noqa: E402
from django.core.management import call_command  # noqa: E402
from kombu.exceptions import EncodeError  # noqa: E402

from catalog import views  # noqa: E402
from catalog.models import Item  # noqa: E402
from tagsite.celery import app  # noqa: E402

app.conf.broker_transport_options = {"polling_interval": 0.01}
call_command("migrate", run_syncdb=True, verbosity=0)
failures = []
task_failure.connect(lambda sender=None, exception=None, **kw: failures.append(repr(exception)), weak=False)


def scenario_set_argument():
    item = Item.objects.create(name="lamp")
    views.tag_item(item.pk, ["Red ", "blue", "red"])
    return lambda: Item.objects.get(pk=item.pk).tags == "blue,red"


def scenario_timedelta_argument():
    item = Item.objects.create(name="chair")
    views.schedule_reminder(item.pk)
    return lambda: Item.objects.get(pk=item.pk).reminded


SCENARIOS = {name[len("scenario_"):]: f for name, f in sorted(globals().items()) if name.startswith("scenario_")}


def run(scenario):
    del failures[:]
    try:
        done = scenario()
    except EncodeError:
        return "EncodeError"
    if mode == "before":
        return "sent"
    deadline = time.monotonic() + 10
    while not done() and not failures and time.monotonic() < deadline:
        time.sleep(0.05)
    return "ok" if done() else f"no effect in the database; task failures: {failures}"


def run_all():
    results = {}
    for name, scenario in SCENARIOS.items():
        try:
            results[name] = run(scenario)
        except Exception:
            results[name] = traceback.format_exc(limit=3)
    return results


if mode == "before":
    print(json.dumps(run_all(), indent=2))
else:
    with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
        print(json.dumps(run_all(), indent=2))
