"""Recording competitors' offers (`POST /api/v1/competitor-prices` and the competitor-price import).

A row is (sku, competitor, channel, price, seen_at). The key is (sku, competitor, channel, seen_at), with a
database constraint: sending the same row again changes nothing (`unchanged`); the same key with another
price corrects the price (`updated`). A rejected row writes nothing; the others of the batch are recorded,
in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU, CompetitorPrice
from shopops.common.channels import channel_list

MAX_PRICES_PER_REQUEST = 1000
COMPETITOR_FIELDS = ("sku", "competitor", "channel", "price", "seen_at")
MONEY_MAX = Decimal("999999999999.99")
FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks differ a little; an offer seen later than that is an error
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")


@dataclass(frozen=True)
class CompetitorPriceRow:
    sku: str
    competitor: str
    channel: str
    price: Decimal
    seen_at: datetime

    @property
    def key(self) -> tuple:
        return (self.sku, self.competitor, self.channel, self.seen_at)


@dataclass(frozen=True)
class PriceRejection:
    index: int
    sku: str | None
    errors: dict[str, list[str]]


@dataclass
class RecordResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[PriceRejection] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The API's answer; `index` is the row's position in `prices` (from 0)."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": [{"index": r.index, "sku": r.sku, "errors": r.errors} for r in self.rejected],
        }


def _text(value, *, max_length: int, blank: bool = False) -> tuple[str | None, str | None]:
    if value is None and blank:
        return "", None
    if not isinstance(value, str):
        return None, _("Must be text.")
    text = value.strip()
    if not text and not blank:
        return None, _("This field is required.")
    if len(text) > max_length:
        return None, _("At most %(count)d characters.") % {"count": max_length}
    return text, None


def _price(value) -> tuple[Decimal | None, str | None]:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        return None, _('Must be a number, such as "79.00".')
    text = str(value).strip()
    if not _NUMBER.fullmatch(text):
        return None, _("Not a number: %(value)s") % {"value": text[:40]}
    number = Decimal(text)
    if number <= 0:
        return None, _("A price must be above zero.")
    if number > MONEY_MAX:
        return None, _("Too large.")
    if number != number.quantize(Decimal("0.01")):
        return None, _("At most %(places)d decimal places.") % {"places": 2}
    return number.quantize(Decimal("0.01")), None


def _seen_at(value, now: datetime) -> tuple[datetime | None, str | None]:
    """An aware datetime, or an ISO 8601 text with a time zone offset (`Z`, `+08:00`)."""
    moment = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    if moment is None:
        return None, _("Not a date and time such as 2026-06-18T10:21:00+08:00.")
    if timezone.is_naive(moment):
        return None, _("Give a time zone offset, such as 2026-06-18T10:21:00+08:00.")
    if moment > now + FUTURE_TOLERANCE:
        return None, _("This time is in the future.")
    return moment, None


def competitor_price_parse(
    raw, *, now: datetime, channels: set[str]
) -> tuple[CompetitorPriceRow | None, dict]:
    """Check one row's shape and its channel. Returns the row or field errors."""
    if not isinstance(raw, Mapping):
        return None, {"non_field_errors": [_("A price must be an object of fields.")]}
    errors: dict[str, list[str]] = {}
    values = {}
    checks = {
        "sku": lambda v: _text(v, max_length=64),
        "competitor": lambda v: _text(v, max_length=100),
        "channel": lambda v: _text(v, max_length=30, blank=True),
        "price": _price,
        "seen_at": lambda v: _seen_at(v, now),
    }
    for name, check in checks.items():
        value = raw.get(name)
        if value is None and name != "channel":
            errors[name] = [_("This field is required.")]
            continue
        values[name], message = check(value)
        if message:
            errors[name] = [message]
    if values.get("channel") and "channel" not in errors and values["channel"] not in channels:
        errors["channel"] = [
            _("Unknown channel: %(code)s (leave it blank for an offer on no particular channel).")
            % {"code": values["channel"]}
        ]
    if errors:
        return None, errors
    return CompetitorPriceRow(**values), {}


def _sku_of(raw) -> str | None:
    sku = raw.get("sku") if isinstance(raw, Mapping) else None
    return sku.strip() if isinstance(sku, str) else None


@transaction.atomic
def competitor_prices_record(
    *, rows: Sequence, source: str = "api", now: datetime | None = None
) -> RecordResult:
    """Record competitor offers from plain rows (dicts of COMPETITOR_FIELDS); see the module docstring."""
    now = now or timezone.now()
    result = RecordResult()
    channels = {channel.code for channel in channel_list()}
    parsed: list[tuple[int, CompetitorPriceRow]] = []
    for index, raw in enumerate(rows):
        row, errors = competitor_price_parse(raw, now=now, channels=channels)
        if errors:
            result.rejected.append(PriceRejection(index, _sku_of(raw), errors))
        else:
            parsed.append((index, row))
    sku_ids = dict(SKU.objects.filter(code__in={row.sku for _i, row in parsed}).values_list("code", "pk"))
    seen: set[tuple] = set()
    valid: list[tuple[int, CompetitorPriceRow]] = []
    for index, row in parsed:
        if row.sku not in sku_ids:
            result.rejected.append(
                PriceRejection(index, row.sku, {"sku": [_("Unknown SKU: %(code)s") % {"code": row.sku}]})
            )
        elif row.key in seen:
            message = _("Repeats an earlier row: the same SKU, competitor, channel and time.")
            result.rejected.append(PriceRejection(index, row.sku, {"seen_at": [message]}))
        else:
            seen.add(row.key)
            valid.append((index, row))
    stored = {
        (sku_code, competitor, channel, seen_at): price
        for sku_code, competitor, channel, seen_at, price in CompetitorPrice.objects.filter(
            sku_id__in={sku_ids[row.sku] for _i, row in valid},
            seen_at__in={row.seen_at for _i, row in valid},
        ).values_list("sku__code", "competitor", "channel", "seen_at", "price")
    }
    write = []
    for _index, row in valid:
        old = stored.get(row.key)
        if old == row.price:
            result.unchanged += 1
            continue
        if old is None:
            result.created += 1
        else:
            result.updated += 1
        write.append(
            CompetitorPrice(
                sku_id=sku_ids[row.sku],
                competitor=row.competitor,
                channel=row.channel,
                price=row.price,
                seen_at=row.seen_at,
                source=source,
            )
        )
    if write:
        # An upsert on the natural key: a concurrent request sending the same rows cannot fail or duplicate.
        CompetitorPrice.objects.bulk_create(
            write,
            update_conflicts=True,
            unique_fields=["sku", "competitor", "channel", "seen_at"],
            update_fields=["price", "source"],
        )
    result.rejected.sort(key=lambda r: r.index)
    return result
