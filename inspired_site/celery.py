"""The Celery application: background work for the web processes.

Start a worker with `celery -A inspired_site worker --loglevel INFO` (and `beat` for the
schedule). With no CELERY_BROKER_URL (the development default) every task runs in the
process that sends it, so nothing else needs to be installed.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inspired_site.settings")

app = Celery("inspired_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
