"""Run management commands as operators do: `python manage.py …` in a subprocess."""

import os
import subprocess
import sys

from django.conf import settings
from django.db import connection


def manage(*args, tmp_path, env=None):
    """Run manage.py against the tests' database (MariaDB) or a migrated SQLite file.

    An SQLite test database lives in this process's memory, where no subprocess can see
    it; a file migrated for the purpose stands in for it.
    """
    if connection.vendor == "mysql":
        params = connection.settings_dict
        url = (
            f"mysql://{params['USER']}:{params['PASSWORD']}@{params['HOST'] or '127.0.0.1'}:"
            f"{params['PORT'] or 3306}/{params['NAME']}"
        )
    else:
        url = f"sqlite:///{tmp_path / 'command.sqlite3'}"
    environment = {**os.environ, "DATABASE_URL": url, **(env or {})}
    if connection.vendor != "mysql" and not (tmp_path / "command.sqlite3").exists():
        run([sys.executable, "manage.py", "migrate", "--no-input"], environment)
    return run([sys.executable, "manage.py", *args], environment)


def run(command, environment):
    return subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        command,
        env={**environment, "DJANGO_SETTINGS_MODULE": "inspired_site.settings_test"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
