"""Daily ad metrics per campaign and channel: checked row by row, then upserted all at once.

One path for both sources: the CSV import page (`ad_csv_read` turns the file into rows, line numbers
kept) and the API (`POST /api/v1/ad-metrics`, rows from JSON). `ad_metrics_import` checks every row
(`ad_rows_check`) and writes nothing when any row is wrong: the caller gets every error with its row, so a
file can be fixed in one go. A dry run does the same checks and counts what would be created or updated.
Rows are upserted on (campaign, channel, day): importing the same day again replaces its figures.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from marketing.models import AdMetricDay, Campaign
from orders.models import Channel
from shopops.common.dates import shop_today

MAX_ROWS = 5000
COLUMNS = (
    "campaign",
    "channel",
    "day",
    "impressions",
    "clicks",
    "spend",
    "orders",
    "revenue",
    "new_customers",
    "brand_value",
)
REQUIRED = ("channel", "day", "impressions", "clicks", "spend", "orders", "revenue")
COUNTS = ("impressions", "clicks", "orders", "new_customers")
MONEY = ("spend", "revenue", "brand_value")
VALUE_FIELDS = COUNTS + MONEY

# Header names as the ad platforms' Chinese exports write them (巨量引擎, 万相台/直通车, 京东快车).
HEADER_ALIASES = {
    "campaign": ("活动", "活动编码", "计划"),
    "channel": ("渠道", "平台"),
    "day": ("日期", "时间"),
    "impressions": ("展现量", "曝光量", "展现"),
    "clicks": ("点击量", "点击"),
    "spend": ("花费", "消耗", "总花费"),
    "orders": ("成交订单数", "订单数", "转化数"),
    "revenue": ("成交金额", "总成交金额", "GMV"),
    "new_customers": ("新客数", "新客"),
    "brand_value": ("品牌价值",),
}
_HEADERS = {c: c for c in COLUMNS} | {a.lower(): c for c, aliases in HEADER_ALIASES.items() for a in aliases}
_INT = re.compile(r"[0-9]{1,3}(,[0-9]{3})+|[0-9]+")
_MONEY = re.compile(r"([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]{1,2})?")


@dataclass(frozen=True)
class RowError:
    """What is wrong in one row: `row` is the CSV line (header = 1) or the API row index (from 0);
    `field` the column ("" for the whole row)."""

    row: int
    field: str
    message: str


@dataclass
class AdImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def errors_by_row(self) -> list[dict]:
        """[{"index": row, "errors": {field: [messages]}}] in row order (the API's 400 body)."""
        out: dict[int, dict[str, list[str]]] = {}
        for e in self.errors:
            out.setdefault(e.row, {}).setdefault(e.field or "non_field_errors", []).append(e.message)
        return [{"index": row, "errors": errs} for row, errs in sorted(out.items())]


def _count(value) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        if value < 0:
            raise ValueError
        return value
    text = str(value).strip()
    if isinstance(value, Decimal) and value == value.to_integral_value() and value >= 0:
        return int(value)
    if not _INT.fullmatch(text):
        raise ValueError
    return int(text.replace(",", ""))


def _money(value) -> Decimal:
    if isinstance(value, (bool, float)):
        raise ValueError
    if isinstance(value, (int, Decimal)):
        amount = Decimal(value)
        if amount < 0 or amount != amount.quantize(Decimal("0.01")):
            raise ValueError
        return amount.quantize(Decimal("0.01"))
    text = str(value).strip().lstrip("¥￥").strip()
    if not _MONEY.fullmatch(text):
        raise ValueError
    try:
        return Decimal(text.replace(",", "")).quantize(Decimal("0.01"))
    except InvalidOperation as exc:  # pragma: no cover - the pattern already excludes it
        raise ValueError from exc


def _day(value) -> date:
    text = str(value).strip().replace("/", "-")
    parts = text.split("-")
    if len(parts) != 3:
        raise ValueError
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


def ad_rows_check(
    rows: list[dict],
    *,
    default_campaign: Campaign | None = None,
    first_row: int = 0,
    today: date | None = None,
) -> tuple[list[dict], list[RowError]]:
    """Check raw rows (dicts keyed by COLUMNS; values strings, ints or Decimals) and resolve campaign and
    channel codes. A row's number is its "_line" when given (CSV), else its index + `first_row`.
    Returns (clean rows: {"campaign": Campaign, "channel": Channel, "day": date, counts as
    ints, money as Decimals}, errors).

    Rules: campaign (a code; optional when `default_campaign` is given) and channel (a channel code) must
    exist; the day is an ISO date (2026-11-11, or 2026/11/11), not in the future, within the campaign's
    dates; counts are whole numbers >= 0; money >= 0 with at most 2 decimals (¥ and thousands separators
    allowed in files); clicks <= impressions; one (campaign, channel, day) at most once per import."""
    today = today or shop_today()
    codes = {str(r.get("campaign") or "").strip() for r in rows if isinstance(r, dict)} - {""}
    campaigns = {c.code: c for c in Campaign.objects.filter(code__in=codes)}
    chans = {str(r.get("channel") or "").strip() for r in rows if isinstance(r, dict)} - {""}
    channels = {c.code: c for c in Channel.objects.filter(code__in=chans)}
    clean, errors, seen = [], [], {}
    for index, raw in enumerate(rows):
        n = raw.get("_line", index + first_row) if isinstance(raw, dict) else index + first_row
        if not isinstance(raw, dict):
            errors.append(RowError(n, "", _("Expected an object with the row's fields.")))
            continue
        bad = len(errors)
        row: dict = {}
        code = str(raw.get("campaign") or "").strip()
        if code:
            row["campaign"] = campaigns.get(code)
            if row["campaign"] is None:
                errors.append(RowError(n, "campaign", _("Unknown campaign: %(code)s") % {"code": code}))
        elif default_campaign is not None:
            row["campaign"] = default_campaign
        else:
            errors.append(RowError(n, "campaign", _("This field is required.")))
        for name in REQUIRED:
            if name != "channel" and (raw.get(name) is None or str(raw.get(name)).strip() == ""):
                errors.append(RowError(n, name, _("This field is required.")))
        chan = str(raw.get("channel") or "").strip()
        if not chan:
            errors.append(RowError(n, "channel", _("This field is required.")))
        elif chan not in channels:
            errors.append(RowError(n, "channel", _("Unknown channel: %(code)s") % {"code": chan}))
        else:
            row["channel"] = channels[chan]
        if raw.get("day") not in (None, ""):
            try:
                row["day"] = _day(raw["day"])
            except (ValueError, TypeError):
                errors.append(
                    RowError(n, "day", _("Not a date: %(value)s (use 2026-11-11).") % {"value": raw["day"]})
                )
        for name in COUNTS:
            value = raw.get(name)
            if value is None or str(value).strip() == "":
                row[name] = 0
                continue
            try:
                row[name] = _count(value)
            except (ValueError, TypeError):
                errors.append(RowError(n, name, _("Not a whole number >= 0: %(value)s") % {"value": value}))
        for name in MONEY:
            value = raw.get(name)
            if value is None or str(value).strip() == "":
                row[name] = Decimal("0.00")
                continue
            try:
                row[name] = _money(value)
            except (ValueError, TypeError):
                errors.append(
                    RowError(
                        n, name, _("Not an amount >= 0 with at most 2 decimals: %(value)s") % {"value": value}
                    )
                )
        if len(errors) > bad:
            continue
        if row["clicks"] > row["impressions"]:
            errors.append(RowError(n, "clicks", _("More clicks than impressions.")))
            continue
        if row["day"] > today:
            errors.append(RowError(n, "day", _("A day in the future has no metrics yet.")))
            continue
        campaign = row["campaign"]
        if not campaign.starts_on <= row["day"] <= campaign.ends_on:
            errors.append(
                RowError(
                    n,
                    "day",
                    _("%(day)s is outside the campaign's dates (%(start)s to %(end)s).")
                    % {"day": row["day"], "start": campaign.starts_on, "end": campaign.ends_on},
                )
            )
            continue
        key = (campaign.pk, row["channel"].pk, row["day"])
        if key in seen:
            errors.append(
                RowError(n, "", _("The same campaign, channel and day as row %(row)s.") % {"row": seen[key]})
            )
            continue
        seen[key] = n
        clean.append(row)
    return clean, errors


@transaction.atomic
def ad_metrics_import(
    rows: list[dict],
    *,
    dry_run: bool = False,
    default_campaign: Campaign | None = None,
    first_row: int = 0,
    today: date | None = None,
) -> AdImportResult:
    """Check `rows` and, when every row is right and this is not a dry run, upsert them on (campaign,
    channel, day) in one transaction. Any wrong row: nothing is written and every error is reported."""
    result = AdImportResult(rows=len(rows))
    if len(rows) > MAX_ROWS:
        result.errors.append(
            RowError(
                first_row,
                "",
                _("At most %(max)s rows per import, not %(n)s.") % {"max": MAX_ROWS, "n": len(rows)},
            )
        )
        return result
    clean, errors = ad_rows_check(rows, default_campaign=default_campaign, first_row=first_row, today=today)
    result.errors = errors
    if errors or not clean:
        if not clean and not errors:
            result.errors.append(RowError(first_row, "", _("No rows to import.")))
        return result
    existing = set(
        AdMetricDay.objects.filter(
            campaign_id__in={r["campaign"].pk for r in clean}, day__in={r["day"] for r in clean}
        ).values_list("campaign_id", "channel_id", "day")
    )
    result.updated = sum((r["campaign"].pk, r["channel"].pk, r["day"]) in existing for r in clean)
    result.created = len(clean) - result.updated
    if dry_run:
        return result
    AdMetricDay.objects.bulk_create(
        [AdMetricDay(**r) for r in clean],
        update_conflicts=True,
        unique_fields=["campaign", "channel", "day"],
        update_fields=list(VALUE_FIELDS),
    )
    result.applied = True
    return result


def ad_csv_read(data: bytes) -> tuple[list[dict], list[RowError]]:
    """The rows of an uploaded CSV (UTF-8 with or without BOM, or GB18030 as Chinese Excel saves it),
        keyed by COLUMNS (Chinese header names accepted, see HEADER_ALIASES), each with its file line under
    "_line" (blank lines skipped). Errors: unreadable file, unknown
        or missing columns (row 1)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return [], [RowError(1, "", _("The file is not UTF-8 or GB18030 text."))]
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        return [], [RowError(1, "", _("The file is empty."))]
    columns = []
    errors = []
    for name in header:
        column = _HEADERS.get(name.strip().lower())
        if column is None and name.strip():
            errors.append(RowError(1, name.strip(), _("Unknown column: %(name)s") % {"name": name.strip()}))
        columns.append(column)
    missing = [c for c in REQUIRED if c not in columns]
    for c in missing:
        errors.append(RowError(1, c, _("Missing column: %(name)s") % {"name": c}))
    if errors:
        return [], errors
    rows = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        row = {col: val for col, val in zip(columns, values, strict=False) if col}
        rows.append({**row, "_line": line})
    return rows, []
