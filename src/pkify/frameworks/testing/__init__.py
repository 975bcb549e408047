"""Tests of Celery tasks: `unittest.mock.patch` of a task, and the assertions made on its mock
(which a fix must rewrite together with the task's signature)."""
