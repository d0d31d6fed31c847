"""How a curator drives the admin's import and export views, for the tests of both."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from openpyxl import Workbook

from .factories import (
    make_upc,
)

CSV_FORMAT, XLSX_FORMAT, JSON_FORMAT = "0", "1", "2"


def csv_bytes(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def xlsx_bytes(rows: list[dict]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, model, content: bytes, fmt=CSV_FORMAT, name="feed.csv"):
    """Send a file to the import form: the answer is the dry-run preview."""
    return client.post(
        reverse(f"admin:catalog_{model}_import"),
        {"resource": "0", "format": fmt, "import_file": SimpleUploadedFile(name, content)},
    )


def confirm(client, model, preview):
    assert preview.context["confirm_form"] is not None, preview.context["result"].invalid_rows
    return client.post(
        reverse(f"admin:catalog_{model}_process_import"), preview.context["confirm_form"].initial
    )


def import_file(client, model, content, fmt=CSV_FORMAT, name="feed.csv"):
    preview = upload(client, model, content, fmt, name)
    assert preview.status_code == 200
    response = confirm(client, model, preview)
    assert response.status_code == 302, response.content.decode()[:2000]
    return preview.context["result"]


def export(client, model, resource, fmt=CSV_FORMAT, query=""):
    """Ask for an export of every column, from a change list filtered by `query`."""
    data = {"format": fmt, "resource": "0"}
    for name in resource().fields:
        data[f"{resource.__name__.lower()}_{name}"] = "on"
    return client.post(reverse(f"admin:catalog_{model}_export") + query, data)


def export_rows(client, model, resource, query=""):
    response = export(client, model, resource, query=query)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def totals(preview) -> dict:
    result = preview.context["result"]
    return {kind: count for kind, count in result.totals.items() if count}


def product_row(product=None, **values):
    row = {
        "upc": product.upc if product else make_upc(900),
        "brand": product.brand if product else "Acne Studios",
        "name": product.name if product else "Denim jacket",
        "slug": product.slug if product else "",
        "description": product.description if product else "",
        "type": "Shirt",
        "style": "original",
        "images": "",
    }
    row.update(values)
    return row
