"""Export in the admin: what the change list shows, in every format, with formula cells
written as text."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from catalog.ingest.resources import (
    OfferResource,
    ProductResource,
    RetailerResource,
    VideoResource,
)
from catalog.models import (
    Product,
    ProductType,
)

from .admin_files import (
    CSV_FORMAT,
    JSON_FORMAT,
    XLSX_FORMAT,
    export,
    export_rows,
    totals,
    upload,
)
from .factories import (
    OfferFactory,
    ProductFactory,
    ProductImageFactory,
    RetailerFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db


# Export


# The offers' search goes through the products' full-text column, which MariaDB's FULLTEXT
# index fills only on commit: this test commits its rows.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_export_contains_only_the_rows_the_change_list_shows(curator_client):
    zalando, asos = RetailerFactory(name="Zalando"), RetailerFactory(name="ASOS")
    jacket = ProductFactory(name="Denim jacket", brand="Levi's")
    shirt = ProductFactory(name="Oxford shirt", brand="Paul Smith")
    OfferFactory(product=jacket, retailer=zalando)
    OfferFactory(product=jacket, retailer=asos)
    OfferFactory(product=shirt, retailer=zalando)

    searched = export_rows(curator_client, "offer", OfferResource, query="?q=jacket")
    filtered = export_rows(
        curator_client, "offer", OfferResource, query=f"?retailer__id__exact={zalando.pk}"
    )
    both = export_rows(
        curator_client, "offer", OfferResource, query=f"?q=jacket&retailer__id__exact={asos.pk}"
    )

    assert sorted((r["upc"], r["retailer"]) for r in searched) == sorted(
        [(jacket.upc, "Zalando"), (jacket.upc, "ASOS")]
    )
    assert sorted((r["upc"], r["retailer"]) for r in filtered) == sorted(
        [(jacket.upc, "Zalando"), (shirt.upc, "Zalando")]
    )
    assert [(r["upc"], r["retailer"]) for r in both] == [(jacket.upc, "ASOS")]


def test_product_export_filtered_by_type_in_xlsx(curator_client):
    ProductFactory(name="Shirt one")
    jacket = ProductFactory(name="Jacket one", product_type=ProductType.objects.get(slug="jacket"))

    response = export(
        curator_client,
        "product",
        ProductResource,
        fmt=XLSX_FORMAT,
        query=f"?product_type__id__exact={jacket.product_type_id}",
    )

    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("upc", "brand", "name")
    assert [row[0] for row in rows[1:]] == [jacket.upc]


@pytest.mark.parametrize(
    "model, resource", [("offer", OfferResource), ("product", ProductResource)]
)
def test_export_runs_the_same_queries_for_two_rows_or_twenty(
    curator_client, django_assert_num_queries, model, resource
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def make(count):
        for _ in range(count):
            offer = OfferFactory()
            ProductImageFactory(product=offer.product)

    make(2)
    with CaptureQueriesContext(connection) as few:
        assert export(curator_client, model, resource).status_code == 200
    make(18)
    with django_assert_num_queries(len(few.captured_queries)):
        response = export(curator_client, model, resource)
    assert len(list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))) == 20


FORMULAS = ['=HYPERLINK("https://evil.example")', "+1+1", "-2+3", "@SUM(1+1)"]


def export_cells(client, model, resource, fmt, column):
    """Export every row in `fmt` and return the cells of one column, in export order."""
    response = export(client, model, resource, fmt=fmt)
    assert response.status_code == 200
    if fmt == XLSX_FORMAT:
        sheet = load_workbook(io.BytesIO(response.content)).active
        header, *rows = sheet.iter_rows()
        index = [cell.value for cell in header].index(column)
        return [row[index] for row in rows]
    return [row[column] for row in csv.DictReader(io.StringIO(response.content.decode()))]


def test_csv_export_writes_formula_cells_as_text(curator_client):
    for name in FORMULAS:
        RetailerFactory(name=name)

    cells = export_cells(curator_client, "retailer", RetailerResource, CSV_FORMAT, "name")

    assert sorted(cells) == sorted(f"'{name}" for name in FORMULAS)


def test_xlsx_export_writes_formula_cells_as_text(curator_client):
    ProductFactory(name="=1+1")

    [cell] = export_cells(curator_client, "product", ProductResource, XLSX_FORMAT, "name")

    assert cell.data_type == "s"
    assert cell.value == "'=1+1"


def test_export_keeps_numbers_numbers(curator_client):
    OfferFactory(price=Decimal("20.50"))

    [csv_cell] = export_cells(curator_client, "offer", OfferResource, CSV_FORMAT, "price")
    [xlsx_cell] = export_cells(curator_client, "offer", OfferResource, XLSX_FORMAT, "price")

    assert csv_cell == "20.50"
    assert xlsx_cell.data_type == "n"
    assert xlsx_cell.value == 20.5


def test_a_negative_number_is_exported_without_an_apostrophe():
    resource = OfferResource()
    offer = OfferFactory.build(price=Decimal("-5.00"))

    assert resource.export_field(resource.fields["price"], offer) == "-5.00"


@pytest.mark.parametrize(
    ("fmt", "name"), [(CSV_FORMAT, "p.csv"), (XLSX_FORMAT, "p.xlsx"), (JSON_FORMAT, "p.json")]
)
def test_formula_cells_import_back_unchanged(curator_client, fmt, name):
    values = [*FORMULAS, "'=already quoted", "'plain quote"]
    for value in values:
        ProductFactory(name=value, description=value)
    VideoFactory(title="=1+1", release_date=None, duration=None)
    products = list(
        Product.objects.order_by("pk").values_list("name", "description", "updated_at")
    )

    exported = export(curator_client, "product", ProductResource, fmt=fmt).content
    product_preview = upload(curator_client, "product", exported, fmt, name)
    exported = export(curator_client, "video", VideoResource, fmt=fmt).content
    video_preview = upload(curator_client, "video", exported, fmt, name)

    assert totals(product_preview) == {"skip": len(values)}
    assert totals(video_preview) == {"skip": 1}
    assert (
        list(Product.objects.order_by("pk").values_list("name", "description", "updated_at"))
        == products
    )
