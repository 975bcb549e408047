"""The smallest project with a finding, shared by the front-end tests: a model and a task in
shop/models.py, a view in shop/views.py that sends the instance (shop/views.py:6:24: CEL101)."""

from pathlib import Path
from typing import Dict

MODELS = """\
from celery import shared_task
from django.db import models


class Order(models.Model):
    number = models.CharField(max_length=20)


@shared_task
def send_receipt(order):
    pass
"""

OFFENDING = """\
from shop.models import Order, send_receipt


def pay(pk):
    order = Order.objects.get(pk=pk)
    send_receipt.delay(order)
"""


def make(root: Path) -> Path:
    (root / "manage.py").write_text("")
    (root / "shop").mkdir()
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "models.py").write_text(MODELS)
    (root / "shop" / "views.py").write_text(OFFENDING)
    return root


def write(root: Path, files: Dict[str, str]) -> Path:
    """Files by their path relative to `root` (directories made as needed)."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root
