"""A real Celery worker on RabbitMQ (not eager mode), with results in Redis.

The worker and the web node are processes of their own, started with the environment a
deployment gives them, on the test database.
"""

import time

from django.urls import reverse

import pytest
import requests

from catalog.models import ImportJob, Retailer
from catalog.tests.factories import UserFactory
from catalog.tests.processes import (
    client_app,
    running_web,
    running_worker,
    site_environment,
)
from catalog.tests.smtp_server import running_smtp
from storefront.tasks import as_task_data
from storefront.tests.test_mail_task import message

pytestmark = pytest.mark.slow


@pytest.fixture
def env():
    return site_environment()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_feed_uploaded_in_the_admin_is_imported_by_the_worker(env, tmp_path, client):
    curator = UserFactory(curator=True)
    client.force_login(curator)  # a session row in the shared database
    session = requests.Session()
    cookies = {"sessionid": client.cookies["sessionid"].value}
    rows = "\n".join(["name,slug"] + [f"Shop {n},shop-{n}" for n in range(2500)]) + "\n"

    with (
        running_worker(env, tmp_path / "worker.log"),
        running_web(env, tmp_path / "web.log") as base,
    ):
        add_url = base + reverse("admin:catalog_importjob_add")
        form = session.get(add_url, cookies=cookies)
        assert form.status_code == 200
        cookies["csrftoken"] = form.cookies["csrftoken"]
        token = form.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        response = session.post(
            add_url,
            data={"csrfmiddlewaretoken": token, "kind": "retailers"},
            files={"file": ("retailers.csv", rows.encode(), "text/csv")},
            cookies=cookies,
            headers={"Referer": add_url},
            allow_redirects=False,
        )
        assert response.status_code == 302, response.text[:2000]

        job = ImportJob.objects.get()
        deadline = time.monotonic() + 120
        while job.status not in {"done", "failed"} and time.monotonic() < deadline:
            time.sleep(0.5)
            job.refresh_from_db()
        result = client_app(env).AsyncResult(job.task_id).get(timeout=30)

    assert job.status == ImportJob.Status.DONE, job.error
    assert (job.total_rows, job.processed_rows, job.report["created"]) == (2500, 2500, 2500)
    assert Retailer.objects.filter(slug__startswith="shop-").count() == 2500
    # The result backend holds what the task returned.
    assert result == {"status": "done", "created": 2500, "updated": 0}


def test_the_worker_retries_mail_until_the_server_takes_it(env, tmp_path):
    with running_smtp(refuse=2) as smtp:
        env["DJANGO_EMAIL_BACKEND"] = "django.core.mail.backends.smtp.EmailBackend"
        env["DJANGO_EMAIL_HOST"] = "127.0.0.1"
        env["DJANGO_EMAIL_PORT"] = str(smtp.server_address[1])
        env["DJANGO_EMAIL_USE_TLS"] = "0"
        with running_worker(env, tmp_path / "worker.log"):
            sent = client_app(env).send_task(
                "storefront.tasks.send_mail",
                args=[as_task_data(message())],
                queue=f"{env['CELERY_QUEUE_PREFIX']}.mail",
            )
            assert sent.get(timeout=60) == 1
    assert smtp.refused == 2
    assert len(smtp.messages) == 1
    assert "Subject: Reset your password" in smtp.messages[0]
    assert "Retry in" in (tmp_path / "worker.log").read_text()
