"""Celery: tasks, the calls that send them, and Celery apps."""
