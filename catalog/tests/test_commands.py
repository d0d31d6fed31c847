"""Every management command, run as cron and operators run it: `python manage.py …`.

call_command() skips the system checks that `manage.py` runs first, which is how a command
whose method shadowed BaseCommand.check() once crashed on every start. These tests run the
real entry point in a subprocess, with the production settings, on the test database.
"""

import csv
import json
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management import get_commands
from django.utils import timezone

import pytest

from catalog.analytics.rollup import ROLLUP_SETTLE
from catalog.models import Click, Offer, Product, Video
from catalog.tests.factories import ClickFactory, OfferFactory, ProductFactory, RetailerFactory
from catalog.tests.processes import manage
from catalog.tests.shop_server import running_shop

# The subprocess reads and writes the database: the test's data must be committed.
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


@pytest.fixture(autouse=True)
def _production_hashes(settings):
    """Check the passwords that the subprocess hashed with the production hasher."""
    settings.PASSWORD_HASHERS = ["inspired_site.hashers.PBKDF2PasswordHasher"]


PROJECT_COMMANDS = sorted(
    name for name, app in get_commands().items() if app in {"catalog", "storefront"}
)


def test_the_list_of_commands_is_the_one_tested_here():
    assert sorted(REAL_RUNS) == PROJECT_COMMANDS


@pytest.mark.parametrize("command", PROJECT_COMMANDS)
def test_every_command_starts_and_shows_its_help(command):
    result = manage(command, "--help")

    assert result.returncode == 0, result.stderr
    assert f"manage.py {command}" in result.stdout


def run_check_offers():
    with running_shop() as (base, requests):
        offer = OfferFactory(url=f"{base}/p/ok")
        result = manage(
            "check_offers",
            "--limit",
            "10",
            "--concurrency",
            "2",
            CATALOG_LINKCHECK_ALLOWED_HOSTS="127.0.0.1",
        )
    assert result.returncode == 0, result.stderr
    assert "Checked 1 offer." in result.stdout
    assert Offer.objects.get(pk=offer.pk).link_status == Offer.LinkStatus.OK
    assert requests


def run_ensure_curator():
    result = manage("ensure_curator", "--username", "ops", "--password", "a-long-secret-42")
    assert result.returncode == 0, result.stderr
    assert "Created the curator login" in result.stdout
    user = get_user_model().objects.get(username="ops")
    assert user.is_staff and user.check_password("a-long-secret-42")


def run_generate_catalog():
    sizes = ["--artists", "2", "--videos", "2", "--scenes", "2", "--products", "3"]
    result = manage("generate_catalog", *sizes, "--offers", "3", "--retailers", "2")
    assert result.returncode == 0, result.stderr
    assert "Made a synthetic catalog" in result.stdout
    assert Video.objects.count() == 2


def run_import_feed(tmp_path):
    product, retailer = ProductFactory(), RetailerFactory(name="Shopwise")
    feed = tmp_path / "offers.csv"
    with feed.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["upc", "retailer", "url", "price", "currency", "availability"])
        writer.writerow(
            [product.upc, "Shopwise", "https://shopwise.example/p/1", "19.99", "USD", ""]
        )
    result = manage("import_feed", str(feed), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert Offer.objects.filter(product=product, retailer=retailer).exists()
    report = json.loads(feed.with_name("offers.csv.report.json").read_text())
    assert report["created"] == 1


def run_load_demo():
    result = manage("load_demo")
    assert result.returncode == 0, result.stderr
    assert "Loaded the demo catalog" in result.stdout
    assert Video.objects.exists()
    assert Product.objects.published().exists()


def run_refresh_published():
    ProductFactory()
    result = manage("refresh_published")
    assert result.returncode == 0, result.stderr
    assert "0 product flags corrected; 0 of 1 products are published." in result.stdout


def run_rollup_clicks():
    # Older than the settling time the roll-up waits for.
    click = ClickFactory()
    settled = timezone.now() - ROLLUP_SETTLE - timedelta(minutes=1)
    Click.objects.filter(pk=click.pk).update(created_at=settled)
    result = manage("rollup_clicks")
    assert result.returncode == 0, result.stderr
    assert "Rolled up 1 click." in result.stdout
    assert Click.objects.count() == 1


def run_refresh_prices():
    product = ProductFactory()
    OfferFactory(product=product, price="12.00", currency="USD")
    Product.objects.filter(pk=product.pk).update(from_price=None)
    result = manage("refresh_prices")
    assert result.returncode == 0, result.stderr
    assert "1 from price corrected" in result.stdout
    assert Product.objects.get(pk=product.pk).from_price is not None


def run_refresh_search():
    product = ProductFactory(name="Corduroy blazer")
    Product.objects.filter(pk=product.pk).update(search_text="")
    result = manage("refresh_search")
    assert result.returncode == 0, result.stderr
    assert "The search index is complete." in result.stdout
    assert "blazer" in Product.objects.get(pk=product.pk).search_text


def run_build_merchant_feeds(tmp_path):
    result = manage("build_merchant_feeds", CATALOG_FEED_DIR=str(tmp_path / "feeds"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "feeds" / "products.xml").exists()
    assert (tmp_path / "feeds" / "products.tsv").exists()


def run_update_fx_rates():
    from .test_fx import rates_server

    with rates_server() as base:
        result = manage("update_fx_rates", "--url", f"{base}/eurofxref-daily.xml")
    assert result.returncode == 0, result.stderr
    assert "3 exchange rates stored" in result.stdout


REAL_RUNS = {
    "build_merchant_feeds": run_build_merchant_feeds,
    "refresh_prices": run_refresh_prices,
    "refresh_search": run_refresh_search,
    "update_fx_rates": run_update_fx_rates,
    "check_offers": run_check_offers,
    "ensure_curator": run_ensure_curator,
    "generate_catalog": run_generate_catalog,
    "import_feed": run_import_feed,
    "load_demo": run_load_demo,
    "refresh_published": run_refresh_published,
    "rollup_clicks": run_rollup_clicks,
}


@pytest.mark.parametrize("command", sorted(REAL_RUNS))
def test_every_command_runs_for_real(command, request):
    run = REAL_RUNS[command]
    if "tmp_path" in run.__code__.co_varnames[: run.__code__.co_argcount]:
        run(request.getfixturevalue("tmp_path"))
    else:
        run()


# ensure_curator: the development default password never reaches production


def test_ensure_curator_refuses_the_default_password_with_debug_off():
    result = manage("ensure_curator")

    assert result.returncode == 1
    assert "--password" in result.stderr
    assert not get_user_model().objects.filter(username="curator").exists()


def test_ensure_curator_gives_a_development_site_the_default_password():
    result = manage("ensure_curator", DJANGO_DEBUG="1")

    assert result.returncode == 0, result.stderr
    assert get_user_model().objects.get(username="curator").check_password("inspired-curator")


def test_ensure_curator_keeps_an_existing_login_without_a_password():
    manage("ensure_curator", "--password", "a-long-secret-42")

    again = manage("ensure_curator")

    assert again.returncode == 0, again.stderr
    assert "Kept the curator login" in again.stdout
