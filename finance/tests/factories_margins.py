"""Small hand-built data for the margins and budget tests."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from catalog.tests.factories import SKUFactory
from finance.models import CashAccount, CashTransaction, FinanceSettings
from marketing.models import AdMetricDay, Campaign
from orders.models import Order
from orders.tests.factories import ChannelFactory, order_with_lines
from service.models import Compensation

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shop_time(year, month, day, hour=12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def channel(code: str, commission: str, fee: str):
    ch = ChannelFactory(code=code, name=code.upper())
    ch.commission_rate, ch.payment_fee_rate = Decimal(commission), Decimal(fee)
    ch.save()
    return ch


def sku(code: str, unit_cost: str):
    return SKUFactory(code=code, unit_cost=Decimal(unit_cost))


def logistics_per_order(amount: str = "6.00") -> None:
    settings = FinanceSettings.get()
    settings.logistics_cost_per_order = Decimal(amount)
    settings.save()


def order(*, channel, lines, placed: datetime, shipped: bool = True, refund="0.00", **kwargs) -> Order:
    """An order reconciling with `lines` [(sku, qty, unit price, line discount)] (strings ok)."""
    lines = [(s, q, Decimal(p), Decimal(d)) for s, q, p, d in lines]
    o = order_with_lines(
        lines=lines,
        channel=channel,
        placed_at=placed,
        shipped_at=placed if shipped else None,
        status=Order.Status.SHIPPED if shipped else Order.Status.PAID,
        **{k: Decimal(v) if k == "order_discount" else v for k, v in kwargs.items()},
    )
    if Decimal(refund):
        o.refund_amount = Decimal(refund)
        o.save(update_fields=["refund_amount"])
    return o


def compensation(
    *, amount: str, decided: datetime, sku=None, order=None, status=Compensation.Status.APPROVED
):
    return Compensation.objects.create(
        amount=Decimal(amount),
        sku=sku,
        order=order,
        problem="defective",
        severity="minor",
        remedy="cash",
        status=status,
        decided_at=decided,
    )


def ad_day(
    *,
    channel,
    day: date,
    spend: str,
    revenue: str = "0.00",
    sku_ids=(),
    code: str = "",
    other_cost="0.00",
    starts_on: date | None = None,
):
    campaign, _ = Campaign.objects.get_or_create(
        code=code or f"ads-{channel.code}-{'-'.join(map(str, sku_ids)) or 'all'}",
        defaults={
            "name": "Ads",
            "kind": Campaign.Kind.ADS,
            "channel": channel,
            "starts_on": starts_on or day,
            "ends_on": day,
            "sku_ids": list(sku_ids),
            "other_cost": Decimal(other_cost),
        },
    )
    return AdMetricDay.objects.create(
        campaign=campaign,
        channel=channel,
        day=day,
        impressions=1000,
        clicks=10,
        spend=Decimal(spend),
        revenue=Decimal(revenue),
    )


def cash(*, booked_on: date, amount: str, category: str):
    account, _ = CashAccount.objects.get_or_create(
        code="bank", defaults={"name": "Bank", "opening_on": date(2020, 1, 1)}
    )
    return CashTransaction.objects.create(
        account=account, booked_on=booked_on, amount=Decimal(amount), category=category
    )
