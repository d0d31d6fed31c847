"""A multi-node Inspired on one machine, on 127.0.0.1 only, and a load test that breaks it.

    python scripts/cluster.py up      # start everything, load the demo, print the URL
    python scripts/cluster.py down    # stop what `up` started
    python scripts/cluster.py test    # start, run the load while killing nodes, report, stop

What runs (ports from CLUSTER_PORT_BASE, 8300 by default):

    HAProxy            :8300  -> two gunicorn web nodes :8301 and :8302 (debug off)
    MariaDB primary    :3332, and its GTID replica :3333 (own data directories in .cluster/)
    moto's S3 server   :9300  the media bucket (object storage)
    Celery worker and beat, on the machine's RabbitMQ (127.0.0.1:5672) with queues of
    their own (prefix inspired-cluster); cache, sessions and task results in the machine's
    Redis, database 3.
"""

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from scripts.mariadb import MariaDB, start_pair, wait_until_caught_up  # noqa: E402

STATE_DIR = BASE_DIR / ".cluster"
BIN = Path(sys.executable).parent
PORT_BASE = int(os.environ.get("CLUSTER_PORT_BASE", "8300"))
HAPROXY_PORT, WEB_PORTS = PORT_BASE, [PORT_BASE + 1, PORT_BASE + 2]
PRIMARY_PORT, REPLICA_PORT = 3332, 3333
S3_PORT = int(os.environ.get("CLUSTER_S3_PORT", "9300"))
DATABASE = "inspired"
BUCKET = "inspired-media"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36 (load test)"


def environment() -> dict:
    secret_file = STATE_DIR / "secret-key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(50))
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inspired_site.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secret_file.read_text(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"mysql://root:@127.0.0.1:{PRIMARY_PORT}/{DATABASE}",
        "DATABASE_REPLICA_URLS": f"mysql://root:@127.0.0.1:{REPLICA_PORT}/{DATABASE}",
        "DATABASE_REPLICA_CHECK_SECONDS": "1",
        "REDIS_URL": "redis://127.0.0.1:6379/3",
        "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
        "CELERY_RESULT_BACKEND": "redis://127.0.0.1:6379/3",
        "CELERY_QUEUE_PREFIX": "inspired-cluster",
        "DJANGO_MEDIA_S3_BUCKET": BUCKET,
        "DJANGO_MEDIA_S3_ENDPOINT_URL": f"http://127.0.0.1:{S3_PORT}",
        "DJANGO_MEDIA_S3_REGION": "us-east-1",
        "DJANGO_MEDIA_S3_ACCESS_KEY_ID": "cluster",
        "DJANGO_MEDIA_S3_SECRET_ACCESS_KEY": "cluster",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        # Click roll-ups often enough to watch. Link checks are left to the shell: the demo
        # offers point at real retailers, and this cluster stays on 127.0.0.1.
        "CATALOG_ROLLUP_EVERY": "15",
        "CATALOG_LINKCHECK_ENQUEUE_EVERY": "86400",
    }


def answers(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout):  # noqa: S310 (ours)
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def wait_for(predicate, what: str, timeout: float = 60) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout} s")


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


class Cluster:
    def __init__(self):
        STATE_DIR.mkdir(exist_ok=True)
        self.env = environment()
        self.processes: dict[str, subprocess.Popen] = {}
        self.primary = self.replica = None

    # Processes

    def spawn(self, name: str, args: list) -> subprocess.Popen:
        log = (STATE_DIR / f"{name}.log").open("a")
        process = subprocess.Popen(  # noqa: S603 (our own programs)
            [str(arg) for arg in args],
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        self.save_pids()
        return process

    def save_pids(self):
        pids = {name: process.pid for name, process in self.processes.items()}
        for server in (self.primary, self.replica):
            if server is not None and server.process is not None:
                pids[f"mariadb-{server.port}"] = server.process.pid
        (STATE_DIR / "pids.json").write_text(json.dumps(pids, indent=2))

    def manage(self, *args):
        subprocess.run(  # noqa: S603 (our own command)
            [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=self.env, check=True
        )

    def start_web(self, index: int) -> None:
        port = WEB_PORTS[index]
        self.spawn(
            f"web{index + 1}",
            [
                BIN / "gunicorn",
                "inspired_site.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "8",
                "--graceful-timeout",
                "10",
            ],
        )
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/robots.txt"), f"web node :{port}")

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self.save_pids()

    def write_haproxy_config(self) -> Path:
        servers = "\n".join(
            f"    server web{n + 1} 127.0.0.1:{port} maxconn 16 check inter 1s fall 2 rise 2"
            for n, port in enumerate(WEB_PORTS)
        )
        config = STATE_DIR / "haproxy.cfg"
        config.write_text(
            f"""global
    maxconn 2000
    stats socket {STATE_DIR / "haproxy.sock"} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    # A busy node answers its health check late, not never: only a dead one is taken out.
    timeout check 5s
    # Requests beyond the nodes' maxconn wait here rather than pile up on a node.
    timeout queue 15s
    # A request a node could not answer (it died, refused or reset the connection) is
    # sent to the other node instead of failing.
    retries 3
    option redispatch 1
    retry-on all-retryable-errors
    option http-server-close

frontend inspired
    bind 127.0.0.1:{HAPROXY_PORT}
    default_backend web

backend web
    balance roundrobin
    option httpchk GET /robots.txt
    http-check expect status 200
{servers}
"""
        )
        return config

    def haproxy_status(self) -> dict[str, str]:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(STATE_DIR / "haproxy.sock"))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {row["svname"]: row["status"] for row in rows if row.get("pxname") == "web"}

    # Up and down

    def up(self) -> None:
        for port in [HAPROXY_PORT, *WEB_PORTS, PRIMARY_PORT, REPLICA_PORT, S3_PORT]:
            if not port_free(port):
                raise SystemExit(
                    f"Port {port} is taken: is a cluster running? (make cluster-stop)"
                )
        print(f"Starting MariaDB primary :{PRIMARY_PORT} and replica :{REPLICA_PORT}")
        self.primary, self.replica = start_pair(STATE_DIR / "mariadb", PRIMARY_PORT, REPLICA_PORT)
        self.save_pids()
        self.primary.query(
            f"CREATE DATABASE IF NOT EXISTS {DATABASE} "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
        print(f"Starting the S3 server :{S3_PORT}")
        self.spawn("s3", [BIN / "moto_server", "-H", "127.0.0.1", "-p", S3_PORT])
        wait_for(lambda: answers(f"http://127.0.0.1:{S3_PORT}/"), "moto_server")
        self.create_bucket()
        print("Migrating, loading the demo catalog, collecting static files")
        self.manage("migrate", "--no-input", "--verbosity", "0")
        self.manage("load_demo")
        self.manage("collectstatic", "--no-input", "--verbosity", "0")
        wait_until_caught_up(self.primary, self.replica)
        print("Starting two web nodes, HAProxy, a Celery worker and beat")
        for index in range(len(WEB_PORTS)):
            self.start_web(index)
        self.spawn("haproxy", ["haproxy", "-db", "-f", self.write_haproxy_config()])
        wait_for(lambda: answers(f"http://127.0.0.1:{HAPROXY_PORT}/robots.txt"), "HAProxy")
        self.spawn(
            "worker",
            [
                BIN / "celery",
                "-A",
                "inspired_site",
                "worker",
                "-l",
                "INFO",
                "-c",
                "2",
                "-n",
                "inspired-cluster@%h",
            ],
        )
        self.spawn(
            "beat",
            [
                BIN / "celery",
                "-A",
                "inspired_site",
                "beat",
                "-l",
                "INFO",
                "--schedule",
                STATE_DIR / "celerybeat-schedule",
            ],
        )
        print(f"\nInspired is up at http://127.0.0.1:{HAPROXY_PORT}/ (logs in {STATE_DIR})")

    def create_bucket(self) -> None:
        import boto3

        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{S3_PORT}",
            region_name="us-east-1",
            aws_access_key_id="cluster",
            aws_secret_access_key="cluster",  # noqa: S106 (the local S3 server's)
        )
        s3.create_bucket(Bucket=BUCKET)
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{BUCKET}/*",
                }
            ],
        }
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))

    def down(self) -> None:
        for name, process in list(self.processes.items()):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
            del self.processes[name]
        for server in (self.replica, self.primary):
            if server is not None:
                server.stop()
        (STATE_DIR / "pids.json").unlink(missing_ok=True)


def down_from_pid_file() -> None:
    """Stop the processes a previous `up` recorded, by their ids."""
    pid_file = STATE_DIR / "pids.json"
    if not pid_file.exists():
        print("No cluster is running.")
        return
    pids = json.loads(pid_file.read_text())
    for name, pid in pids.items():
        try:
            if name.startswith("mariadb"):
                os.kill(pid, signal.SIGTERM)
            else:
                os.killpg(pid, signal.SIGTERM)
            print(f"Stopped {name} ({pid})")
        except ProcessLookupError:
            pass
    pid_file.unlink()


# The load test


class Load:
    """Shoppers browsing and clicking through HAProxy from a few threads."""

    def __init__(self, base: str, offers: list[int], pages: list[str], threads: int = 8):
        self.base, self.offers, self.pages, self.threads = base, offers, pages, threads
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counts = Counter()
        self.failures: list[tuple[float, str, str]] = []
        self.clicks_acknowledged = 0
        self.latencies: list[tuple[float, str, float]] = []
        self.started = time.monotonic()

    def shopper(self, seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 (a load mix, not security)
        opener = urllib.request.build_opener(NoRedirect)
        while not self.stop.is_set():
            click = rng.random() < 0.2
            path = f"/go/{rng.choice(self.offers)}/" if click else rng.choice(self.pages)
            request = urllib.request.Request(  # noqa: S310 (ours)
                self.base + path, headers={"User-Agent": BROWSER}
            )
            began = time.monotonic()
            try:
                with opener.open(request, timeout=15) as response:
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError as error:
                status = f"error: {error}"
            elapsed = time.monotonic() - began
            with self.lock:
                self.counts["requests"] += 1
                self.latencies.append((began - self.started, path, elapsed))
                ok = status in (200, 302) if click else status == 200
                if not ok:
                    self.failures.append((round(began - self.started, 2), path, str(status)))
                elif click:
                    self.clicks_acknowledged += 1

    def run(self) -> list[threading.Thread]:
        workers = [
            threading.Thread(target=self.shopper, args=(n,), daemon=True)
            for n in range(self.threads)
        ]
        for worker in workers:
            worker.start()
        return workers


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def run_test(duration: float) -> dict:
    # A clean start: empty databases, fresh logs.
    shutil.rmtree(STATE_DIR / "mariadb", ignore_errors=True)
    for log in STATE_DIR.glob("*.log"):
        log.unlink()
    cluster = Cluster()
    try:
        cluster.up()
        return break_and_measure(cluster, duration)
    finally:
        cluster.down()


def break_and_measure(cluster: Cluster, duration: float) -> dict:
    primary: MariaDB = cluster.primary
    replica: MariaDB = cluster.replica
    offers = [row[0] for row in primary.query("SELECT id FROM catalog_offer", database=DATABASE)]
    products = primary.query("SELECT slug FROM catalog_product", database=DATABASE)
    videos = primary.query("SELECT slug FROM catalog_video", database=DATABASE)
    pages = [
        "/",
        "/products/",
        "/videos/",
        "/artists/",
        "/search/?q=jacket",
        *[f"/products/{slug}/" for (slug,) in products],
        *[f"/videos/{slug}/" for (slug,) in videos],
    ]
    clicks_before = primary.query("SELECT COUNT(*) FROM catalog_click", database=DATABASE)[0][0]
    base = f"http://127.0.0.1:{HAPROXY_PORT}"
    load = Load(base, offers, pages)
    events, recovery = [], {}

    def at(seconds: float) -> None:
        time.sleep(max(0.0, load.started + seconds - time.monotonic()))

    def note(what: str) -> None:
        events.append((round(time.monotonic() - load.started, 2), what))
        print(f"  {events[-1][0]:6.2f} s  {what}")

    threads = load.run()
    step = duration / 6
    at(step)
    cluster.kill("web1")
    note("killed web node 1 (SIGKILL)")
    recovery["web1_kill_to_marked_down_s"] = round(
        wait_for(lambda: cluster.haproxy_status().get("web1", "").startswith("DOWN"), "down"), 2
    )
    at(2 * step)
    replica.kill()
    note("killed the replica (SIGKILL)")
    at(3 * step)
    restarted = time.monotonic()
    cluster.start_web(0)
    wait_for(lambda: cluster.haproxy_status().get("web1", "").startswith("UP"), "web1 up")
    recovery["web1_restart_to_serving_s"] = round(time.monotonic() - restarted, 2)
    note(f"web node 1 back in HAProxy after {recovery['web1_restart_to_serving_s']} s")
    at(4 * step)
    restarted = time.monotonic()
    replica.start()
    cluster.save_pids()
    wait_until_caught_up(primary, replica)
    recovery["replica_restart_to_caught_up_s"] = round(time.monotonic() - restarted, 2)
    note(f"replica back and caught up after {recovery['replica_restart_to_caught_up_s']} s")
    at(duration)
    load.stop.set()
    for thread in threads:
        thread.join(timeout=20)
    note("load stopped")
    load_seconds = round(time.monotonic() - load.started, 1)

    wait_until_caught_up(primary, replica)
    clicks_primary = (
        primary.query("SELECT COUNT(*) FROM catalog_click", database=DATABASE)[0][0]
        - clicks_before
    )
    clicks_replica = (
        replica.query("SELECT COUNT(*) FROM catalog_click", database=DATABASE)[0][0]
        - clicks_before
    )
    # The worker's roll-up (beat every 15 s) folds every click, the load's included.
    (last_click,) = primary.query("SELECT MAX(id) FROM catalog_click", database=DATABASE)[0]

    def rolled_up() -> bool:
        rows = primary.query(
            "SELECT last_click_id FROM catalog_clickrollupstate", database=DATABASE
        )
        return bool(rows) and rows[0][0] >= last_click

    stopped = time.monotonic()
    wait_for(rolled_up, "the click roll-up", timeout=90)
    recovery["load_end_to_clicks_rolled_up_s"] = round(time.monotonic() - stopped, 2)
    latencies = sorted(elapsed for _, _, elapsed in load.latencies)
    seconds = load_seconds
    return {
        "duration_s": seconds,
        "threads": load.threads,
        "requests": load.counts["requests"],
        "requests_per_s": round(load.counts["requests"] / seconds, 1),
        "failed_requests": len(load.failures),
        "failures_by_second": dict(Counter(int(when) for when, _, _ in load.failures)),
        "failures": load.failures[:20],
        "clicks_acknowledged": load.clicks_acknowledged,
        "clicks_stored_on_primary": clicks_primary,
        "clicks_on_replica_after_catch_up": clicks_replica,
        "lost_clicks": max(0, load.clicks_acknowledged - clicks_primary),
        "latency_ms": {
            "p50": round(1000 * latencies[len(latencies) // 2]),
            "p95": round(1000 * latencies[int(len(latencies) * 0.95)]),
            "p99": round(1000 * latencies[int(len(latencies) * 0.99)]),
            "max": round(1000 * latencies[-1]),
        },
        "slowest": [
            [round(at, 1), path, round(1000 * elapsed)]
            for at, path, elapsed in sorted(load.latencies, key=lambda row: -row[2])[:5]
        ],
        "recovery": recovery,
        "events": events,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up")
    sub.add_parser("down")
    test = sub.add_parser("test")
    test.add_argument("--duration", type=float, default=90, help="Seconds of load (≤ 120).")
    test.add_argument("--report", type=Path, default=STATE_DIR / "cluster-test.json")
    args = parser.parse_args()

    if args.command == "up":
        cluster = Cluster()
        try:
            cluster.up()
        except BaseException:
            cluster.down()
            raise
    elif args.command == "down":
        down_from_pid_file()
    else:
        if not 10 <= args.duration <= 120:
            raise SystemExit("--duration must be between 10 and 120 seconds.")
        if (STATE_DIR / "pids.json").exists():
            raise SystemExit("A cluster is running; stop it first (make cluster-stop).")
        report = run_test(args.duration)
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report, indent=2))
        print(json.dumps({k: v for k, v in report.items() if k != "events"}, indent=2))
        print(f"Report: {args.report}")
        if report["failed_requests"] or report["lost_clicks"]:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
