"""Business dates: the shop's calendar day, in its time zone (settings.TIME_ZONE)."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def shop_today() -> date:
    return timezone.localdate()


def shop_yesterday() -> date:
    return shop_today() - timedelta(days=1)


def day_start(day: date) -> datetime:
    """The aware instant a shop-local day begins."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def day_range(start: date, end: date) -> tuple[datetime, datetime]:
    """Aware [start, end) instants for the shop-local dates [start, end)."""
    return day_start(start), day_start(end)


def parse_iso_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
