"""The Celery application: background work for the web processes.

Start a worker and the scheduler with (see README.md, "Background work"):

    celery -A inspired_site worker --loglevel INFO
    celery -A inspired_site beat --loglevel INFO

With no CELERY_BROKER_URL (the development default) every task runs in the process that
sends it, so nothing else needs to be installed.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inspired_site.settings")

app = Celery("inspired_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each kind of work has a queue of its own, so that a long feed import cannot hold up
# link checks, roll-ups, mail or the integrations' webhooks and alerts.
QUEUE_OF_TASK = {
    "catalog.tasks.enqueue_link_checks": "linkcheck",
    "catalog.tasks.check_offers": "linkcheck",
    "catalog.tasks.import_feed": "imports",
    "catalog.tasks.rollup_clicks": "rollups",
    "storefront.tasks.send_mail": "mail",
    "catalog.integrations.tasks.deliver_webhook": "integrations",
    "catalog.integrations.tasks.retry_due_webhooks": "integrations",
    "catalog.integrations.tasks.evaluate_alerts": "integrations",
    "catalog.integrations.tasks.send_artist_digests": "integrations",
    "catalog.integrations.tasks.update_fx_rates": "integrations",
}
QUEUE_KINDS = sorted(set(QUEUE_OF_TASK.values()))


def route_task(name, args, kwargs, options, task=None, **kw):
    """Send each task to its kind's queue, named after CELERY_QUEUE_PREFIX."""
    from django.conf import settings

    kind = QUEUE_OF_TASK.get(name)
    if kind is None:
        return None
    return {"queue": f"{settings.CELERY_QUEUE_PREFIX}.{kind}"}
