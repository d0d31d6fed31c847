"""Private MariaDB servers on 127.0.0.1, each with its own data directory: a primary and
its GTID replica, for the replica tests and `make cluster`."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import MySQLdb

MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"


class MariaDB:
    """One mariadbd process: `start()`, `stop()` (clean), `kill()` (a crash)."""

    def __init__(self, datadir: Path, port: int, server_id: int):
        self.datadir, self.port, self.server_id = Path(datadir), port, server_id
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mysql://root:@127.0.0.1:{self.port}"

    def install(self) -> None:
        if (self.datadir / "mysql").is_dir():
            return
        self.datadir.mkdir(parents=True, exist_ok=True)
        subprocess.run(  # noqa: S603 (fixed arguments)
            [
                INSTALL_DB,
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            capture_output=True,
        )

    def start(self, timeout: float = 60) -> None:
        self.install()
        log = (self.datadir.parent / f"mariadb-{self.port}.log").open("a")
        args = [
            MARIADBD,
            "--no-defaults",
            f"--datadir={self.datadir}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--socket={self.datadir.parent / f'mariadb-{self.port}.sock'}",
            f"--pid-file={self.datadir.parent / f'mariadb-{self.port}.pid'}",
            f"--server-id={self.server_id}",
            f"--log-bin={self.datadir / 'binlog'}",
            "--binlog-format=ROW",
            "--gtid-strict-mode=ON",
            "--log-slave-updates=ON",
            "--skip-name-resolve",
            "--innodb-buffer-pool-size=64M",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
        ]
        if os.geteuid() == 0:
            args.append("--user=root")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mariadbd on port {self.port} exited; see {log.name}")
            try:
                self.connect().close()
                return
            except MySQLdb.OperationalError:
                time.sleep(0.2)
        raise TimeoutError(f"mariadbd on port {self.port} did not start")

    def connect(self, database: str | None = None):
        kwargs = {"database": database} if database else {}
        return MySQLdb.connect(
            host="127.0.0.1", port=self.port, user="root", password="", autocommit=True, **kwargs
        )

    def query(self, sql: str, params=None, database: str | None = None) -> list[tuple]:
        connection = self.connect(database)
        try:
            cursor = connection.cursor()
            cursor.execute(sql, params)
            return list(cursor.fetchall() or [])
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        self.process = None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None


def start_pair(folder: Path, primary_port: int, replica_port: int) -> tuple[MariaDB, MariaDB]:
    """Start a primary and a GTID replica of it (empty the first time); return them running."""
    primary = MariaDB(folder / "primary", primary_port, server_id=1)
    replica = MariaDB(folder / "replica", replica_port, server_id=2)
    primary.install()
    if not (replica.datadir / "mysql").is_dir():
        # The same empty system tables, so the replica starts at the primary's first GTID.
        shutil.copytree(primary.datadir, replica.datadir)
    primary.start()
    replica.start()
    if replica.query("SHOW SLAVE STATUS"):
        # Started before: it remembers its primary and its position.
        replica.query("START SLAVE")
        return primary, replica
    replica.query(
        "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%s, MASTER_USER='root', "
        "MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
        [primary_port],
    )
    replica.query("START SLAVE")
    return primary, replica


def wait_until_caught_up(primary: MariaDB, replica: MariaDB, timeout: float = 60) -> None:
    """Wait until the replica has applied every transaction the primary has written."""
    (position,) = primary.query("SELECT @@gtid_binlog_pos")[0]
    (done,) = replica.query("SELECT MASTER_GTID_WAIT(%s, %s)", [position, timeout])[0]
    if done != 0:
        raise TimeoutError(f"The replica did not reach {position} in {timeout} s")
