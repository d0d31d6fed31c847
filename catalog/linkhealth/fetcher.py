"""Visit offer links the way a careful shopper's browser would, and say what became of them.

The checker fetches URLs that curators and feeds typed in, so it is a server-side request
forgery risk: a link to http://169.254.169.254/ or to a database's port must never be
fetched from inside our network. Every hop of every fetch goes through `resolve_target()`,
which refuses other schemes than http and https, other ports than 80 and 443, and any host
that resolves to a private, loopback, link-local, reserved, multicast or metadata address.
The connection is then opened to the very IP address that was checked (the Host header and
TLS certificate still name the host), so a DNS answer that changes between check and
connect cannot point us elsewhere. settings.CATALOG_LINKCHECK_ALLOWED_HOSTS lifts the
address and port checks for named hosts only (the tests' own server on 127.0.0.1).

One module on purpose, past the usual length: the guard, the pinned connection and the
page reading are the one code path every outbound request of the catalog takes (link
checks, imported images, webhook deliveries), so that a reviewer reads it in one place.
"""

import http.client
import ipaddress
import json
import logging
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings

from ..currencies import CURRENCY_CHOICES
from ..models import Offer

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 8
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
DEFAULT_PORTS = {"http": 80, "https": 443}

# Cloud metadata services; most sit in ranges refused anyway, but name them so a future
# widening of the rules cannot let them through.
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
    ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
}

Resolver = Callable[..., list]


class LinkRefused(Exception):
    """The URL is not one the checker may fetch; raised before any connection is opened."""


class FetchError(Exception):
    """The fetch failed: DNS, connection, TLS, timeout, protocol or redirect trouble."""


@dataclass(frozen=True)
class Target:
    """Where one request goes: the checked IP address and what to tell the server."""

    scheme: str
    host: str
    port: int
    ip: str
    request_path: str


@dataclass
class Response:
    url: str
    status: int
    content_type: str = ""
    charset: str = ""
    body: bytes = b""
    truncated: bool = False
    location: str = ""
    hops: list[str] = field(default_factory=list)


@dataclass
class PageOffer:
    """What the page's schema.org data says about the offer; None or "" where it says nothing."""

    price: Decimal | None = None
    currency: str = ""
    availability: str = ""


@dataclass
class CheckResult:
    status: str
    http_status: int | None = None
    final_url: str = ""
    error_message: str = ""
    duration: timedelta = timedelta(0)
    price: Decimal | None = None
    currency: str = ""
    availability: str = ""

    @property
    def failed(self) -> bool:
        return self.status in {Offer.LinkStatus.BROKEN, Offer.LinkStatus.GONE}


# The guard


def allowed_hosts() -> set[str]:
    return {host.strip().lower().strip("[]") for host in settings.CATALOG_LINKCHECK_ALLOWED_HOSTS}


# IETF protocol assignments (192.0.0.8 is the IPv4 dummy address, 192.0.0.170/171 NAT64
# discovery): none of them is a shop.
PROTOCOL_ASSIGNMENTS = ipaddress.ip_network("192.0.0.0/24")
# The well-known NAT64 prefix maps an IPv4 address into its last 32 bits.
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 transition form carries (mapped, 6to4, Teredo, NAT64)."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refuse_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Return why the checker must not connect to `address`, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = embedded_ipv4(address)
        if embedded is not None:
            reason = refuse_address(embedded)
            if reason:
                return f"{reason} ({embedded}) inside an IPv6 address"
            if address.ipv4_mapped:
                address = embedded
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private or address in PROTOCOL_ASSIGNMENTS:
        return "a private address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved or address.is_unspecified or not address.is_global:
        return "a reserved address"
    return None


def _addresses(host: str, port: int, resolver: Resolver) -> list:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError(f"DNS lookup of {host} failed.") from error
    # Strip an IPv6 zone ("fe80::1%eth0") before parsing.
    addresses = list(
        dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos)
    )
    if not addresses:
        raise FetchError(f"DNS lookup of {host} returned no address.")
    return addresses


@dataclass(frozen=True)
class UrlParts:
    scheme: str
    host: str
    port: int
    path: str
    query: str
    trusted: bool


def check_url_rules(url: str, *, trusted_hosts: set[str] | None = None) -> UrlParts:
    """Apply every rule that needs no DNS lookup to `url`, or raise LinkRefused.

    Models validate offer URLs with this at save time; the checker applies it, and then
    the address rules to what the host resolves to, before each fetch. `trusted_hosts`
    replaces CATALOG_LINKCHECK_ALLOWED_HOSTS for callers with a list of their own (webhook
    deliveries).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise LinkRefused(f"Only http and https links are checked, not {scheme or 'no'} scheme.")
    try:
        host = (parts.hostname or "").lower()
    except ValueError as error:
        raise LinkRefused("The link's host is not valid.") from error
    if not host:
        raise LinkRefused("The link has no host.")
    try:
        # International names travel as punycode, in DNS and in the Host header alike.
        host = host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise LinkRefused(f"{host} is not a valid host name.") from error
    if parts.username is not None or parts.password is not None:
        raise LinkRefused("Links carrying a user name or password are not checked.")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as error:
        raise LinkRefused("The link's port is not a number from 0 to 65535.") from error
    trusted = host in (allowed_hosts() if trusted_hosts is None else trusted_hosts)
    if not trusted:
        if port not in DEFAULT_PORTS.values():
            raise LinkRefused(f"Port {port} is not checked; only 80 and 443 are.")
        if host == "localhost" or host.endswith(".localhost"):
            raise LinkRefused(f"{host} is a loopback address; not fetched.")
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None and (reason := refuse_address(literal)):
            raise LinkRefused(f"{host} resolves to {literal}, {reason}; not fetched.")
    return UrlParts(scheme, host, port, parts.path, parts.query, trusted)


def resolve_target(
    url: str, *, resolver: Resolver = socket.getaddrinfo, trusted_hosts: set[str] | None = None
) -> Target:
    """Check `url` against the fetch rules and return where to connect, or raise LinkRefused."""
    parts = check_url_rules(url, trusted_hosts=trusted_hosts)
    scheme, host, port, trusted = parts.scheme, parts.host, parts.port, parts.trusted

    addresses = _addresses(host, port, resolver)
    if not trusted:
        # Every address must be public: a name that also resolves to 10.0.0.1 is refused
        # outright rather than hoping the public one is picked.
        for address in addresses:
            reason = refuse_address(address)
            if reason:
                raise LinkRefused(f"{host} resolves to {address}, {reason}; not fetched.")

    # Percent-encode what a browser would (spaces, non-ASCII), leaving existing escapes.
    request_path = quote(parts.path or "/", safe="/%;:@&=+$,!~*'()")
    if parts.query:
        request_path += "?" + quote(parts.query, safe="/%;:@&=+$,!~*'()?")
    return Target(scheme, host, port, str(addresses[0]), request_path)


# Connections pinned to the checked address


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, connect_timeout: float, read_timeout: float):
        super().__init__(target.host, target.port, timeout=read_timeout)
        self._ip = target.ip
        self._connect_timeout = connect_timeout

    def _open_socket(self):
        sock = socket.create_connection((self._ip, self.port), timeout=self._connect_timeout)
        sock.settimeout(self.timeout)
        return sock

    def connect(self):
        self.sock = self._open_socket()


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = 443

    def __init__(self, target: Target, connect_timeout: float, read_timeout: float):
        super().__init__(target, connect_timeout, read_timeout)
        self._context = ssl.create_default_context()

    def connect(self):
        # The certificate must match the host name, not the IP address we dialled.
        self.sock = self._context.wrap_socket(self._open_socket(), server_hostname=self.host)


def user_agent() -> str:
    return f"InspiredLinkChecker/1.0 (+{settings.CATALOG_LINKCHECK_SITE_URL})"


def _request(target: Target, method: str, deadline: float) -> Response:
    connect_timeout = settings.CATALOG_LINKCHECK_CONNECT_TIMEOUT
    read_timeout = settings.CATALOG_LINKCHECK_READ_TIMEOUT
    max_body = settings.CATALOG_LINKCHECK_MAX_BODY_BYTES
    connection_class = (
        _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    )
    connection = connection_class(target, connect_timeout, read_timeout)
    try:
        connection.request(
            method,
            target.request_path,
            headers={
                "User-Agent": user_agent(),
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                # Bodies are read as sent: no decompression, so no zip bombs.
                "Accept-Encoding": "identity",
                "Connection": "close",
            },
        )
        raw = connection.getresponse()
        content_type = raw.headers.get_content_type()
        response = Response(
            url="",
            status=raw.status,
            content_type=content_type,
            charset=raw.headers.get_content_charset() or "",
            location=raw.headers.get("Location", ""),
        )
        if method == "GET" and raw.status not in REDIRECT_STATUSES:
            chunks, size = [], 0
            while size <= max_body:
                if time.monotonic() > deadline:
                    raise FetchError("The page took too long to send; gave up.")
                chunk = raw.read1(min(65536, max_body + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            body = b"".join(chunks)
            response.truncated = len(body) > max_body
            response.body = body[:max_body]
        return response
    finally:
        connection.close()


def fetch(url: str, method: str = "GET", *, resolver: Resolver = socket.getaddrinfo) -> Response:
    """Fetch `url` through the guard, following at most MAX_REDIRECTS redirects."""
    deadline = time.monotonic() + settings.CATALOG_LINKCHECK_TOTAL_TIMEOUT
    current, seen, hops = url, {url}, []
    while True:
        target = resolve_target(current, resolver=resolver)
        response = _request(target, method, deadline)
        if response.status in REDIRECT_STATUSES and response.location:
            if len(hops) == MAX_REDIRECTS:
                raise FetchError(f"More than {MAX_REDIRECTS} redirects; gave up.")
            following = urljoin(current, response.location.strip())
            if following in seen:
                raise FetchError(f"Redirect loop at {following}.")
            seen.add(following)
            hops.append(following)
            current = following
            continue
        response.url = current
        response.hops = hops
        return response


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    trusted_hosts: set[str],
    resolver: Resolver = socket.getaddrinfo,
    max_body: int = 4096,
) -> tuple[int, str]:
    """POST `body` to `url` through the guard, following no redirect; return (status, body).

    Webhook deliveries go through here: the same address rules as the link checker, the
    connection pinned to the checked address, and only the first `max_body` bytes of the
    answer kept. Raises LinkRefused or FetchError.
    """
    target = resolve_target(url, resolver=resolver, trusted_hosts=trusted_hosts)
    connection_class = (
        _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    )
    connection = connection_class(target, timeout, timeout)
    try:
        connection.request(
            "POST",
            target.request_path,
            body=body,
            headers={"Content-Length": str(len(body)), "Connection": "close", **headers},
        )
        raw = connection.getresponse()
        answer = raw.read(max_body)
        return raw.status, answer.decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as error:
        raise FetchError(f"{type(error).__name__}: {error}") from error
    finally:
        connection.close()


# Reading schema.org data


class _JsonLdCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._inside = False

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            kind = (dict(attrs).get("type") or "").split(";")[0].strip().lower()
            self._inside = kind == "application/ld+json"
            if self._inside:
                self.blocks.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._inside = False

    def handle_data(self, data):
        if self._inside:
            self.blocks[-1] += data


def _nodes(data) -> Iterator[dict]:
    if isinstance(data, list):
        for item in data:
            yield from _nodes(item)
    elif isinstance(data, dict):
        yield data
        yield from _nodes(data.get("@graph", []))


def _types(node: dict) -> set[str]:
    kind = node.get("@type", [])
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).rsplit("/", 1)[-1] for k in kinds}


AVAILABILITY = {
    "instock": Offer.Availability.IN_STOCK,
    "onlineonly": Offer.Availability.IN_STOCK,
    "instoreonly": Offer.Availability.IN_STOCK,
    "limitedavailability": Offer.Availability.IN_STOCK,
    # Shoppers can order these now, so they are sold, just shipped later.
    "preorder": Offer.Availability.IN_STOCK,
    "presale": Offer.Availability.IN_STOCK,
    "backorder": Offer.Availability.IN_STOCK,
    "outofstock": Offer.Availability.OUT_OF_STOCK,
    "soldout": Offer.Availability.OUT_OF_STOCK,
    "discontinued": Offer.Availability.OUT_OF_STOCK,
}
CURRENCIES = {code for code, _ in CURRENCY_CHOICES}
PRICE_LIMIT = Decimal("100000000")


def _price(value) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip().replace(" ", "")
    if "," in text:
        text = text.replace(",", "") if "." in text else text.replace(",", ".")
    try:
        price = Decimal(text).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    return price if Decimal(0) <= price < PRICE_LIMIT else None


def _offer_from(node: dict) -> PageOffer | None:
    spec = node.get("priceSpecification")
    if isinstance(spec, list):
        spec = spec[0] if spec else None
    spec = spec if isinstance(spec, dict) else {}
    price = _price(node.get("price", node.get("lowPrice", spec.get("price"))))
    currency = str(node.get("priceCurrency") or spec.get("priceCurrency") or "").upper()
    availability_key = str(node.get("availability") or "").rsplit("/", 1)[-1].lower()
    availability = AVAILABILITY.get(availability_key, "")
    if price is None and not availability:
        return None
    return PageOffer(
        price=price, currency=currency if currency in CURRENCIES else "", availability=availability
    )


def read_page_offer(html: str) -> PageOffer | None:
    """Return the first schema.org Offer of the page's JSON-LD, or None when there is none."""
    collector = _JsonLdCollector()
    collector.feed(html)
    collector.close()
    for block in collector.blocks:
        try:
            data = json.loads(block.strip().removeprefix("<!--").removesuffix("-->"))
        except ValueError:
            continue
        for node in _nodes(data):
            kinds = _types(node)
            candidates = []
            if "Product" in kinds:
                offers = node.get("offers", [])
                candidates = offers if isinstance(offers, list) else [offers]
            elif kinds & {"Offer", "AggregateOffer"}:
                candidates = [node]
            for candidate in candidates:
                if isinstance(candidate, dict) and (found := _offer_from(candidate)):
                    return found
    return None


# Telling what became of a link

CATEGORY_PATH = re.compile(
    r"/(c|cat|category|categories|collections?|shop|search|department|dept|browse|sale|"
    r"brands?|women|men|kids|home)(/|\.html?)?$",
    re.IGNORECASE,
)


def _normal_host(host: str) -> str:
    return host.lower().removeprefix("www.")


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/").lower()


def is_same_page(original: str, final: str) -> bool:
    """Tell whether a redirect only tidied the URL (https, www, trailing slash, tracking)."""
    a, b = urlsplit(original), urlsplit(final)
    return _normal_host(a.hostname or "") == _normal_host(b.hostname or "") and _path(
        original
    ) == _path(final)


def is_home_or_category(original: str, final: str) -> bool:
    """Tell whether a redirect dropped the shopper on a home, listing or search page."""
    path = _path(final)
    if path in {"", "/index.html", "/index.php"}:
        return True
    if CATEGORY_PATH.search(path) or urlsplit(final).path.lower().startswith("/search"):
        return True
    # /shop/shirts/blue-shirt-123 → /shop/shirts: a parent of the product's page.
    original_path = _path(original)
    return original_path.startswith(path + "/")


def classify(original: str, response: Response, page: PageOffer | None) -> str:
    if not 200 <= response.status < 300:
        return Offer.LinkStatus.BROKEN
    status = Offer.LinkStatus.OK
    if response.hops and not is_same_page(original, response.url):
        if is_home_or_category(original, response.url):
            return Offer.LinkStatus.GONE
        status = Offer.LinkStatus.REDIRECTED
    if page and page.availability == Offer.Availability.OUT_OF_STOCK:
        return Offer.LinkStatus.OUT_OF_STOCK
    return status


def _is_html(response: Response) -> bool:
    return response.content_type in {"text/html", "application/xhtml+xml"}


def _head_refused(response: Response) -> bool:
    # Many shops answer HEAD with 405 or 501, and some with 403, 404 or 5xx while GET
    # works: any error to HEAD earns a GET before the link is called broken.
    return response.status >= 400


def check_url(
    url: str, *, read_prices: bool = True, resolver: Resolver = socket.getaddrinfo
) -> CheckResult:
    """Visit `url` and return what became of it; never raises for a bad link."""
    started = time.monotonic()
    note = ""
    try:
        try:
            response = fetch(url, "HEAD", resolver=resolver)
            head_refused = _head_refused(response)
        except (http.client.HTTPException, ConnectionResetError):
            # Some servers hang up on HEAD instead of answering it.
            response, head_refused = None, True
        head_hops = []
        if head_refused:
            response = fetch(url, "GET", resolver=resolver)
        elif read_prices and (_is_html(response) or not response.content_type):
            head_hops = response.hops
            response = fetch(response.url, "GET", resolver=resolver)
        response.hops = head_hops + response.hops
        page = None
        if response.body and _is_html(response):
            page = read_page_offer(response.body.decode(response.charset or "utf-8", "replace"))
        if response.truncated:
            note = (
                f"The page is larger than {settings.CATALOG_LINKCHECK_MAX_BODY_BYTES} bytes; "
                "only its beginning was read."
            )
        status = classify(url, response, page)
        if status == Offer.LinkStatus.BROKEN:
            note = f"The page answered HTTP {response.status}."
        return CheckResult(
            status=status,
            http_status=response.status,
            final_url=response.url,
            error_message=note,
            duration=timedelta(seconds=time.monotonic() - started),
            price=page.price if page else None,
            currency=page.currency if page else "",
            availability=page.availability if page else "",
        )
    except LinkRefused as error:
        message = f"Refused: {error}"
    except FetchError as error:
        message = str(error)
    except ssl.SSLError as error:
        message = f"TLS failure: {error.reason or error}."
    except TimeoutError:
        message = "Timed out waiting for the server."
    except (ConnectionError, OSError) as error:
        message = f"Could not connect: {error.strerror or error}."
    except http.client.HTTPException as error:
        message = f"The server's answer was not valid HTTP ({type(error).__name__})."
    except Exception as error:
        # One odd page must not stop a run over thousands of offers; keep the evidence.
        logger.exception("Link check of %s failed unexpectedly", url)
        message = f"The check failed unexpectedly ({type(error).__name__})."
    return CheckResult(
        status=Offer.LinkStatus.BROKEN,
        error_message=message,
        duration=timedelta(seconds=time.monotonic() - started),
    )
