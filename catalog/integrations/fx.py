"""Exchange rates from the ECB's daily reference XML, and prices converted with them."""

import logging
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from xml.etree import ElementTree

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

import requests

from ..currencies import ISO_4217_CODES
from ..models import ExchangeRate

logger = logging.getLogger(__name__)

ECB_NAMESPACE = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
MAX_XML_BYTES = 1_000_000
CACHE_KEY = "catalog:fx:latest"
CENT = Decimal("0.01")


class RatesUnavailable(Exception):
    """The rates file could not be fetched or read."""


def parse_ecb_xml(content: bytes) -> tuple[date, dict[str, Decimal]]:
    """Return (day, {currency: units per euro}) from the ECB's eurofxref-daily.xml."""
    if b"<!DOCTYPE" in content.upper() or b"<!ENTITY" in content.upper():
        # The ECB's file has neither; refusing them rules out entity expansion attacks.
        raise RatesUnavailable("The rates file declares a DOCTYPE or entities; refused.")
    try:
        root = ElementTree.fromstring(content)  # noqa: S314 - no DTD or entities, see above
    except ElementTree.ParseError as error:
        raise RatesUnavailable(f"The rates file is not XML: {error}") from error
    day_cube = next((cube for cube in root.iter(f"{ECB_NAMESPACE}Cube") if cube.get("time")), None)
    if day_cube is None:
        raise RatesUnavailable("The rates file names no day.")
    try:
        day = date.fromisoformat(day_cube.get("time"))
    except ValueError as error:
        raise RatesUnavailable("The rates file's day is not a date.") from error
    rates = {}
    for cube in day_cube.iter(f"{ECB_NAMESPACE}Cube"):
        code, rate = cube.get("currency"), cube.get("rate")
        if code not in ISO_4217_CODES or rate is None:
            continue
        try:
            value = Decimal(rate)
        except InvalidOperation:
            continue
        if value > 0:
            rates[code] = value
    if not rates:
        raise RatesUnavailable("The rates file lists no rate.")
    return day, rates


def update_rates(url: str | None = None) -> int:
    """Fetch the ECB's daily rates and store them with their date; return the rates stored."""
    url = url or settings.CATALOG_FX_RATES_URL
    try:
        response = requests.get(url, timeout=30, stream=True)
        response.raise_for_status()
        content = response.raw.read(MAX_XML_BYTES + 1, decode_content=True)
    except requests.RequestException as error:
        raise RatesUnavailable(f"Fetching {url} failed: {error}") from error
    if len(content) > MAX_XML_BYTES:
        raise RatesUnavailable("The rates file is larger than 1 MB.")
    day, rates = parse_ecb_xml(content)
    with transaction.atomic():
        for code, rate in rates.items():
            ExchangeRate.objects.update_or_create(currency=code, date=day, defaults={"rate": rate})
    cache.delete(CACHE_KEY)
    logger.info("Stored %s exchange rates of %s.", len(rates), day)
    return len(rates)


@dataclass(frozen=True)
class RateTable:
    day: date | None
    rates: dict

    def __bool__(self):
        return self.day is not None

    def factor(self, source: str, target: str) -> Decimal | None:
        """Units of `target` for one unit of `source`, or None without both rates."""
        if source == target:
            return Decimal(1)
        if source not in self.rates or target not in self.rates:
            return None
        return self.rates[target] / self.rates[source]

    def convert(self, amount: Decimal, source: str, target: str) -> Decimal | None:
        factor = self.factor(source, target)
        if factor is None or amount is None:
            return None
        return (amount * factor).quantize(CENT, rounding=ROUND_HALF_UP)


def latest_rates() -> RateTable:
    """The newest day's rates, cached until the next update; empty when none are stored."""
    table = cache.get(CACHE_KEY)
    if table is None:
        day, rates = ExchangeRate.objects.latest_table()
        table = RateTable(day, rates)
        cache.set(CACHE_KEY, table, 600)
    return table
