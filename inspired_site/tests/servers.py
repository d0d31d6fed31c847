"""Private server processes for outage tests: our own MariaDB, Redis and gunicorn.

Each runs on a port of its own with its own data directory, so a test can stop and start it
without touching the machine's services.
"""

import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from catalog.tests.processes import ROOT, manage, site_env


def wait_for_port(port: int, *, up: bool = True, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.1)
    raise TimeoutError(f"Port {port} did not go {'up' if up else 'down'} in {timeout} s")


class PrivateMariaDB:
    """A mariadbd of our own: its own data directory, socket and port."""

    def __init__(self, directory: Path, port: int):
        self.directory = directory
        self.port = port
        self.process = None

    @property
    def url(self) -> str:
        return f"mysql://root@127.0.0.1:{self.port}/inspired_outage"

    def install(self) -> None:
        subprocess.run(  # noqa: S603
            [
                shutil.which("mariadb-install-db") or "mysql_install_db",
                "--no-defaults",
                f"--datadir={self.directory / 'data'}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--user=root",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.start()
        subprocess.run(  # noqa: S603
            [
                shutil.which("mariadb") or "mysql",
                "--protocol=tcp",
                "-h127.0.0.1",
                f"-P{self.port}",
                "-uroot",
                "-e",
                "CREATE DATABASE inspired_outage CHARACTER SET utf8mb4",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        migrated = manage("migrate", "--no-input", "-v0", timeout=300, DATABASE_URL=self.url)
        assert migrated.returncode == 0, migrated.stderr

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                "/usr/sbin/mariadbd",
                "--no-defaults",
                f"--datadir={self.directory / 'data'}",
                f"--socket={self.directory / 'mariadb.sock'}",
                f"--pid-file={self.directory / 'mariadb.pid'}",
                f"--log-error={self.directory / 'error.log'}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                "--user=root",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=32M",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=60)
            self.process = None
            wait_for_port(self.port, up=False)


class PrivateRedis:
    def __init__(self, port: int):
        self.port = port
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None
            wait_for_port(self.port, up=False)


class Gunicorn:
    """The site as production serves it: gunicorn with the repository's configuration."""

    def __init__(self, port: int, log: Path, **env):
        self.port = port
        self.log = log
        self.env = env
        self.process = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "inspired_site.wsgi",
                "--config",
                str(ROOT / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--access-logfile",
                "/dev/null",
            ],
            cwd=ROOT,
            env=site_env(**self.env),
            stdout=subprocess.DEVNULL,
            # A file, not a pipe: a pipe nobody reads fills up and blocks the workers.
            stderr=self.log.open("ab"),
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
