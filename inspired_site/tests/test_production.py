"""The documented production configuration passes Django's deployment checks."""

import secrets
import subprocess
import sys
import urllib.request

import pytest

from catalog.tests.processes import ROOT, manage, site_env, test_database_url

from .servers import wait_for_port

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def production_env() -> dict[str, str]:
    env = {}
    for line in (ROOT / ".env.production.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    # The placeholders a deployment fills in.
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(60)
    env["DATABASE_URL"] = test_database_url()
    return env


def test_the_production_configuration_passes_check_deploy_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_gunicorn_configuration_loads():
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "inspired_site.wsgi"],
        cwd=ROOT,
        env={**production_env(), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_gunicorn_workers_freeze_the_loaded_application_out_of_the_collectors_sight(tmp_path):
    port = 8252
    log = tmp_path / "gunicorn.log"
    server = subprocess.Popen(  # noqa: S603
        [
            *(sys.executable, "-m", "gunicorn", "inspired_site.tests.frozen_app:application"),
            *("--config", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}"),
            *("--workers", "1", "--access-logfile", "/dev/null"),
        ],
        cwd=ROOT,
        env=site_env(DATABASE_URL=test_database_url()),
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )
    try:
        wait_for_port(port)
        frozen = int(fetch(f"http://127.0.0.1:{port}/__frozen/"))
        health = fetch(f"http://127.0.0.1:{port}/healthz")
    finally:
        server.terminate()
        server.wait(timeout=30)

    # Django, the site and its URLconf: not only the few hundred objects Python freezes itself.
    assert frozen > 50_000, log.read_text()
    assert health


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (a local URL)
        return response.read().decode()
