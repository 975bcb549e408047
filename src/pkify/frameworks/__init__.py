"""What pkify knows of frameworks, as plugins of the analysis (see `pkify.analysis.plugin`):
Django's ORM, Django's web layer, Django REST framework and Celery, one package each.

`registry.PLUGINS` is the list the front ends hand to the inference state; `hints.HINT` is the
pattern a file must match to be analysed at all (read without loading the plugins, on a warm
run).
"""
