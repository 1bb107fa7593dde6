"""The Celery app. Configuration comes from Django settings (the CELERY_ namespace)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "influence.settings")

app = Celery("influence")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
