"""Exchange rates from the ECB's daily XML, served by a local HTTP server."""

import contextlib
import threading
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.core.cache import cache

import pytest

from catalog.integrations import fx
from catalog.models import ExchangeRate

from .commands import manage

ECB_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
    xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
  <Cube>
    <Cube time="2026-12-03">
      <Cube currency="USD" rate="1.0800"/>
      <Cube currency="JPY" rate="161.25"/>
      <Cube currency="GBP" rate="0.8550"/>
      <Cube currency="XYZ" rate="2.0"/>
    </Cube>
  </Cube>
</gesmes:Envelope>
"""
FILES = {
    "/eurofxref-daily.xml": (200, ECB_XML),
    "/broken.xml": (200, b"<not xml"),
    "/bomb.xml": (200, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'),
    "/empty.xml": (200, b"<Envelope/>"),
}


class RatesHandler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        pass

    def do_GET(self):
        status, body = FILES.get(self.path, (404, b"missing"))
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def rates_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), RatesHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def ecb():
    with rates_server() as base:
        yield base


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.mark.django_db
def test_rates_are_read_and_stored_with_their_date(ecb, settings):
    settings.CATALOG_FX_RATES_URL = f"{ecb}/eurofxref-daily.xml"
    assert fx.update_rates() == 3
    stored = {rate.currency: rate for rate in ExchangeRate.objects.all()}
    assert set(stored) == {"USD", "JPY", "GBP"}  # XYZ is no ISO 4217 code
    assert stored["USD"].rate == Decimal("1.080000")
    assert stored["USD"].date == date(2026, 12, 3)
    # A second run of the same day updates, never duplicates.
    assert fx.update_rates() == 3
    assert ExchangeRate.objects.count() == 3
    table = fx.latest_rates()
    assert table.day == date(2026, 12, 3)
    assert table.convert(Decimal("100.00"), "USD", "EUR") == Decimal("92.59")
    assert table.convert(Decimal("100.00"), "GBP", "USD") == Decimal("126.32")
    assert table.convert(Decimal("100.00"), "USD", "CHF") is None


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/broken.xml", "/bomb.xml", "/empty.xml", "/missing.xml"])
def test_bad_files_store_nothing(ecb, path):
    with pytest.raises(fx.RatesUnavailable):
        fx.update_rates(f"{ecb}{path}")
    assert not ExchangeRate.objects.exists()


@pytest.mark.django_db
def test_no_rates_convert_nothing():
    table = fx.latest_rates()
    assert not table
    assert table.convert(Decimal("10"), "USD", "EUR") is None
    assert table.convert(Decimal("10"), "USD", "USD") == Decimal("10.00")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_command_as_operators_run_it(ecb, tmp_path):
    done = manage("update_fx_rates", "--url", f"{ecb}/eurofxref-daily.xml", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "3 exchange rates stored; the newest are of 2026-12-03." in done.stdout
    failed = manage("update_fx_rates", "--url", f"{ecb}/broken.xml", tmp_path=tmp_path)
    assert failed.returncode == 1
    assert "The rates file is not XML" in failed.stderr


@pytest.mark.django_db
def test_the_task_reads_the_configured_url(ecb, settings):
    from catalog.integrations.tasks import update_fx_rates

    settings.CATALOG_FX_RATES_URL = f"{ecb}/eurofxref-daily.xml"
    assert update_fx_rates.delay().get() == 3
