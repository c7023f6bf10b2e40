"""Exchange rates: the lookup, the import service, `manage.py import_rates` and the rates pages."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connections
from django.urls import reverse

from orders.models import ExchangeRate
from orders.rates import RateChange, RowError, rate_for, rates_for, rates_import

pytestmark = pytest.mark.django_db

HEADER = "date,currency,rate_to_shop_currency\n"
GOOD = HEADER + "2025-03-01,USD,7.20000000\n2025-03-01,EUR,7.8512\n2025-03-02,USD,7.21\n"
# Rows 3, 4 and 6 are bad (the header is row 1): a bad date, a non-positive rate, a repeated pair.
THREE_BAD = HEADER + (
    "2025-03-01,USD,7.2\n"  # 2
    "2025-02-30,USD,7.3\n"  # 3: no such day
    "2025-03-02,EUR,0\n"  # 4: not > 0
    "2025-03-02,USD,7.25\n"  # 5
    "2025-03-01,USD,7.4\n"  # 6: USD 2025-03-01 again
)


def stored() -> dict[tuple[str, date], Decimal]:
    return {(r.currency, r.date): r.rate_to_shop_currency for r in ExchangeRate.objects.all()}


def rate(currency: str, day: str, value: str) -> ExchangeRate:
    return ExchangeRate.objects.create(
        currency=currency, date=date.fromisoformat(day), rate_to_shop_currency=Decimal(value)
    )


# --- lookup -------------------------------------------------------------------------------------------


def test_rate_for_the_exact_day():
    rate("USD", "2025-03-01", "7.10")
    rate("USD", "2025-03-02", "7.20")
    assert rate_for(currency="USD", day=date(2025, 3, 2)) == Decimal("7.20")


def test_a_missing_day_uses_the_latest_earlier_rate():
    rate("USD", "2025-02-27", "7.00")
    rate("USD", "2025-03-01", "7.10")
    rate("USD", "2025-03-05", "7.50")
    assert rate_for(currency="USD", day=date(2025, 3, 4)) == Decimal("7.10")


def test_no_rate_at_all_is_none():
    rate("USD", "2025-03-05", "7.50")  # only later than the day asked, and another currency
    assert rate_for(currency="USD", day=date(2025, 3, 4)) is None
    assert rate_for(currency="EUR", day=date(2025, 3, 6)) is None


def test_the_shop_currency_is_always_1(settings):
    settings.SHOP_CURRENCY = "CNY"
    assert rate_for(currency="CNY", day=date(2025, 3, 4)) == Decimal(1)


def test_rates_for_answers_every_pair():
    rate("USD", "2025-03-01", "7.10")
    rate("EUR", "2025-03-03", "7.90")
    pairs = {
        ("USD", date(2025, 3, 1)),
        ("USD", date(2025, 3, 9)),
        ("EUR", date(2025, 3, 2)),
        ("CNY", date(2025, 3, 1)),
    }
    assert rates_for(pairs=pairs) == {
        ("USD", date(2025, 3, 1)): Decimal("7.10"),
        ("USD", date(2025, 3, 9)): Decimal("7.10"),
        ("EUR", date(2025, 3, 2)): None,
        ("CNY", date(2025, 3, 1)): Decimal(1),
    }


# --- the import service ---------------------------------------------------------------------------------


def test_three_bad_rows_give_three_row_errors_and_write_nothing():
    rate("USD", "2025-03-01", "7.00")
    result = rates_import(rows=io.StringIO(THREE_BAD, newline=""), apply=True)
    assert not result.ok and not result.applied
    assert [(e.row, e.field) for e in result.errors] == [
        (3, "date"),
        (4, "rate_to_shop_currency"),
        (6, "date"),
    ]
    assert result.invalid_rows == 3
    assert "row 2" in result.errors[2].message
    assert stored() == {("USD", date(2025, 3, 1)): Decimal("7.00")}


def test_a_good_file_creates_and_a_second_import_updates():
    first = rates_import(rows=io.StringIO(GOOD, newline=""), apply=True)
    assert first.ok and first.applied
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    assert stored() == {
        ("USD", date(2025, 3, 1)): Decimal("7.20000000"),
        ("EUR", date(2025, 3, 1)): Decimal("7.85120000"),
        ("USD", date(2025, 3, 2)): Decimal("7.21000000"),
    }

    changed = HEADER + "2025-03-01,USD,7.2\n2025-03-01,EUR,7.86123456\n2025-03-03,USD,7.3\n"
    second = rates_import(rows=io.StringIO(changed, newline=""), apply=True)
    assert (second.created, second.updated, second.unchanged) == (1, 1, 1)
    assert [(c.row, c.action, c.old_rate, c.new_rate) for c in second.changes] == [
        (2, RateChange.UNCHANGED, Decimal("7.2"), Decimal("7.20000000")),
        (3, RateChange.UPDATE, Decimal("7.8512"), Decimal("7.86123456")),
        (4, RateChange.CREATE, None, Decimal("7.30000000")),
    ]
    assert stored()[("EUR", date(2025, 3, 1))] == Decimal("7.86123456")
    assert ExchangeRate.objects.count() == 4


def test_without_apply_nothing_is_written_but_the_counts_are_known():
    rate("USD", "2025-03-01", "7.00")
    result = rates_import(rows=io.StringIO(GOOD, newline=""))
    assert result.ok and not result.applied
    assert (result.created, result.updated, result.to_write) == (2, 1, 3)
    assert stored() == {("USD", date(2025, 3, 1)): Decimal("7.00")}


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ("03/01/2025,USD,7.2", "date", "YYYY-MM-DD"),
        (",USD,7.2", "date", "Required"),
        ("2025-03-01,usd,7.2", "currency", "three upper-case letters"),
        ("2025-03-01,US,7.2", "currency", "three upper-case letters"),
        ("2025-03-01,CNY,1", "currency", "shop currency"),
        ("2025-03-01,USD,-7.2", "rate_to_shop_currency", "greater than 0"),
        ("2025-03-01,USD,0.00000000", "rate_to_shop_currency", "greater than 0"),
        ("2025-03-01,USD,abc", "rate_to_shop_currency", "Not a number"),
        ("2025-03-01,USD,NaN", "rate_to_shop_currency", "Not a number"),
        ("2025-03-01,USD,7e2", "rate_to_shop_currency", "Not a number"),
        ('2025-03-01,USD,"7,2"', "rate_to_shop_currency", "Not a number"),
        ("2025-03-01,USD,7.123456789", "rate_to_shop_currency", "8 decimal places"),
        ("2025-03-01,USD,12345678901", "rate_to_shop_currency", "10 digits"),
        ("2025-03-01,USD", "rate_to_shop_currency", "Required"),
        ("2025-03-01,USD,7,2", "", "more values"),
    ],
)
def test_each_kind_of_bad_row_is_reported(line, field, message, settings):
    settings.SHOP_CURRENCY = "CNY"
    result = rates_import(rows=io.StringIO(HEADER + line + "\n", newline=""), apply=True)
    assert [(e.row, e.field) for e in result.errors] == [(2, field)]
    assert message in result.errors[0].message
    assert ExchangeRate.objects.count() == 0


def test_a_row_with_several_bad_fields_reports_each():
    result = rates_import(rows=io.StringIO(HEADER + "2025-13-01,EURO,-1\n", newline=""))
    assert [(e.row, e.field) for e in result.errors] == [
        (2, "date"),
        (2, "currency"),
        (2, "rate_to_shop_currency"),
    ]
    assert result.invalid_rows == 1


def test_a_wrong_header_is_one_error_on_row_1():
    result = rates_import(rows=io.StringIO("day,currency,rate\n2025-03-01,USD,7.2\n", newline=""))
    assert result.errors == [
        RowError(
            1,
            "",
            "The header must name the columns date, currency, rate_to_shop_currency; "
            "missing: date, rate_to_shop_currency.",
        )
    ]


def test_an_empty_file_is_an_error():
    result = rates_import(rows=io.StringIO("", newline=""), apply=True)
    assert [(e.row, e.field) for e in result.errors] == [(1, "")]
    assert not result.applied


def test_header_with_bom_spaces_and_other_order_and_blank_lines_is_read():
    text = (
        "\ufeff Currency , RATE_TO_SHOP_CURRENCY,date,note\r\n"
        "USD,7.2,2025-03-01,ok\r\n"
        "\r\n"
        "EUR,7.9,2025-03-01,\r\n"
    )
    result = rates_import(rows=io.StringIO(text, newline=""), apply=True)
    assert result.ok and result.created == 2
    assert [c.row for c in result.changes] == [2, 4]  # file lines: the blank line 3 still counts


def test_dicts_are_numbered_from_1_and_may_hold_typed_values():
    result = rates_import(
        rows=[
            {"date": date(2025, 3, 1), "currency": "USD", "rate_to_shop_currency": Decimal("7.2")},
            {"date": "2025-03-01", "currency": "EUR", "rate_to_shop_currency": 7.9},  # a float: refused
        ],
        apply=True,
    )
    assert [(e.row, e.field) for e in result.errors] == [(2, "rate_to_shop_currency")]
    assert ExchangeRate.objects.count() == 0


def test_apply_is_one_transaction(monkeypatch):
    """A failure while writing leaves nothing behind (all or nothing)."""
    rate("USD", "2025-03-01", "7.00")

    def failing_bulk_create(*args, **kwargs):
        ExchangeRate.objects.filter(currency="USD").update(rate_to_shop_currency=Decimal("1"))
        raise RuntimeError("database went away")

    monkeypatch.setattr(ExchangeRate.objects, "bulk_create", failing_bulk_create)
    with pytest.raises(RuntimeError):
        rates_import(rows=io.StringIO(GOOD, newline=""), apply=True)
    assert stored() == {("USD", date(2025, 3, 1)): Decimal("7.00")}


# --- manage.py import_rates -----------------------------------------------------------------------------


@pytest.fixture
def csv_file(tmp_path):
    def write(text: str, encoding: str = "utf-8") -> str:
        path = tmp_path / "rates.csv"
        path.write_bytes(text.encode(encoding))
        return str(path)

    return write


def test_command_imports_and_prints_the_counts(csv_file):
    out = io.StringIO()
    call_command("import_rates", csv_file(GOOD, "utf-8-sig"), stdout=out)
    assert "created 3, updated 0, unchanged 0" in out.getvalue()
    assert len(stored()) == 3

    out = io.StringIO()
    call_command("import_rates", csv_file(HEADER + "2025-03-01,USD,7.3\n"), stdout=out)
    assert "created 0, updated 1, unchanged 0" in out.getvalue()
    assert stored()[("USD", date(2025, 3, 1))] == Decimal("7.3")


def test_command_reads_gb18030(csv_file):
    call_command("import_rates", csv_file(HEADER + "2025-03-01,USD,7.3\n", "gb18030"), stdout=io.StringIO())
    assert stored() == {("USD", date(2025, 3, 1)): Decimal("7.3")}


def test_command_exits_non_zero_with_the_row_errors_and_writes_nothing(csv_file, capsys, monkeypatch):
    # As `manage.py import_rates FILE` runs it; keep the test's connection open (run_from_argv closes all).
    monkeypatch.setattr(connections, "close_all", lambda: None)
    path = csv_file(THREE_BAD)
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "import_rates", path])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert re.findall(r"^row (\d+), (\w+):", err, flags=re.MULTILINE) == [
        ("3", "date"),
        ("4", "rate_to_shop_currency"),
        ("6", "date"),
    ]
    assert "3 invalid row(s)" in err and "nothing was imported" in err
    assert ExchangeRate.objects.count() == 0


def test_command_raises_command_error(csv_file):
    with pytest.raises(CommandError, match="3 invalid row"):
        call_command("import_rates", csv_file(THREE_BAD), stdout=io.StringIO(), stderr=io.StringIO())


def test_command_dry_run_writes_nothing(csv_file):
    out = io.StringIO()
    call_command("import_rates", csv_file(GOOD), "--dry-run", stdout=out)
    assert "would have created 3, updated 0, unchanged 0" in out.getvalue()
    assert ExchangeRate.objects.count() == 0


def test_command_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_rates", str(tmp_path / "nope.csv"))


# --- the rates page ----------------------------------------------------------------------------------------

LIST = reverse("orders:rate-list")
IMPORT = reverse("orders:rate-import")


def test_finance_adds_a_rate(client_for):
    client = client_for("finance")
    response = client.post(LIST, {"date": "2025-03-01", "currency": "USD", "rate_to_shop_currency": "7.1234"})
    assert response.status_code == 302
    assert stored() == {("USD", date(2025, 3, 1)): Decimal("7.1234")}
    page = client.get(response["Location"]).content.decode()
    assert "Added the rate of USD on 2025-03-01: 7.12340000." in page


def test_finance_corrects_a_rate_by_currency_and_date(client_for):
    rate("USD", "2025-03-01", "7.00")
    client = client_for("finance")
    page = client.get(LIST, {"correct": ExchangeRate.objects.get().pk}).content.decode()
    assert 'value="7.00000000"' in page and 'value="2025-03-01"' in page
    response = client.post(LIST, {"date": "2025-03-01", "currency": "USD", "rate_to_shop_currency": "7.05"})
    assert response.status_code == 302
    assert stored() == {("USD", date(2025, 3, 1)): Decimal("7.05")}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"date": "2025-03-01", "currency": "USD", "rate_to_shop_currency": "-1"},
            "rate_to_shop_currency",
            "greater than 0",
        ),
        (
            {"date": "2025-03-01", "currency": "USD", "rate_to_shop_currency": "7,1"},
            "rate_to_shop_currency",
            "Not a number",
        ),
        ({"date": "2025-02-30", "currency": "USD", "rate_to_shop_currency": "7.1"}, "date", "YYYY-MM-DD"),
        (
            {"date": "2025-03-01", "currency": "CNY", "rate_to_shop_currency": "1"},
            "currency",
            "shop currency",
        ),
        ({"date": "2025-03-01", "currency": "usd", "rate_to_shop_currency": "7.1"}, "currency", "upper-case"),
        (
            {"date": "2025-03-01", "currency": "USD", "rate_to_shop_currency": ""},
            "rate_to_shop_currency",
            "required",
        ),
    ],
)
def test_a_bad_rate_shows_a_form_error_and_writes_nothing(client_for, data, field, message):
    response = client_for("finance").post(LIST, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field] and message in errors[field][0]
    assert f'data-field="{field}"' in response.content.decode()
    assert ExchangeRate.objects.count() == 0


def test_manager_reads_the_list_but_cannot_change_it(client_for):
    rate("USD", "2025-03-01", "7.00")
    client = client_for("manager")
    response = client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "7.00000000" in html
    assert 'data-testid="rate-form"' not in html and 'data-testid="rate-import-link"' not in html
    response = client.post(LIST, {"date": "2025-03-02", "currency": "USD", "rate_to_shop_currency": "7.1"})
    assert response.status_code == 403
    assert client.get(IMPORT).status_code == 403
    assert client.post(IMPORT, {"file": SimpleUploadedFile("r.csv", GOOD.encode())}).status_code == 403
    assert ExchangeRate.objects.count() == 1


def test_operations_gets_403(client_for):
    client = client_for("operations")
    assert client.get(LIST).status_code == 403
    assert (
        client.post(
            LIST, {"date": "2025-03-02", "currency": "USD", "rate_to_shop_currency": "7.1"}
        ).status_code
        == 403
    )
    assert client.get(IMPORT).status_code == 403
    assert ExchangeRate.objects.count() == 0


def test_admin_may_change_rates(client_for):
    response = client_for("admin").post(
        LIST, {"date": "2025-03-01", "currency": "EUR", "rate_to_shop_currency": "7.9"}
    )
    assert response.status_code == 302
    assert ExchangeRate.objects.count() == 1


def test_the_list_filters_by_currency_and_exports_the_import_format(client_for):
    rate("USD", "2025-03-01", "7.10")
    rate("USD", "2025-03-02", "7.20")
    rate("EUR", "2025-03-02", "7.90")
    client = client_for("manager")
    page = client.get(LIST, {"currency": "USD"})
    assert [(r.currency, r.date.isoformat()) for r in page.context["page_obj"]] == [
        ("USD", "2025-03-02"),
        ("USD", "2025-03-01"),
    ]
    response = client.get(LIST, {"currency": "USD", "export": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="exchange-rates.csv"'
    body = b"".join(response.streaming_content).decode()
    assert body == (
        "\ufeffdate,currency,rate_to_shop_currency\r\n"
        "2025-03-02,USD,7.20000000\r\n"
        "2025-03-01,USD,7.10000000\r\n"
    )
    # What was exported imports again unchanged.
    result = rates_import(rows=io.StringIO(body, newline=""))
    assert result.ok and result.unchanged == 2
    xlsx = client.get(LIST, {"export": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].endswith('.xlsx"')


# --- the import page ----------------------------------------------------------------------------------------


def upload(client, text: str, name: str = "rates.csv"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, text.encode("utf-8"), "text/csv")})


def test_import_preview_then_confirm(client_for):
    rate("USD", "2025-03-01", "7.00")
    client = client_for("finance")
    preview = upload(client, GOOD)
    assert preview.status_code == 200
    result = preview.context["result"]
    assert (result.created, result.updated, result.errors) == (2, 1, [])
    html = preview.content.decode()
    assert 'data-testid="count-create">2<' in html and 'data-testid="count-update">1<' in html
    assert stored() == {("USD", date(2025, 3, 1)): Decimal("7.00")}  # nothing written yet

    payload = re.search(r'name="payload" value="([^"]+)"', html).group(1)
    confirm = client.post(IMPORT, {"payload": payload})
    assert confirm.status_code == 302 and confirm["Location"] == LIST
    assert stored() == {
        ("USD", date(2025, 3, 1)): Decimal("7.2"),
        ("EUR", date(2025, 3, 1)): Decimal("7.8512"),
        ("USD", date(2025, 3, 2)): Decimal("7.21"),
    }
    assert "Added: 2, corrected: 1, unchanged: 0." in client.get(LIST).content.decode()


def test_import_preview_with_errors_lists_them_and_offers_no_confirm(client_for):
    preview = upload(client_for("finance"), THREE_BAD)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'data-testid="rate-import-errors"' in html and 'name="payload"' not in html
    assert [(e.row, e.field) for e in preview.context["result"].errors] == [
        (3, "date"),
        (4, "rate_to_shop_currency"),
        (6, "date"),
    ]
    assert 'data-testid="count-invalid">3<' in html
    assert ExchangeRate.objects.count() == 0


def test_a_tampered_or_foreign_payload_is_refused(client_for, make_user, client):
    from orders.forms import rate_import_sign

    finance = client_for("finance")
    html = upload(finance, GOOD).content.decode()
    payload = re.search(r'name="payload" value="([^"]+)"', html).group(1)

    tampered = payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB")
    response = finance.post(IMPORT, {"payload": tampered})
    assert response.status_code == 400
    assert "could not be verified" in response.content.decode()

    other = make_user("finance", username="other-finance")
    forged = rate_import_sign(user=other, name="x.csv", text=GOOD)  # signed, but for someone else
    assert finance.post(IMPORT, {"payload": forged}).status_code == 400
    assert ExchangeRate.objects.count() == 0


def test_an_expired_preview_is_refused(client_for, time_machine):
    time_machine.move_to("2025-03-01 09:00:00+08:00", tick=False)
    client = client_for("finance")
    payload = re.search(r'name="payload" value="([^"]+)"', upload(client, GOOD).content.decode()).group(1)
    # the user stays active (sessions end after 30 idle minutes) while the preview grows older than an hour
    for moment in ("09:25", "09:50"):
        time_machine.move_to(f"2025-03-01 {moment}:00+08:00", tick=False)
        assert client.get(IMPORT).status_code == 200
    time_machine.move_to("2025-03-01 10:01:00+08:00", tick=False)
    response = client.post(IMPORT, {"payload": payload})
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert ExchangeRate.objects.count() == 0


def test_import_upload_must_be_text(client_for):
    response = client_for("finance").post(
        IMPORT, {"file": SimpleUploadedFile("rates.xlsx", b"PK\x03\x04\x00\x00binary", "application/zip")}
    )
    assert response.status_code == 200
    assert "not CSV text" in response.content.decode()
    assert "result" not in response.context
