"""The marketplace order import: reading exports, the preview (a dry run), applying, mismatched totals."""

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.tests.factories import SKUFactory
from inventory import services as stock
from inventory.models import StockMovement
from inventory.tests.factories import WarehouseFactory
from orders import imports
from orders.imports import RowError, order_csv_import, order_csv_parse, order_sync_totals_flagged
from orders.models import Customer, Order, OrderEvent, OrderException, OrderLine
from orders.schemas import order_parse
from orders.services import order_sync
from orders.tests.factories import ChannelFactory
from shopops.common.pii import pii_hash

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
IMPORT = reverse("orders:order-import")
HEADER = ",".join(imports.IMPORT_COLUMNS)


@pytest.fixture
def shop(db):
    channel = ChannelFactory(code="tmall", name="Tmall")
    east = WarehouseFactory(code="east", province="上海", provinces_served=["上海", "江苏", "浙江"])
    a = SKUFactory(code="SKU-0001", unit_cost=Decimal("50.00"))
    b = SKUFactory(code="SKU-0002", unit_cost=Decimal("10.00"))
    for sku in (a, b):
        stock.stock_receive(sku_id=sku.pk, warehouse=east, quantity=20, reference="opening")
    return channel


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def written() -> dict:
    return {
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "customers": Customer.objects.count(),
        "events": OrderEvent.objects.count(),
        "exceptions": OrderException.objects.count(),
        "movements": StockMovement.objects.exclude(reference="opening").count(),
    }


NOTHING = dict.fromkeys(("orders", "lines", "customers", "events", "exceptions", "movements"), 0)


def upload(client, data: bytes, *, name="orders.csv", channel="tmall"):
    return client.post(IMPORT, {"channel": channel, "file": SimpleUploadedFile(name, data, "text/csv")})


def payload_of(response) -> str:
    return re.search(r'name="payload" value="([^"]+)"', response.content.decode()).group(1)


def errors_of(result) -> list[tuple]:
    return [(e.line, e.column, e.message) for e in result.errors]


# --- reading the file (no writes) ---------------------------------------------------------------------------


def test_rows_are_grouped_into_orders_with_the_order_values_of_their_first_row():
    read_file = order_csv_parse(text=read("orders_good.csv"), currency="CNY")
    assert read_file.errors == []
    assert (read_file.rows, read_file.order_count) == (3, 2)
    first, second = (p.order for p in read_file.orders)
    assert (first.external_id, first.status, first.total, first.order_discount, first.currency) == (
        "TB1001",
        "paid",
        Decimal("287.00"),
        Decimal("10.00"),
        "CNY",
    )
    assert first.placed_at == datetime(2026, 6, 18, 2, 21, tzinfo=UTC)  # 10:21 in Asia/Shanghai
    assert first.updated_at == first.placed_at
    assert [(li.sku, li.quantity, li.unit_price, li.discount) for li in first.lines] == [
        ("SKU-0001", 2, Decimal("129.00"), Decimal("20.00")),
        ("SKU-0002", 1, Decimal("59.00"), Decimal("0.00")),
    ]
    c = first.customer
    assert (c.external_id, c.name, c.phone, c.province) == ("tb_wang", "王芳", "13800000000", "上海")
    assert (second.external_id, second.status, second.shipping_fee, second.total) == (
        "TB1002",
        "shipped",
        Decimal("8.00"),
        Decimal("185.00"),
    )


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"quantity": "0"}, "quantity", "Must be at least 1."),
        ({"quantity": "1.5"}, "quantity", "Not a whole number: 1.5"),
        ({"unit_price": "12,5"}, "unit_price", "Not an amount: 12,5 (use a point for decimals)."),
        ({"unit_price": "-3.00"}, "unit_price", "Must not be negative."),
        ({"unit_price": "3.001"}, "unit_price", "At most two decimal places: 3.001"),
        (
            {"placed_at": "18/06/2026"},
            "placed_at",
            "Not a date and time such as 2026-06-18 10:21:00: 18/06/2026",
        ),
        ({"status": "lost"}, "status", "Unknown status: lost"),
        ({"sku": ""}, "sku", "Required."),
        (
            {"order_id": "5.01235E+15"},
            "order_id",
            "5.01235E+15 looks like a number Excel shortened: export the order id column as text.",
        ),
        ({"phone": "1" * 41}, "phone", "Expected `str` of length <= 40"),
    ],
)
def test_each_kind_of_bad_value_is_reported_on_its_line_and_column(cells, column, message):
    row = dict.fromkeys(imports.IMPORT_COLUMNS, "")
    row.update(
        order_id="TB1",
        placed_at="2026-06-18 10:00:00",
        status="paid",
        customer_id="c1",
        sku="SKU-0001",
        quantity="1",
        unit_price="3.00",
        total="3.00",
    )
    row.update(cells)
    out = io.StringIO()
    csv.writer(out).writerows([imports.IMPORT_COLUMNS, [row[c] for c in imports.IMPORT_COLUMNS]])
    read_file = order_csv_parse(text=out.getvalue(), currency="CNY")
    assert errors_of(read_file) == [(2, column, message)]


def test_a_later_row_that_contradicts_its_order_is_an_error():
    text = (
        HEADER + "\n"
        "TB1,2026-06-18 10:00:00,paid,c1,,,,SKU-0001,1,3.00,,,,6.00\n"
        "TB1,2026-06-18 10:00:00,shipped,c1,,,,SKU-0002,1,3.00,,,,6.00\n"
    )
    assert errors_of(order_csv_parse(text=text, currency="CNY")) == [
        (3, "status", "shipped differs from line 2 of the same order (paid).")
    ]


def test_a_header_without_the_required_columns_is_one_error_on_line_1():
    text = "order_id,sku,quantity\nTB1,SKU-0001,1\n"
    assert errors_of(order_csv_parse(text=text, currency="CNY")) == [
        (
            1,
            "",
            "The header must name the columns order_id, placed_at, status, sku, quantity, unit_price, total; "
            "missing: placed_at, status, unit_price, total.",
        )
    ]


def test_the_phone_stands_in_for_a_missing_buyer_id():
    text = HEADER + "\nTB1,2026-06-18 10:00:00,paid,,王芳,13800000000,上海,SKU-0001,1,3.00,,,,3.00\n"
    order = order_csv_parse(text=text, currency="CNY").orders[0].order
    assert (order.customer.external_id, order.customer.name) == (
        f"tel:{pii_hash('phone', '13800000000')}",
        "王芳",
    )
    assert order.customer.phone == "13800000000"


# --- preview and apply --------------------------------------------------------------------------------------


def test_a_file_with_three_bad_rows_shows_three_row_errors_and_writes_nothing(client_for, shop):
    response = upload(client_for("operations"), (DATA / "orders_three_bad_rows.csv").read_bytes())
    assert response.status_code == 200
    result = response.context["result"]
    assert errors_of(result) == [
        (2, "quantity", "Not a whole number: two"),
        (3, "sku", "Unknown SKU 'SKU-9999'."),  # a business rule, found by the dry run
        (4, "placed_at", "Not a date and time such as 2026-06-18 10:21:00: 2026-06-31 10:00:00"),
    ]
    html = response.content.decode()
    assert 'data-testid="order-import-errors"' in html and 'name="payload"' not in html
    assert 'data-testid="count-invalid">3<' in html
    assert written() == NOTHING


def test_a_good_file_previews_then_applies(client_for, shop):
    client = client_for("operations")
    preview = upload(client, read("orders_good.csv").encode())
    result = preview.context["result"]
    assert (result.errors, result.regular.created, result.regular.updated, result.regular.unchanged) == (
        [],
        2,
        0,
        0,
    )
    html = preview.content.decode()
    assert 'data-testid="count-create">2<' in html and 'data-testid="count-orders">2<' in html
    assert written() == NOTHING  # the preview's dry run was rolled back

    confirm = client.post(IMPORT, {"payload": payload_of(preview)})
    assert confirm.status_code == 302
    assert confirm["Location"] == reverse("orders:overview") + "?channel=tmall"
    order = Order.objects.get(external_id="TB1001")
    assert (order.channel.code, order.status, order.total, order.order_discount, order.province) == (
        "tmall",
        "paid",
        Decimal("287.00"),
        Decimal("10.00"),
        "上海",
    )
    assert order.placed_at == datetime(2026, 6, 18, 2, 21, tzinfo=UTC)
    assert sorted(order.lines.values_list("sku__code", "quantity", "unit_price", "discount")) == [
        ("SKU-0001", 2, Decimal("129.00"), Decimal("20.00")),
        ("SKU-0002", 1, Decimal("59.00"), Decimal("0.00")),
    ]
    assert (order.customer.external_id, order.customer.name) == ("tb_wang", "王芳")
    shipped = Order.objects.get(external_id="TB1002")
    assert (shipped.status, shipped.total, shipped.shipping_fee) == (
        "shipped",
        Decimal("185.00"),
        Decimal("8.00"),
    )
    assert set(OrderEvent.objects.values_list("source", flat=True)) == {"import"}
    page = client.get(confirm["Location"]).content.decode()
    assert "Imported orders.csv. New orders: 2, updated: 0, unchanged: 0." in page

    # The same file again changes nothing; a changed one updates what changed.
    again = upload(client, read("orders_good.csv").encode())
    assert (again.context["result"].regular.unchanged, again.context["confirm"]) == (2, None)
    assert "nothing to apply" in again.content.decode()
    changed = read("orders_good.csv").replace("2026-06-18 10:21:00,paid", "2026-06-18 10:21:00,shipped")
    preview = upload(client, changed.encode())
    result = preview.context["result"]
    assert (result.regular.created, result.regular.updated, result.regular.unchanged) == (0, 1, 1)
    client.post(IMPORT, {"payload": payload_of(preview)})
    assert Order.objects.get(external_id="TB1001").status == "shipped"


def test_a_gb18030_file_with_chinese_headers_and_statuses(client_for, shop):
    client = client_for("operations")
    preview = upload(client, (DATA / "orders_gb18030.csv").read_bytes(), name="淘宝订单.csv")
    result = preview.context["result"]
    assert (result.errors, result.regular.created) == ([], 2)
    client.post(IMPORT, {"payload": payload_of(preview)})
    rows = {
        o.external_id: (
            o.status,
            o.total,
            o.shipping_fee,
            o.province,
            o.customer.external_id,
            o.customer.name,
        )
        for o in Order.objects.select_related("customer")
    }
    assert rows == {
        "5012345678901234": ("paid", Decimal("139.00"), Decimal("10.00"), "上海", "wangfang88", "王芳"),
        "5012345678901235": ("shipped", Decimal("113.00"), Decimal("0.00"), "浙江", "lilei", "李雷"),
    }
    assert Order.objects.get(external_id="5012345678901234").placed_at == datetime(
        2026, 6, 18, 2, 21, tzinfo=UTC
    )
    assert sorted(
        OrderLine.objects.values_list("order__external_id", "sku__code", "quantity", "discount")
    ) == [
        ("5012345678901234", "SKU-0001", 1, Decimal("0.00")),
        ("5012345678901235", "SKU-0002", 2, Decimal("5.00")),
    ]


def test_totals_mismatch_previews_separately_and_imports_with_a_totals_exception(client_for, shop):
    client = client_for("operations")
    preview = upload(client, read("orders_totals_mismatch.csv").encode())
    result = preview.context["result"]
    assert result.errors == []
    assert (result.regular.created, result.flagged.created) == (1, 1)
    assert [(m.external_id, m.line, m.marketplace_total, m.computed_total) for m in result.mismatches] == [
        ("TB3001", 2, Decimal("250.00"), Decimal("258.00"))
    ]
    html = preview.content.decode()
    assert 'data-testid="order-import-mismatches"' in html and 'name="include_mismatched"' in html
    assert written() == NOTHING

    client.post(IMPORT, {"payload": payload_of(preview), "include_mismatched": "on"})
    order = Order.objects.get(external_id="TB3001")
    assert (order.total, order.status) == (Decimal("258.00"), "paid")
    assert list(order.exceptions.values_list("kind", "detail", "resolved_at")) == [
        (
            "totals",
            "The channel's total is 250.00 CNY, but the lines add up to 258.00 (lines 258.00 - order "
            "discount 0.00 + shipping 0.00 + tax 0.00); imported with 258.00.",
            None,
        )
    ]
    assert Order.objects.get(external_id="TB3002").exceptions.count() == 0

    # Importing the same file again raises no second exception, even once the first is resolved.
    OrderException.objects.update(resolved_at=order.placed_at, resolution_note="Platform subsidy.")
    preview = upload(client, read("orders_totals_mismatch.csv").encode())
    assert (preview.context["result"].regular.unchanged, preview.context["result"].flagged.unchanged) == (
        1,
        1,
    )
    assert OrderException.objects.count() == 1


def test_mismatched_orders_are_left_out_unless_chosen(client_for, shop):
    client = client_for("operations")
    preview = upload(client, read("orders_totals_mismatch.csv").encode())
    response = client.post(IMPORT, {"payload": payload_of(preview)})
    assert response.status_code == 302
    assert list(Order.objects.values_list("external_id", flat=True)) == ["TB3002"]
    assert OrderException.objects.count() == 0
    page = client.get(response["Location"]).content.decode()
    assert "1 order(s) with totals that do not add up were left out." in page


def test_the_totals_service_leaves_rejections_to_the_sync(shop):
    order, _ = order_parse(
        {
            "external_id": "TB9",
            "placed_at": "2026-06-18T10:00:00+08:00",
            "updated_at": "2026-06-18T10:00:00+08:00",
            "status": "paid",
            "total": "1.00",
            "lines": [{"sku": "SKU-9999", "quantity": 1, "unit_price": "5.00"}],
        }
    )
    result = order_sync_totals_flagged(channel_code="tmall", orders=[order])
    assert result.as_dict() == {
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "rejected": [{"external_id": "TB9", "errors": {"lines[0].sku": ["Unknown SKU 'SKU-9999'."]}}],
    }
    assert written() == NOTHING


def test_apply_is_all_or_nothing_across_batches(client_for, shop, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_SIZE", 1)  # one order per order_sync call
    client = client_for("operations")
    payload = payload_of(upload(client, read("orders_good.csv").encode()))
    # After the preview, TB1002 arrives cancelled by another way: the file's "shipped" is now an illegal
    # move, so the second batch is rejected when applying — after the first one went through.
    cancelled = order_csv_parse(
        text=read("orders_good.csv").replace("11:05:00,shipped", "11:05:00,cancelled"), currency="CNY"
    ).orders[1]
    order_sync(channel_code="tmall", orders=[cancelled.order])
    before = written()

    response = client.post(IMPORT, {"payload": payload})
    assert response.status_code == 200
    assert errors_of(response.context["result"]) == [
        (4, "status", "Cannot move from 'cancelled' to 'shipped'.")
    ]
    assert 'name="payload"' not in response.content.decode()
    assert written() == before  # TB1001's batch was rolled back too
    assert list(Order.objects.values_list("external_id", "status")) == [("TB1002", "cancelled")]


def test_service_dry_run_and_apply(shop):
    text = read("orders_good.csv")
    preview = order_csv_import(channel_code="tmall", text=text)
    assert (preview.applied, preview.regular.created, written()) == (False, 2, NOTHING)
    applied = order_csv_import(channel_code="tmall", text=text, apply=True)
    assert (applied.applied, applied.regular.created, Order.objects.count()) == (True, 2, 2)
    unknown = order_csv_import(channel_code="nowhere", text=text, apply=True)
    assert (unknown.applied, unknown.errors) == (False, [RowError(0, "", "Unknown channel nowhere.")])


def test_a_tampered_or_foreign_confirmation_is_refused(client_for, make_user, shop):
    from orders.forms import order_import_sign

    client = client_for("operations")
    payload = payload_of(upload(client, read("orders_good.csv").encode()))
    tampered = payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB")
    response = client.post(IMPORT, {"payload": tampered})
    assert response.status_code == 400 and "could not be verified" in response.content.decode()
    other = make_user("operations", username="other-ops")
    forged = order_import_sign(user=other, channel="tmall", name="x.csv", text=read("orders_good.csv"))
    assert client.post(IMPORT, {"payload": forged}).status_code == 400
    assert written() == NOTHING


def test_the_upload_must_be_text_and_name_a_channel(client_for, shop):
    client = client_for("operations")
    binary = upload(client, b"PK\x03\x04\x00\x00binary", name="orders.xlsx")
    assert "not CSV text" in binary.content.decode() and "result" not in binary.context
    no_channel = upload(client, read("orders_good.csv").encode(), channel="")
    assert "result" not in no_channel.context and no_channel.context["form"].errors["channel"]


def test_the_template_download_is_a_valid_file(client_for, shop):
    response = client_for("operations").get(IMPORT, {"template": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="order-import-template.csv"'
    text = response.content.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text))) == list(imports.IMPORT_COLUMNS)
    result = order_csv_import(channel_code="tmall", text=text)
    assert (result.errors, result.regular.created) == ([], 1)


def test_the_page_documents_the_format(client_for):
    html = client_for("admin").get(IMPORT).content.decode()
    assert 'data-testid="order-import-format"' in html
    for column in imports.IMPORT_COLUMNS:
        assert f"<code>{column}</code>" in html
    assert "订单编号" in html and "实付金额" in html and "已签收" in html


@pytest.mark.parametrize(("role", "expected"), [("operations", 200), ("admin", 200), ("service_agent", 403)])
def test_access(client_for, role, expected, shop):
    client = client_for(role)
    assert client.get(IMPORT).status_code == expected
    assert upload(client, read("orders_good.csv").encode()).status_code == expected
    assert written() == NOTHING
