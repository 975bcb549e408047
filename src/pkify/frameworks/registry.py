"""The plugins the analysis uses, in the order they are asked (each may use those before it:
the web layer reads the ORM's catalog)."""

from __future__ import annotations

from typing import List, Type

from ..analysis.plugin import Plugin
from .celery.plugin import Celery
from .django_orm.plugin import DjangoORM
from .django_web.plugin import DjangoWeb
from .drf.plugin import DRF
from .factory_boy.plugin import FactoryBoy
from .testing.plugin import Testing

PLUGINS: List[Type[Plugin]] = [DjangoORM, DjangoWeb, DRF, Celery, Testing, FactoryBoy]
