"""Runs the compat project (fixtures/fix/compat_rolling_deploy) for real: Django on SQLite,
Celery with the pickle serializer and a broker that keeps its messages in files, so that the
messages one process sends wait for a worker started later, with other code (after a deploy).

    python compat_scenarios.py PROJECT_DIR BROKER_DIR send NOTE
    python compat_scenarios.py PROJECT_DIR BROKER_DIR work NOTE EXPECTED

`send`: makes the database and its rows, and sends every task through the project's call sites
(with the code as it is: before the fix, the messages hold pickled instances), without a worker;
then renames an order, so that a task that reads its row again says the new number.
`work`: starts a worker, sends every task again (with the code as it is now), and waits until
the tasks have left EXPECTED lines in the log (or failed). Prints one JSON object: the log lines
(task and text), and the tasks' failures.
"""

import json
import os
import sys
import time

project, broker, mode, note = sys.argv[1:5]
sys.path.insert(0, project)
os.chdir(project)
os.environ["DJANGO_SETTINGS_MODULE"] = "compatsite.settings"
os.environ["SHOP_BROKER_DIR"] = broker
os.makedirs(broker, exist_ok=True)

import django  # noqa: E402

django.setup()

from celery.signals import task_failure  # noqa: E402
from django.core.management import call_command  # noqa: E402

from compatsite.celery import app  # noqa: E402
from shop import views  # noqa: E402
from shop.models import Customer, Log, Order  # noqa: E402

failures = []
task_failure.connect(lambda sender=None, exception=None, **kw: failures.append(f"{sender.name}: {exception!r}"), weak=False)


def send_everything(customer):
    first = customer.orders.order_by("pk").first()
    views.pay(first.pk, note)
    views.archive(customer.pk, note)
    views.subscribe(customer.pk, note)


def report():
    lines = sorted([row.task, row.text] for row in Log.objects.all())
    return {"log": lines, "failures": sorted(failures), "archived": Order.objects.filter(archived=True).count()}


if mode == "send":
    call_command("migrate", run_syncdb=True, verbosity=0)
    customer = Customer.objects.create(email="buyer@example.com")
    Order.objects.bulk_create([Order(customer=customer, number="A"), Order(customer=customer, number="B")])
    send_everything(customer)
    Order.objects.filter(number="A").update(number="A2")  # after the messages were sent
    print(json.dumps({"queued": len(os.listdir(broker))}))
else:
    from celery.contrib.testing.worker import start_worker

    expected = int(sys.argv[5])
    with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
        send_everything(Customer.objects.get())
        deadline = time.monotonic() + 60
        while Log.objects.count() + len(failures) < expected and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # anything more that was still on its way
    print(json.dumps(report(), indent=2))
