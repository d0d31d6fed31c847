"""The documented production configuration passes Django's deployment checks."""

import secrets
import subprocess
import sys

import pytest

from catalog.tests.processes import ROOT, manage, test_database_url

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
