"""Read replicas, end to end: a private MariaDB primary, its GTID replica (each with its own
data directory and port, started and stopped here) and a gunicorn web node using both."""

import itertools
import subprocess
import sys
import time
import urllib.request
from http.cookies import SimpleCookie

import pytest

from catalog.tests.processes import BASE_DIR, running_web, site_environment
from scripts.mariadb import start_pair, wait_until_caught_up

pytestmark = pytest.mark.slow

PRIMARY_PORT, REPLICA_PORT = 3330, 3331
DATABASE = "inspired"
SLUG = "paul-smith-striped-lambswool-beanie"
PRIMARY_NAME = "Striped lambswool beanie"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


REQUEST_NUMBERS = itertools.count()


def get(url: str, cookie: str = "") -> tuple[int, str, str]:
    """Return (status, body, read-your-writes cookie value or "") of a GET.

    Product pages get a query string of their own each time, so that they are read from a
    database rather than from the page cache (which is not what is tested here).
    """
    if "/products/" in url:
        url += f"?n={next(REQUEST_NUMBERS)}"
    headers = {"User-Agent": BROWSER, **({"Cookie": cookie} if cookie else {})}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (ours)
    try:
        response = OPENER.open(request, timeout=20)
    except urllib.error.HTTPError as error:
        response = error
    with response:
        cookies = SimpleCookie("\n".join(response.headers.get_all("Set-Cookie") or []))
        morsel = cookies.get("inspired_primary_until")
        return response.status, response.read().decode(), morsel.value if morsel else ""


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("replication")
    primary, replica = start_pair(folder, PRIMARY_PORT, REPLICA_PORT)
    try:
        primary.query(
            f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
        env = site_environment(DATABASE_URL=f"{primary.url}/{DATABASE}")
        for command in (["migrate", "--no-input"], ["load_demo"]):
            subprocess.run(  # noqa: S603 (our own command)
                [sys.executable, "manage.py", *command, "--verbosity", "0"],
                cwd=BASE_DIR,
                env=env,
                check=True,
            )
        wait_until_caught_up(primary, replica)
        yield primary, replica
    finally:
        replica.stop()
        primary.stop()


def count(server, sql: str) -> int:
    return server.query(sql, database=DATABASE)[0][0]


def product_name(html: str) -> str:
    return html.split("<h1", 1)[1].split(">", 1)[1].split("<", 1)[0].strip()


def test_reads_go_to_the_replica_writes_to_the_primary_and_nothing_is_lost(databases, tmp_path):
    primary, replica = databases
    (offer_id,) = primary.query(
        "SELECT o.id FROM catalog_offer o JOIN catalog_product p ON p.id = o.product_id "
        "WHERE p.slug = %s LIMIT 1",
        [SLUG],
        database=DATABASE,
    )[0]
    # The replica alone gets another name (not in the binary log), so a page shows where
    # it read from.
    replica.query(
        "SET SESSION sql_log_bin = 0; UPDATE catalog_product SET name = 'Read on the replica' "
        "WHERE slug = %s",
        [SLUG],
        database=DATABASE,
    )
    env = site_environment(
        DATABASE_URL=f"{primary.url}/{DATABASE}",
        DATABASE_REPLICA_URLS=f"{replica.url}/{DATABASE}",
        DATABASE_READ_YOUR_WRITES_SECONDS="2",
        DATABASE_REPLICA_CHECK_SECONDS="0.2",
        DATABASE_REPLICA_MAX_LAG_SECONDS="1",
        CELERY_BROKER_URL="",
    )
    clicks_before = count(primary, "SELECT COUNT(*) FROM catalog_click")

    with running_web(env, tmp_path / "web.log") as base:
        page = f"{base}/products/{SLUG}/"

        # 1. A shopper's page reads the replica.
        status, html, _ = get(page)
        assert (status, product_name(html)) == (200, "Read on the replica")

        # 2. A click is a write: it lands on the primary, and the visitor who made it
        # reads the primary for DATABASE_READ_YOUR_WRITES_SECONDS.
        status, _, until = get(f"{base}/go/{offer_id}/")
        assert status == 302 and until
        assert count(primary, "SELECT COUNT(*) FROM catalog_click") == clicks_before + 1
        cookie = f"inspired_primary_until={until}"
        assert product_name(get(page, cookie)[1]) == PRIMARY_NAME
        assert product_name(get(page)[1]) == "Read on the replica"  # others: the replica
        time.sleep(2.1)
        assert product_name(get(page, cookie)[1]) == "Read on the replica"

        # 3. A replica that stopped applying changes is skipped.
        replica.query("STOP SLAVE SQL_THREAD")
        time.sleep(0.5)
        assert product_name(get(page)[1]) == PRIMARY_NAME
        assert get(f"{base}/go/{offer_id}/")[0] == 302
        replica.query("START SLAVE SQL_THREAD")
        wait_until_caught_up(primary, replica)
        time.sleep(0.5)
        assert product_name(get(page)[1]) == "Read on the replica"

        # 4. A replica that is gone is skipped, from the very next request on.
        replica.kill()
        answers = [get(page) for _ in range(5)] + [get(f"{base}/go/{offer_id}/")]
        assert [status for status, _, _ in answers] == [200] * 5 + [302]
        assert product_name(answers[0][1]) == PRIMARY_NAME
        # ...and used again once it is back and has caught up.
        replica.start()
        wait_until_caught_up(primary, replica)
        time.sleep(0.5)
        assert product_name(get(page)[1]) == "Read on the replica"

    # Nothing was lost: every click is on the primary and on the replica.
    assert count(primary, "SELECT COUNT(*) FROM catalog_click") == clicks_before + 3
    assert count(replica, "SELECT COUNT(*) FROM catalog_click") == clicks_before + 3


@pytest.mark.parametrize(
    ("method", "path", "cookie", "allowed"),
    [
        ("GET", "/products/", None, True),
        ("HEAD", "/videos/", None, True),
        ("GET", "/admin/catalog/product/", None, False),  # curators never read stale rows
        ("POST", "/api/v1/products/", None, False),  # nor do API writes
        ("GET", "/products/", "future", False),  # this visitor just wrote
        ("GET", "/products/", "past", True),
        ("GET", "/products/", "garbage", True),
    ],
)
def test_which_requests_may_read_a_replica(rf, method, path, cookie, allowed):
    from inspired_site.middleware import ReplicaReadsMiddleware

    request = getattr(rf, method.lower())(path)
    values = {"future": time.time() + 60, "past": time.time() - 1, "garbage": "x"}
    if cookie:
        request.COOKIES["inspired_primary_until"] = str(values[cookie])
    assert ReplicaReadsMiddleware.may_read_replicas(request) is allowed
