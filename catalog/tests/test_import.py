"""Catalogue and competitor-price import pages (dry run, row errors, apply valid rows) and the round-trip
export."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from catalog import imports
from catalog.models import SKU, CompetitorPrice, PriceChange
from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory

pytestmark = pytest.mark.django_db

IMPORT = "/catalog/import/"
COMPETITORS = "/catalog/competitors/import/"
EXPORT = "/catalog/export/"
HEADER = "code,name,category,unit_cost,list_price,weight,role,active"


def channels():
    return [SimpleNamespace(code="tmall", name="Tmall")]


@pytest.fixture(autouse=True)
def _channels(settings):
    settings.SHOPOPS_CHANNEL_LIST_SELECTOR = "catalog.tests.test_import.channels"


@pytest.fixture
def catalogue(db):
    oral = CategoryFactory(code="oral-care", name="Oral care")
    CategoryFactory(code="gifts", name="Gifts")
    brush = SKUFactory(
        product=ProductFactory(category=oral),
        code="SKU-0001",
        name="Electric toothbrush",
        unit_cost=Decimal("40.00"),
        list_price=Decimal("129.00"),
        weight_kg=Decimal("0.350"),
        role=SKU.Role.HERO,
    )
    heads = SKUFactory(
        product=ProductFactory(category=oral),
        code="SKU-0002",
        name="Brush heads",
        unit_cost=Decimal("10.00"),
        list_price=Decimal("39.00"),
        weight_kg=Decimal("0.100"),
        role=SKU.Role.LONG_TAIL,
        active=False,
    )
    return brush, heads


@pytest.fixture
def ops(client_for):
    return client_for("operations")


def upload(client, path, text: str, name="catalogue.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(path, {"file": SimpleUploadedFile(name, data)})


def state() -> dict:
    return {
        "skus": sorted(
            SKU.objects.values_list("code", "name", "unit_cost", "list_price", "weight_kg", "role", "active")
        ),
        "changes": PriceChange.objects.count(),
    }


THREE_BAD = "\n".join(
    [
        HEADER,
        "SKU-0001,Sonic toothbrush,,,119.00,,,",  # valid: rename and a new price
        "SKU-0003,Floss,toys,5.00,19.00,,,",  # unknown category
        "SKU-0004,Water flosser,oral-care,80.00,99.00,1.2,core,true",  # under the margin floor
        "SKU-0005,Travel case,oral-care,4.00,19.90,0.05,core,yes",  # valid: new
        "SKU-0002,,,,,,star,",  # not a role
        "",
    ]
)


def test_a_file_with_3_bad_rows_shows_3_row_errors_and_changes_nothing(ops, catalogue):
    before = state()
    response = upload(ops, IMPORT, THREE_BAD)
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.rows, result.created, result.updated, result.unchanged, result.invalid_rows) == (
        5,
        1,
        1,
        0,
        3,
    )
    assert [(e.line, e.column, e.message) for e in result.errors] == [
        (3, "category", "Unknown category: toys"),
        (
            4,
            "list_price",
            "¥99.00 is under the margin floor: gross margin 19.2 %, floor 40.0 % (lowest allowed price "
            "¥133.34). Prices under the floor are set on the SKU page, with the override permission.",
        ),
        (6, "role", "Not a role: use one of hero, core, long_tail, new, image."),
    ]
    html = response.content.decode()
    assert html.count('data-testid="import-error"') == 3
    assert 'data-testid="count-invalid">3<' in html
    assert state() == before  # the preview wrote nothing

    # confirming without choosing to skip the bad rows applies nothing either
    payload = response.context["confirm"].initial["payload"]
    response = ops.post(IMPORT, {"payload": payload})
    assert response.status_code == 200
    assert not response.context["result"].applied
    assert "Nothing has been imported: 3 row(s) have errors." in response.content.decode()
    assert state() == before


def test_apply_valid_rows_applies_only_the_valid_ones(ops, catalogue):
    response = upload(ops, IMPORT, THREE_BAD)
    payload = response.context["confirm"].initial["payload"]
    response = ops.post(IMPORT, {"payload": payload, "apply_valid": "on"})
    assert response.status_code == 302
    assert response["Location"] == IMPORT
    assert sorted(SKU.objects.values_list("code", "name", "list_price", "active")) == [
        ("SKU-0001", "Sonic toothbrush", Decimal("119.00"), True),
        ("SKU-0002", "Brush heads", Decimal("39.00"), False),  # its row had an error: untouched
        ("SKU-0005", "Travel case", Decimal("19.90"), True),
    ]
    user = response.wsgi_request.user
    fields = ("sku__code", "field", "old_value", "new_value", "source", "reason", "changed_by")
    new = "Import of catalogue.csv (new SKU)"
    assert sorted(PriceChange.objects.values_list(*fields)) == [
        ("SKU-0001", "list_price", Decimal("129.00"), Decimal("119.00"), "import", "Import of catalogue.csv",
         user.pk),
        ("SKU-0005", "list_price", None, Decimal("19.90"), "import", new, user.pk),
        ("SKU-0005", "unit_cost", None, Decimal("4.00"), "import", new, user.pk),
    ]  # fmt: skip
    page = ops.get(IMPORT).content.decode()
    assert (
        "Imported catalogue.csv. New: 1, updated: 1, unchanged: 0. 3 row(s) with errors were skipped." in page
    )


def test_a_clean_file_is_applied_whole(ops, catalogue):
    text = "\n".join([HEADER, "SKU-0001,,,45.00,,,,", "SKU-0002,,gifts,,,,,TRUE"])
    response = upload(ops, IMPORT, text)
    assert response.context["result"].errors == []
    assert "apply_valid" not in response.content.decode()  # no choice to make
    response = ops.post(IMPORT, {"payload": response.context["confirm"].initial["payload"]})
    assert response.status_code == 302
    brush, heads = (
        SKU.objects.select_related("product__category").get(code=c) for c in ("SKU-0001", "SKU-0002")
    )
    assert brush.unit_cost == Decimal("45.00")
    assert (heads.active, heads.product.category.code) == (True, "gifts")


def test_a_file_that_changes_nothing_offers_nothing_to_apply(ops, catalogue):
    response = upload(
        ops, IMPORT, "\n".join([HEADER, "SKU-0001,Electric toothbrush,oral-care,40,129,0.35,hero,1"])
    )
    result = response.context["result"]
    assert (result.unchanged, result.to_write, response.context["confirm"]) == (1, 0, None)
    assert "The file changes nothing" in response.content.decode()


@pytest.mark.parametrize(
    "text, message",
    [
        ("name,price\nx,1", "The header must name the columns code, name, category, unit_cost, list_price, "
         "weight, role, active; missing: code."),
        ("\n\n", "The file is empty: the first line must be the header."),
        ("code,code\nA,B", "Two header cells name the column code."),
    ],
)  # fmt: skip
def test_a_bad_header_is_one_error_and_nothing_to_confirm(ops, catalogue, text, message):
    response = upload(ops, IMPORT, text)
    assert [e.message for e in response.context["result"].errors] == [message]
    assert response.context["confirm"] is None


def test_gb18030_csv_with_chinese_headers_ignored_and_values_read(ops, catalogue):
    text = "code,name,备注\nSKU-0001,电动牙刷,备注\n"
    response = upload(ops, IMPORT, text.encode("gb18030"))
    assert response.context["result"].updated == 1
    ops.post(IMPORT, {"payload": response.context["confirm"].initial["payload"]})
    assert SKU.objects.get(code="SKU-0001").name == "电动牙刷"


def test_a_tampered_or_foreign_preview_is_refused(ops, catalogue, client_for, client):
    response = upload(ops, IMPORT, "\n".join([HEADER, "SKU-0001,Renamed,,,,,,"]))
    payload = response.context["confirm"].initial["payload"]
    assert ops.post(IMPORT, {"payload": payload[:-2] + "xx"}).status_code == 400
    client.logout()
    other = client_for("admin")
    response = other.post(IMPORT, {"payload": payload})
    assert response.status_code == 400
    assert SKU.objects.get(code="SKU-0001").name == "Electric toothbrush"


def test_manager_may_not_import_or_export(client_for, catalogue):
    manager = client_for("manager")
    assert manager.get(IMPORT).status_code == 403
    assert upload(manager, IMPORT, "\n".join([HEADER, "SKU-0001,X,,,,,,"])).status_code == 403
    assert manager.get(EXPORT).status_code == 403
    assert SKU.objects.get(code="SKU-0001").name == "Electric toothbrush"


def test_the_template_is_the_import_header(ops, catalogue):
    response = ops.get(IMPORT + "?template=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == HEADER.split(",")


# --- export and round trip ----------------------------------------------------------------------------


def test_csv_export_in_the_import_format(ops, catalogue):
    response = ops.get(EXPORT + "?format=csv")
    assert response["Content-Disposition"] == 'attachment; filename="catalogue.csv"'
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines() == [
        HEADER,
        "SKU-0001,Electric toothbrush,oral-care,40.00,129.00,0.350,hero,true",
        "SKU-0002,Brush heads,oral-care,10.00,39.00,0.100,long_tail,false",
    ]
    response = upload(ops, IMPORT, text)
    assert (response.context["result"].unchanged, response.context["result"].errors) == (2, [])


def test_xlsx_round_trip(ops, catalogue):
    response = ops.get(EXPORT + "?format=xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="catalogue.xlsx"'
    before = state()
    # exported unchanged, imported: nothing to do
    preview = upload(ops, IMPORT, response.content, name="catalogue.xlsx")
    result = preview.context["result"]
    assert (result.rows, result.unchanged, result.to_write, result.errors) == (2, 2, 0, [])

    # edited in Excel (numbers as numbers, a new row), imported: exactly the edits
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    sheet["E2"] = 119  # list price of SKU-0001
    sheet["F3"] = 0.125  # weight of SKU-0002
    sheet.append(["SKU-0009", "Gift box", "gifts", 20.5, 59, None, "image", True])
    buffer = io.BytesIO()
    book.save(buffer)
    preview = upload(ops, IMPORT, buffer.getvalue(), name="edited.xlsx")
    result = preview.context["result"]
    assert (result.created, result.updated, result.unchanged, result.errors) == (1, 2, 0, [])
    ops.post(IMPORT, {"payload": preview.context["confirm"].initial["payload"]})
    after = state()
    assert after["skus"] == [
        ("SKU-0001", "Electric toothbrush", Decimal("40.00"), Decimal("119.00"), Decimal("0.350"), "hero",
         True),
        ("SKU-0002", "Brush heads", Decimal("10.00"), Decimal("39.00"), Decimal("0.125"), "long_tail", False),
        ("SKU-0009", "Gift box", Decimal("20.50"), Decimal("59.00"), Decimal("0.000"), "image", True),
    ]  # fmt: skip
    assert after["changes"] == before["changes"] + 3  # one price change, the new SKU's price and cost

    # and the export of the result reads back unchanged
    again = ops.get(EXPORT + "?format=xlsx")
    result = upload(ops, IMPORT, again.content, name="again.xlsx").context["result"]
    assert (result.unchanged, result.to_write) == (3, 0)


def test_an_unreadable_xlsx_is_an_error(ops, catalogue):
    response = upload(ops, IMPORT, b"PK\x03\x04 not really", name="broken.xlsx")
    assert [e.message for e in response.context["result"].errors] == ["Not readable as an XLSX workbook."]


def test_table_read_numbers_from_excel_exactly():
    book = Workbook()
    book.active.append(["code", "unit_cost", "list_price", "weight", "active"])
    book.active.append(["A", 12.345, 129.0, 1e-3, False])
    buffer = io.BytesIO()
    book.save(buffer)
    table = imports.table_read(
        name="x.xlsx", data=buffer.getvalue(), columns=imports.CATALOG_COLUMNS, required=("code",)
    )
    # as written, never rounded: 12.345 is then refused (at most two decimals), not turned into 12.35
    expected = {"code": "A", "unit_cost": "12.345", "list_price": "129", "weight": "0.001", "active": "false"}
    assert table.rows == [(2, expected)]


# --- competitor prices ----------------------------------------------------------------------------------


def test_competitor_price_import_dry_run_then_apply_and_idempotent(ops, catalogue):
    text = "\n".join(
        [
            "sku,competitor,channel,price,seen_at",
            "SKU-0001,BrightSmile,tmall,119.00,2026-06-18 10:21",  # shop time
            "SKU-0001,Dentix,,99,2026-06-18T02:21:00Z",
            "SKU-9999,Dentix,,99,2026-06-18T02:21:00Z",
            "SKU-0002,Dentix,amazon,0,soon",
        ]
    )
    response = upload(ops, COMPETITORS, text, name="offers.csv")
    result = response.context["result"]
    assert (result.rows, result.created, result.invalid_rows) == (4, 2, 2)
    assert [(e.line, e.column, e.message) for e in result.errors] == [
        (4, "sku", "Unknown SKU: SKU-9999"),
        (5, "channel", "Unknown channel: amazon (leave it blank for an offer on no particular channel)."),
        (5, "price", "A price must be above zero."),
        (5, "seen_at", "Not a date and time such as 2026-06-18T10:21:00+08:00."),
    ]
    assert CompetitorPrice.objects.count() == 0
    response = ops.post(
        COMPETITORS, {"payload": response.context["confirm"].initial["payload"], "apply_valid": "1"}
    )
    assert response.status_code == 302
    seen = datetime(2026, 6, 18, 2, 21, tzinfo=UTC)
    fields = ("sku__code", "competitor", "channel", "price", "seen_at", "source")
    assert sorted(CompetitorPrice.objects.values_list(*fields)) == [
        ("SKU-0001", "BrightSmile", "tmall", Decimal("119.00"), seen, "import"),
        ("SKU-0001", "Dentix", "", Decimal("99.00"), seen, "import"),
    ]  # fmt: skip
    # the same file again: nothing new
    result = upload(ops, COMPETITORS, text, name="offers.csv").context["result"]
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)


def test_competitor_import_needs_its_columns(ops, catalogue):
    response = upload(ops, COMPETITORS, "sku,price\nSKU-0001,1", name="offers.csv")
    assert [e.message for e in response.context["result"].errors] == [
        "The header must name the columns sku, competitor, channel, price, seen_at; missing: competitor, "
        "seen_at."
    ]
