"""The client's address, as far as the configured reverse proxies vouch for it.

X-Forwarded-For is a list that every proxy appends to, so only its right end can be
trusted, and only as far as the hops are our own proxies: from REMOTE_ADDR leftwards, each
address that is a trusted proxy hands over to the hop before it. A client that sends its
own X-Forwarded-For only adds entries further left, which are never reached.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _parse(value: str):
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def is_trusted_proxy(address) -> bool:
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    return address is not None and any(address in network for network in networks)


def client_ip(request) -> str:
    """Return the address of the client that sent `request`, never one it chose itself."""
    remote = request.META.get("REMOTE_ADDR", "")
    address = _parse(remote)
    if not is_trusted_proxy(address):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop]
    while hops and is_trusted_proxy(address):
        previous = _parse(hops.pop())
        if previous is None:
            # A garbled entry: stop at the last address a trusted proxy gave us.
            break
        address = previous
    return str(address)
