"""Celery app: used when CELERY_BROKER_URL (or REDIS_URL) is set; otherwise tasks run in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qualitas.settings")
app = Celery("qualitas")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
