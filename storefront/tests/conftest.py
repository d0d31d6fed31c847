"""Browser fixtures: Playwright drives Debian's headless Chromium against live_server."""

import os
import shutil

from django.test import Client

import pytest

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # This machine has no outside network; these keep Chromium from trying to reach it.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def chromium_path():
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser(django_db_setup):
    executable = chromium_path()
    if not executable:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed: CI must run every browser test.")
        pytest.skip("Chromium is not installed (make test installs it).")
    # Playwright's sync API runs an event loop in this thread; the tests' own ORM calls
    # are still synchronous, so Django's async-safety check does not apply here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from django.db import connections

    from playwright.sync_api import sync_playwright

    # Django keeps its connections in context variables, and Playwright's sync API moves
    # the tests into a new context: the connections there lack the contents that the
    # database setup serialized, so the rollback emulation would restore nothing once a
    # test without the browser had opened the database first. Carry them over.
    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        for alias, contents in serialized.items():
            connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, django_db_serialized_rollback, live_server, settings, request):
    # live_server tests are transactional and flush the database afterwards; the
    # serialized rollback restores what migrations seeded (product types, styles, the
    # Curators group) for the tests that follow.
    # The tests' own media servers play the video hosts, on plain http at 127.0.0.1.
    local = "http://127.0.0.1:*"
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "media-src": [*settings.SECURE_CSP["media-src"], local],
        "connect-src": [*settings.SECURE_CSP["connect-src"], local],
    }
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    # A test may name the requests the policy is meant to stop (`csp_blocks` marker).
    blocked = [url for mark in request.node.iter_markers("csp_blocks") for url in mark.args]
    violations = [text for text in violations if not any(url in text for url in blocked)]
    assert violations == [], "The page broke its Content-Security-Policy"


@pytest.fixture
def requests_commit(monkeypatch, django_capture_on_commit_callbacks):
    """Run each request's on-commit callbacks (its mail) as the request ends.

    A live site commits at the end of every request; the test's own transaction never
    commits, so its on-commit callbacks would otherwise never run.
    """
    request = Client.request

    def committing(self, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return request(self, **kwargs)

    monkeypatch.setattr(Client, "request", committing)
