#!/usr/bin/env python
"""Measure how the production set-up stands up to password guessing and outages.

    .venv/bin/python scripts/measure_production.py            # about three minutes

It builds its own production: a private MariaDB (port 3392, its own data directory in a
temporary folder) loaded with the demo catalog, a private Redis (port 6392) and gunicorn
with the repository's gunicorn.conf.py and production settings (debug off, port 8260), then
measures, over plain HTTP on 127.0.0.1:

1. 30 wrong passwords on each sign-in surface (admin, browsable API, token, allauth):
   which attempt is refused with 429, and whether the right password is refused after.
2. The home page's median latency alone, then while 4 clients post wrong passwords
   (to one account, which the lockout stops; and to a fresh account each time, which
   keeps the server hashing).
3. The database stopped for 8 s under load: how many 200, 503 and 500 answers, and how
   long after its restart the first page is served again.
4. Redis killed for 8 s under load (pages, API lists, sign-ins): 5xx answers.

Nothing of the machine's own MariaDB or Redis is touched. docs/security.md has the figures.
"""

import argparse
import http.cookiejar
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inspired_site.settings_test")

import django  # noqa: E402

django.setup()

from catalog.tests.processes import manage  # noqa: E402
from inspired_site.tests.servers import Gunicorn, PrivateMariaDB, PrivateRedis  # noqa: E402

MARIADB_PORT, REDIS_PORT, SITE_PORT = 3392, 6392, 8260
PASSWORD = "measure-the-lockout-42"  # noqa: S105 - a login of the throwaway database
EMAIL = "measure@example.com"


class PlainHttpPolicy(http.cookiejar.DefaultCookiePolicy):
    """Send production's Secure cookies back over the plain HTTP of 127.0.0.1."""

    def return_ok_secure(self, cookie, request):
        return True


class Browser:
    """Cookies and CSRF tokens, as a person's browser keeps them."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar(PlainHttpPolicy())
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, path, data=None, json_body=None, headers=None):
        headers = dict(headers or {})
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = self.base + path
        # Always http://127.0.0.1: the private gunicorn.
        request = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=60) as response:
                status, content = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, content = error.code, error.read()
        except OSError:
            status, content = 0, b""
        return status, content, time.monotonic() - started

    def form_post(self, path, fields):
        _, page, _ = self.request(path)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        fields = {**fields, "csrfmiddlewaretoken": token.group(1).decode() if token else ""}
        return self.request(path, data=fields)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def admin(browser, username, password):
    return browser.form_post("/admin/login/", {"username": username, "password": password})


def browsable_api(browser, username, password):
    return browser.form_post("/api/auth/login/", {"username": username, "password": password})


def token(browser, username, password):
    return browser.request(
        "/api/v1/auth/login/", json_body={"username": username, "password": password}
    )


def allauth(browser, username, password):
    login = EMAIL if username == "measure" else f"{username}@example.com"
    return browser.form_post("/accounts/login/", {"login": login, "password": password})


SURFACES = {"admin": admin, "browsable API": browsable_api, "token": token, "allauth": allauth}


def clear_lockouts():
    manage("axes_reset", DATABASE_URL=DATABASE_URL)


def measure_lockout(base):
    print("\n## 30 wrong passwords per sign-in surface")
    for name, login in SURFACES.items():
        clear_lockouts()
        browser = Browser(base)
        statuses = [login(browser, "measure", f"wrong-{n}")[0] for n in range(30)]
        right = login(browser, "measure", PASSWORD)[0]
        first = statuses.index(429) + 1 if 429 in statuses else None
        print(
            f"- {name}: first 429 at attempt {first}; answers {dict(Counter(statuses))}; "
            f"the right password afterwards: {right}"
        )
    clear_lockouts()


def home_latencies(base, seconds):
    browser = Browser(base)
    times = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, _, elapsed = browser.request("/")
        if status == 200:
            times.append(elapsed)
    return times


def measure_concurrent_logins(base, rounds=3, seconds=6):
    """Alternate windows alone and under 4 guessing clients, so that the neighbours' load
    on a shared machine weighs on both sides alike."""
    print("\n## Home page while 4 clients post wrong passwords")
    for label, rotate in [("one account (locked after 5)", False), ("a new account each", True)]:
        clear_lockouts()
        alone, loaded, attempts = [], [], Counter()
        for _ in range(rounds):
            alone += home_latencies(base, seconds)
            stop = threading.Event()

            def guess(worker, rotate=rotate, stop=stop, attempts=attempts):
                browser, n = Browser(base), 0
                while not stop.is_set():
                    n += 1
                    user = f"guess-{worker}-{n}-{time.monotonic_ns()}" if rotate else "measure"
                    attempts[admin(browser, user, "wrong")[0]] += 1

            threads = [threading.Thread(target=guess, args=(i,)) for i in range(4)]
            for thread in threads:
                thread.start()
            time.sleep(0.5)
            loaded += home_latencies(base, seconds)
            stop.set()
            for thread in threads:
                thread.join()
        ratio = statistics.median(loaded) / statistics.median(alone)
        print(
            f"- wrong passwords to {label}: home p50 {statistics.median(alone) * 1000:.0f} ms "
            f"alone ({len(alone)} requests), {statistics.median(loaded) * 1000:.0f} ms during "
            f"({len(loaded)} requests): {ratio:.2f}x; sign-in answers {dict(attempts)}"
        )
    clear_lockouts()


PATHS = ["/", "/videos/", "/products/", "/api/v1/artists/", "/api/v1/products/"]


def load(base, seconds, results, extra=None):
    browser = Browser(base)
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        if extra and n % 5 == 0:
            status = extra(browser, n)
        else:
            status = browser.request(PATHS[n % len(PATHS)])[0]
        results.append((time.monotonic(), status))


def measure_database_outage(base, mariadb):
    print("\n## Database stopped for 8 s under load")
    results = []
    threads = [threading.Thread(target=load, args=(base, 20, results)) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    mariadb.stop()
    time.sleep(8)
    restarted = time.monotonic()
    mariadb.start()
    for thread in threads:
        thread.join()
    counts = Counter(status for _, status in results)
    served = [at for at, status in results if at > restarted and status == 200]
    recovered = min(served, default=None)
    print(f"- answers: {dict(sorted(counts.items()))}; 500s: {counts.get(500, 0)}")
    if recovered is not None:
        print(f"- first 200 after the restart finished: {recovered - restarted:.2f} s")


def measure_redis_outage(base, redis):
    print("\n## Redis killed for 8 s under load (pages, API lists, sign-ins)")

    def sign_in(browser, n):
        if n % 10 == 0:
            return token(Browser(base), "measure", PASSWORD)[0]
        return allauth(Browser(base), "measure", PASSWORD)[0]

    clear_lockouts()
    results = []
    threads = [threading.Thread(target=load, args=(base, 18, results, sign_in)) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    redis.stop()
    time.sleep(8)
    redis.start()
    for thread in threads:
        thread.join()
    counts = Counter(status for _, status in results)
    errors = sum(n for status, n in counts.items() if status >= 500 or status == 0)
    print(f"- answers: {dict(sorted(counts.items()))}; 5xx: {errors}")


def main():
    global DATABASE_URL
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--only",
        default="lockout,logins,database,redis",
        help="Comma-separated parts to measure (default: all of lockout,logins,database,redis).",
    )
    parts = set(parser.parse_args().only.split(","))
    folder = Path(tempfile.mkdtemp(prefix="inspired-measure-"))
    print(f"Private servers in {folder}")
    print(manage("collectstatic", "--no-input", "-v0", timeout=300).stderr, end="")
    mariadb = PrivateMariaDB(folder, MARIADB_PORT)
    mariadb.install()
    DATABASE_URL = mariadb.url
    for args in [
        ("load_demo",),
        ("ensure_curator", "--username", "measure", "--email", EMAIL, "--password", PASSWORD),
    ]:
        result = manage(*args, DATABASE_URL=DATABASE_URL, timeout=300)
        assert result.returncode == 0, result.stderr
    redis = PrivateRedis(REDIS_PORT)
    redis.start()
    site = Gunicorn(
        SITE_PORT,
        folder / "gunicorn.log",
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=redis.url,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_LOG_LEVEL="CRITICAL",
    )
    site.start()
    try:
        home = Browser(site.url).request("/")
        assert home[0] == 200, home
        print(f"CPUs: {os.cpu_count()}; load average before: {os.getloadavg()[0]:.1f}")
        if "lockout" in parts:
            measure_lockout(site.url)
        if "logins" in parts:
            measure_concurrent_logins(site.url)
        if "database" in parts:
            measure_database_outage(site.url, mariadb)
        if "redis" in parts:
            measure_redis_outage(site.url, redis)
    finally:
        site.stop()
        redis.stop()
        mariadb.stop()


DATABASE_URL = ""

if __name__ == "__main__":
    main()
