"""The Celery application (production background work on Redis).

Start a worker: `celery -A tsur worker -l info`; the periodic jobs: `celery -A tsur beat`.
Without TSUR_CELERY_BROKER_URL nothing here needs a server: tasks run in-process.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsur.settings")

app = Celery("tsur")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["tsur.core", "tsur.channels"])
app.conf.beat_schedule = {
    "tick": {"task": "tsur.core.tasks.tick", "schedule": 60.0},
}
