#!/usr/bin/env python
"""Walk the shopper's, curator's and integrator's journeys in production mode, with pictures.

    .venv/bin/python scripts/walk_journeys.py              # about two minutes
    .venv/bin/python scripts/walk_journeys.py --out /tmp/walk

It builds a production of its own on 127.0.0.1: a MariaDB database (`inspired_walk` on
the server DATABASE_URL names, default the local one) with the demo catalog, the static
files collected, and gunicorn with the repository's gunicorn.conf.py, debug off, and a mail
server that does not answer (port 9 is closed): the production's worst case for mail.
Media are served by the site (no bucket configured) with byte ranges.

Then Chromium walks each journey at desktop (1366 by 900) and phone (390 by 844) sizes and
writes a screenshot of every step to --out. It prints every step with what went wrong on
it: answers of 400 and above that the journey did not ask for, console errors, and
requests the Content-Security-Policy stopped. Look at the pictures: the script checks
what a program can, a person checks the rest.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
CURATOR, PASSWORD = "walk-curator", "walk the journeys 2026"
# ReDoc's bundle asks for Redocly's logo on a CDN; the site's policy stops it, as it should.
EXPECTED_BLOCK = "https://cdn.redoc.ly/redoc/logo-mini.svg"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def production_env(database_url: str, port: int, media_root: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inspired_site.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "walk-the-journeys-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DJANGO_EMAIL_HOST": "127.0.0.1",
        "DJANGO_EMAIL_PORT": "9",
        "DJANGO_EMAIL_USE_TLS": "0",
        "DJANGO_MEDIA_ROOT": media_root,
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("WALK_REDIS_URL", "redis://127.0.0.1:6379/9"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESSLOG": "",
        "GUNICORN_LOG_LEVEL": "warning",
    }


def manage(env: dict, *args: str) -> None:
    command = [PYTHON, "manage.py", *args]
    subprocess.run(command, cwd=ROOT, env=env, check=True)  # noqa: S603 - fixed arguments


def build(env: dict) -> None:
    name = urlsplit(env["DATABASE_URL"]).path.lstrip("/")
    import MySQLdb

    parts = urlsplit(env["DATABASE_URL"])
    server = MySQLdb.connect(
        host=parts.hostname or "127.0.0.1", port=parts.port or 3306, user=parts.username or "root"
    )
    cursor = server.cursor()
    cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    server.close()
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "load_demo")
    manage(env, "ensure_curator", "--username", CURATOR, "--password", PASSWORD)
    manage(env, "collectstatic", "--no-input", "-v0")
    # The page cache of an earlier walk would show pages of a catalog that is gone.
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()


def serve(env: dict, port: int) -> subprocess.Popen:
    command = [str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 - fixed arguments
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


class Walk:
    """One browser context at one size; `step()` screenshots and records what went wrong."""

    def __init__(self, browser, base: str, size: str, journey: str, out: Path):
        self.context = browser.new_context(base_url=base, viewport=SIZES[size])
        self.context.set_default_timeout(15_000)
        # Retailers and video hosts are outside this machine: answer them locally.
        self.context.route(
            lambda url: not url.startswith(base) and url.startswith("http"),
            lambda route: route.fulfill(status=200, body="outside", content_type="text/plain"),
        )
        self.page = self.context.new_page()
        self.base, self.size, self.journey, self.out = base, size, journey, out
        self.problems: list[str] = []
        self.expected: set[int] = set()
        self.page.on("console", self._console)
        self.page.on("response", self._response)
        self.results: list[tuple[str, list[str]]] = []

    def _console(self, message):
        text = message.text
        if "Failed to load resource" in text:
            return  # the response itself is recorded, with its address
        if EXPECTED_BLOCK in text:
            return
        if message.type == "error" or "Content Security Policy" in text:
            self.problems.append(f"console: {text[:200]}")

    def _response(self, response):
        if response.status >= 400 and response.status not in self.expected:
            self.problems.append(f"{response.status} {response.url}")

    def step(self, name: str):
        self.page.wait_for_load_state("networkidle")
        number = len(self.results) + 1
        path = self.out / f"{self.size}-{self.journey}-{number:02d}-{name}.png"
        self.page.screenshot(path=path, full_page=False)
        self.results.append((name, self.problems))
        self.problems, self.expected = [], set()

    def allow(self, *statuses: int):
        """Answers with these statuses are what the next step asks for."""
        self.expected = set(statuses)


def shopper(walk: Walk) -> None:
    page = walk.page
    page.goto("/")
    walk.step("home")
    page.goto("/videos/neon-hours/")
    page.locator("#player").scroll_into_view_if_needed()
    walk.step("video")
    page.goto("/videos/neon-hours/?t=1m05s")
    walk.step("video-past-the-end")
    page.goto("/products/")
    walk.step("browse")
    filters = page.locator("summary.filters-drawer__toggle")
    if filters.is_visible():
        filters.click()
        walk.step("browse-filters-open")
    page.goto("/products/?sort=price&min_price=10&max_price=500")
    walk.step("browse-by-price")
    page.goto("/products/levis-the-trucker-jacket/")
    walk.step("product")
    page.goto("/search/?q=jackets")
    walk.step("search-jackets")
    page.goto("/search/?q=levis")
    walk.step("search-levis")
    page.goto("/search/?q=")
    walk.step("search-empty")
    page.goto("/accounts/signup/")
    walk.step("sign-up")
    page.fill("input[name=email]", f"walker-{walk.size}@mail.test")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    walk.step("signed-up-mail-unsent")
    page.goto("/products/levis-the-trucker-jacket/")
    page.locator("form.toggle-save button").first.click()
    page.locator("form.toggle-save .toggle-label", has_text="Saved").first.wait_for()
    walk.step("saved")
    page.goto("/accounts/saved/")
    walk.step("saved-list")


def curator(walk: Walk) -> None:
    page = walk.page
    page.goto("/admin/login/")
    page.fill("input[name=username]", CURATOR)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    walk.step("admin-index")
    page.goto("/admin/catalog/video/?q=neon")
    page.get_by_role("link", name="Neon Hours").first.click()
    walk.step("admin-video")
    page.goto("/admin/catalog/scene/add/")
    walk.step("admin-scene-add")
    page.goto("/admin/catalog/product/import/")
    walk.step("admin-import")
    page.goto("/admin/catalog/offer/?currency__exact=USD")
    walk.step("admin-offers")


def integrator(walk: Walk) -> None:
    page = walk.page
    page.goto("/api/docs/")
    walk.step("api-docs")
    page.goto("/api/redoc/")
    page.get_by_text("Inspired catalog API").first.wait_for()
    walk.step("api-redoc")
    walk.allow(404)
    page.goto("/api/v1/nothing-here/")
    walk.step("api-unknown-path")
    page.goto("/api/v1/products/?style=high_end&page_size=3")
    walk.step("api-products")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "walk"), help="where the pictures go")
    parser.add_argument("--port", type=int, default=8270)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("WALK_DATABASE_URL", "mysql://root:@127.0.0.1:3306/inspired_walk"),
    )
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="walk-"))
    env = production_env(args.database_url, args.port, str(work / "media"))
    build(env)
    server = serve(env, args.port)
    from playwright.sync_api import sync_playwright

    failed = 0
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            base = f"http://localhost:{args.port}"
            for size in SIZES:
                for journey in (shopper, curator, integrator):
                    walk = Walk(browser, base, size, journey.__name__, out)
                    try:
                        journey(walk)
                    except Exception as exc:  # report it and go on to the next journey
                        walk.step(f"{journey.__name__}-stopped")
                        walk.results[-1][1].append(f"stopped: {exc}".splitlines()[0])
                    walk.context.close()
                    for name, problems in walk.results:
                        failed += bool(problems)
                        mark = "  " if not problems else "!!"
                        print(f"{mark} {size:7} {journey.__name__:10} {name}")
                        for problem in problems:
                            print(f"       {problem}")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"\n{failed} step(s) with problems; pictures in {out}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
