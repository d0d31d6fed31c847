import re
import socket
import ssl
import subprocess
import time
from decimal import Decimal

import pytest

from catalog.linkhealth import fetcher
from catalog.linkhealth.fetcher import LinkRefused, check_url, read_page_offer, resolve_target
from catalog.models import Offer
from catalog.tests.shop_server import running_shop

Status = Offer.LinkStatus


@pytest.fixture(scope="module")
def shop():
    with running_shop() as (base_url, requests):
        yield base_url, requests


@pytest.fixture(autouse=True)
def checker_settings(settings):
    settings.CATALOG_LINKCHECK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.CATALOG_LINKCHECK_CONNECT_TIMEOUT = 2
    settings.CATALOG_LINKCHECK_READ_TIMEOUT = 0.5
    settings.CATALOG_LINKCHECK_TOTAL_TIMEOUT = 5
    settings.CATALOG_LINKCHECK_MAX_BODY_BYTES = 100_000
    settings.CATALOG_LINKCHECK_SITE_URL = "https://inspired.test/link-checker"
    return settings


@pytest.fixture
def connections(monkeypatch):
    """Record every address the checker dials (and still dial it: this is a spy)."""
    dialled = []
    real = socket.create_connection

    def spy(address, *args, **kwargs):
        dialled.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(fetcher.socket, "create_connection", spy)
    return dialled


# Against the shop on 127.0.0.1


def test_a_working_page_is_ok(shop):
    base, _ = shop
    result = check_url(f"{base}/p/ok")
    assert result.status == Status.OK
    assert result.http_status == 200
    assert result.final_url == f"{base}/p/ok"
    assert result.price is None


def test_a_missing_page_is_broken(shop):
    base, _ = shop
    result = check_url(f"{base}/p/missing")
    assert (result.status, result.http_status) == (Status.BROKEN, 404)
    assert result.error_message == "The page answered HTTP 404."


def test_a_server_error_is_broken(shop):
    base, _ = shop
    result = check_url(f"{base}/p/error")
    assert (result.status, result.http_status) == (Status.BROKEN, 500)


def test_a_redirect_chain_to_another_product_is_redirected(shop):
    base, _ = shop
    result = check_url(f"{base}/p/chain-1")
    assert result.status == Status.REDIRECTED
    assert result.final_url == f"{base}/p/other-shirt"
    assert result.http_status == 200


def test_a_redirect_that_only_tidies_the_url_is_ok(shop):
    base, _ = shop
    result = check_url(f"{base}/p/trailing")
    assert result.status == Status.OK
    assert result.final_url == f"{base}/p/trailing/"


def test_a_redirect_loop_is_broken(shop):
    base, _ = shop
    result = check_url(f"{base}/p/loop-a")
    assert result.status == Status.BROKEN
    assert result.error_message == f"Redirect loop at {base}/p/loop-a."


def test_more_than_eight_redirects_are_not_followed(shop):
    base, requests = shop
    requests.clear()
    result = check_url(f"{base}/p/hop-0")
    assert result.status == Status.BROKEN
    assert result.error_message == "More than 8 redirects; gave up."
    # The first request and 8 redirects; the ninth redirect is not followed.
    assert [path for method, path, _ in requests if method == "HEAD"] == [
        f"/p/hop-{n}" for n in range(9)
    ]


def test_a_redirect_to_the_home_page_is_gone(shop):
    base, _ = shop
    result = check_url(f"{base}/p/discontinued")
    assert result.status == Status.GONE
    assert result.final_url == f"{base}/"
    assert result.failed


def test_a_redirect_to_the_category_page_is_gone(shop):
    base, _ = shop
    result = check_url(f"{base}/shop/shirts/old-blue-shirt")
    assert result.status == Status.GONE
    assert result.final_url == f"{base}/shop/shirts"


def test_a_slow_page_times_out(shop):
    base, _ = shop
    started = time.monotonic()
    result = check_url(f"{base}/p/slow")
    assert result.status == Status.BROKEN
    assert result.error_message == "Timed out waiting for the server."
    assert time.monotonic() - started < 2


def test_a_huge_page_is_read_only_up_to_the_limit(shop):
    base, _ = shop
    started = time.monotonic()
    result = check_url(f"{base}/p/huge")
    assert result.status == Status.OK
    assert result.error_message == (
        "The page is larger than 100000 bytes; only its beginning was read."
    )
    assert time.monotonic() - started < 2


def test_json_ld_gives_the_new_price_currency_and_availability(shop):
    base, _ = shop
    result = check_url(f"{base}/p/new-price")
    assert result.status == Status.OK
    assert (result.price, result.currency, result.availability) == (
        Decimal("17.50"),
        "EUR",
        Offer.Availability.IN_STOCK,
    )


def test_json_ld_saying_out_of_stock_marks_the_offer_out_of_stock(shop):
    base, _ = shop
    result = check_url(f"{base}/p/sold-out")
    assert result.status == Status.OUT_OF_STOCK
    assert result.availability == Offer.Availability.OUT_OF_STOCK
    assert result.price == Decimal("20.00")
    assert not result.failed


def test_head_refused_falls_back_to_get(shop):
    base, requests = shop
    requests.clear()
    result = check_url(f"{base}/p/head-refused")
    assert result.status == Status.OK
    assert result.price == Decimal("12.00")
    assert [(method, path) for method, path, _ in requests] == [
        ("HEAD", "/p/head-refused"),
        ("GET", "/p/head-refused"),
    ]


def test_head_only_when_prices_are_not_read(shop):
    base, requests = shop
    requests.clear()
    result = check_url(f"{base}/p/new-price", read_prices=False)
    assert result.status == Status.OK
    assert result.price is None
    assert [(method, path) for method, path, _ in requests] == [("HEAD", "/p/new-price")]


def test_the_checker_says_who_it_is(shop):
    base, requests = shop
    requests.clear()
    check_url(f"{base}/p/ok")
    agents = {agent for _, _, agent in requests}
    assert agents == {"InspiredLinkChecker/1.0 (+https://inspired.test/link-checker)"}


def test_a_refused_connection_is_broken(checker_settings):
    # A port on 127.0.0.1 that nothing listens on: bind, note the port, close.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = check_url(f"http://127.0.0.1:{port}/p/ok")
    assert result.status == Status.BROKEN
    assert result.error_message.startswith("Could not connect")


# The SSRF guard: none of these may open a connection.


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.1/p/1", "10.0.0.1, a private address"),
        ("http://192.168.1.10/p/1", "192.168.1.10, a private address"),
        ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "a cloud metadata address"),
        ("http://127.0.0.1/p/1", "127.0.0.1, a loopback address"),
        ("http://[::1]/p/1", "::1, a loopback address"),
        ("http://[::ffff:10.0.0.1]/p/1", "a private address"),
        ("http://0.0.0.0/p/1", "a private address"),
        ("http://224.0.0.1/p/1", "a multicast address"),
        ("http://localhost/p/1", "a loopback address"),
        ("ftp://shop.example.com/p/1", "Only http and https links are checked, not ftp"),
        ("file:///etc/passwd", "Only http and https links are checked, not file"),
        ("gopher://shop.example.com/", "Only http and https links are checked, not gopher"),
        ("https://shop.example.com:8443/p/1", "Port 8443 is not checked"),
        ("http://shop.example.com:22/", "Port 22 is not checked"),
        ("http://user:secret@shop.example.com/p/1", "user name or password"),
    ],
)
def test_the_guard_refuses_without_connecting(settings, connections, url, reason):
    settings.CATALOG_LINKCHECK_ALLOWED_HOSTS = []
    result = check_url(url)
    assert result.status == Status.BROKEN
    assert result.error_message.startswith("Refused: ")
    assert reason in result.error_message
    assert connections == []


def test_loopback_is_refused_unless_the_host_is_allowed(shop, settings, connections):
    base, _ = shop
    settings.CATALOG_LINKCHECK_ALLOWED_HOSTS = []
    refused = check_url(f"{base}/p/ok")
    assert refused.error_message.startswith("Refused: Port ")
    assert connections == []
    settings.CATALOG_LINKCHECK_ALLOWED_HOSTS = ["127.0.0.1"]
    assert check_url(f"{base}/p/ok").status == Status.OK
    assert connections[0][0] == "127.0.0.1"


def fake_dns(answers):
    """Stand in for DNS, a third party the tests cannot reach: name → addresses."""

    def resolve(host, port, type=0):
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answers[host]]

    return resolve


def test_a_host_resolving_to_a_private_address_is_refused(connections):
    result = check_url(
        "https://shop.example.test/p/1", resolver=fake_dns({"shop.example.test": ["10.1.2.3"]})
    )
    assert result.error_message == (
        "Refused: shop.example.test resolves to 10.1.2.3, a private address; not fetched."
    )
    assert connections == []


def test_a_host_with_one_private_address_among_public_ones_is_refused(connections):
    resolver = fake_dns({"shop.example.test": ["93.184.215.14", "172.16.0.5"]})
    with pytest.raises(LinkRefused, match=re.escape("172.16.0.5, a private address")):
        resolve_target("https://shop.example.test/p/1", resolver=resolver)
    assert connections == []


def test_the_connection_goes_to_the_address_that_was_checked():
    target = resolve_target(
        "https://Shop.Example.test/p/1?colour=blue",
        resolver=fake_dns({"shop.example.test": ["93.184.215.14"]}),
    )
    assert (target.host, target.ip, target.port, target.request_path) == (
        "shop.example.test",
        "93.184.215.14",
        443,
        "/p/1?colour=blue",
    )


def test_international_names_and_paths_are_encoded_as_browsers_do():
    target = resolve_target(
        "https://bücher.example/p/café blau?farbe=grün",
        resolver=fake_dns({"xn--bcher-kva.example": ["93.184.215.14"]}),
    )
    assert target.host == "xn--bcher-kva.example"
    assert target.request_path == "/p/caf%C3%A9%20blau?farbe=gr%C3%BCn"


def test_an_unknown_host_is_broken(connections):
    result = check_url("https://nowhere.example.test/p/1", resolver=fake_dns({}))
    assert result.status == Status.BROKEN
    assert result.error_message == "DNS lookup of nowhere.example.test failed."
    assert connections == []


@pytest.mark.parametrize(
    ("path", "address"),
    [("/p/to-private", "10.0.0.1, a private address"), ("/p/to-metadata", "metadata")],
)
def test_a_redirect_to_a_private_address_is_refused(shop, connections, path, address):
    base, _ = shop
    result = check_url(f"{base}{path}")
    assert result.status == Status.BROKEN
    assert result.error_message.startswith("Refused: ")
    assert address in result.error_message
    # Only the allowed shop was dialled; the redirect's target never was.
    assert {host for host, _ in connections} == {"127.0.0.1"}


# Reading schema.org data


def test_json_ld_in_a_graph_with_a_price_specification_is_read():
    html = """<script type="application/ld+json">
    {"@context": "https://schema.org", "@graph": [
      {"@type": "BreadcrumbList"},
      {"@type": ["Product"], "offers": [{"@type": "Offer",
        "priceSpecification": {"price": "1,299.00", "priceCurrency": "gbp"},
        "availability": "http://schema.org/SoldOut"}]}]}
    </script>"""
    page = read_page_offer(html)
    assert (page.price, page.currency, page.availability) == (
        Decimal("1299.00"),
        "GBP",
        Offer.Availability.OUT_OF_STOCK,
    )


def test_broken_or_foreign_json_ld_is_ignored():
    html = (
        '<script type="application/ld+json">{not json</script>'
        '<script type="application/ld+json">{"@type": "Organization", "name": "Shop"}</script>'
        '<script type="application/ld+json">{"@type": "Offer", "price": "-5",'
        ' "priceCurrency": "XXX"}</script>'
    )
    assert read_page_offer(html) is None


@pytest.fixture(scope="module")
def untrusted_tls_shop(tmp_path_factory):
    """The shop behind HTTPS with a self-signed certificate no browser would trust."""
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subprocess.run(  # noqa: S603 (fixed arguments, no user input)
        [*command, "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with running_shop(tls_context=context) as (base_url, requests):
        yield base_url.replace("http://", "https://"), requests


def test_an_untrusted_certificate_is_broken(untrusted_tls_shop):
    base, requests = untrusted_tls_shop
    result = check_url(f"{base}/p/ok")
    assert result.status == Status.BROKEN
    assert result.error_message.startswith("TLS failure: CERTIFICATE_VERIFY_FAILED")
    assert requests == []


# Special-purpose and IPv6 transition forms of private addresses


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("192.0.0.8", "a private address"),  # the IPv4 dummy address
        ("192.0.0.9", "a private address"),
        ("192.0.0.170", "a private address"),
        ("2002:7f00:1::", "a loopback address (127.0.0.1) inside an IPv6 address"),  # 6to4
        ("2002:a00:1::1", "a private address (10.0.0.1) inside an IPv6 address"),
        ("2002:a9fe:a9fe::", "a cloud metadata address (169.254.169.254) inside"),
        (
            "2001:0:4136:e378:8000:63bf:80ff:fffe",
            "a loopback address (127.0.0.1) inside",
        ),  # Teredo
        ("64:ff9b::a00:1", "a private address (10.0.0.1) inside an IPv6 address"),  # NAT64
    ],
)
def test_special_and_embedded_private_addresses_are_refused(connections, address, reason):
    resolver = fake_dns({"shop.example.test": [address]})

    with pytest.raises(LinkRefused, match=re.escape(reason)):
        resolve_target("https://shop.example.test/p/1", resolver=resolver)
    with pytest.raises(LinkRefused, match=re.escape(reason)):
        resolve_target(f"https://[{address}]/p/1" if ":" in address else f"https://{address}/")
    assert connections == []


def test_6to4_of_a_public_address_is_fetched_like_any_public_address():
    target = resolve_target(
        "https://shop.example.test/p/1",
        resolver=fake_dns({"shop.example.test": ["2002:5db8:d70e::1"]}),  # 93.184.215.14
    )
    assert target.ip == "2002:5db8:d70e::1"
