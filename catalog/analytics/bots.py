"""Requests that are not shoppers: crawlers, link checkers, previews and prefetches."""

import re

# Words that known crawlers, link checkers, link previewers and HTTP libraries put in
# their User-Agent. A browser's never contains any of them.
AUTOMATED_AGENT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|scrap|fetch|monitor|check|preview|validator|"
    r"facebookexternalhit|embedly|whatsapp|skypeuripreview|phantomjs|"
    r"curl/|wget/|python-|httpx|aiohttp|go-http-client|java/|okhttp|axios|node-fetch|"
    r"libwww|lwp::|http_request|postman|insomnia|pingdom|uptime|linkwalker|"
    r"lighthouse|pagespeed|gtmetrix",
    re.IGNORECASE,
)


def is_automated(request) -> bool:
    """Return whether a request comes from a program rather than a shopper's click.

    HEAD requests, prefetches and agents that name themselves a bot, a checker or an
    HTTP library are not recorded as clicks.
    """
    if request.method != "GET":
        return True
    purpose = request.headers.get("Sec-Purpose", "") or request.headers.get("Purpose", "")
    if "prefetch" in purpose.lower():
        return True
    return bool(AUTOMATED_AGENT.search(request.headers.get("User-Agent", "")))
