"""pkify: find (and fix) Django model instances and QuerySets passed to Celery tasks."""

__version__ = "0.1.0"
