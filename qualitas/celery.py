"""Celery app: used when CELERY_BROKER_URL (or REDIS_URL) is set; otherwise `qualitas tick`
runs the same jobs from cron.

    celery -A qualitas worker --beat
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qualitas.settings")
app = Celery("qualitas")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.beat_schedule = {
    "periodic-jobs": {"task": "qualitas.periodic_jobs", "schedule": 300.0},
}
