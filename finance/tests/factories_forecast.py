"""Factories for the forecast's tests: a small hand-built business (accounts, orders, settlements, POs,
payments, commitments)."""

from datetime import date
from decimal import Decimal

import factory

from finance.models import Settlement, SupplierPayment
from finance.tests import factories_cash
from inventory.models import PurchaseOrder
from orders.models import Order
from orders.tests.factories import ChannelFactory, OrderFactory

at = factories_cash.shop_time  # an aware instant on a shop-local day


# The cash factories, with the defaults of the forecast's business (2024, before its as-of day 2024-10-06).
class CashAccountFactory(factories_cash.CashAccountFactory):
    code = factory.Sequence(lambda n: f"acct-{n}")
    name = factory.Sequence(lambda n: f"Account {n}")
    opening_on = date(2024, 1, 1)


class CashTransactionFactory(factories_cash.CashTransactionFactory):
    account = factory.SubFactory(CashAccountFactory)
    booked_on = date(2024, 1, 2)
    category = "other"


class SupplierFactory(factories_cash.SupplierFactory):
    lead_time_days = 10


class PurchaseOrderFactory(factories_cash.PurchaseOrderFactory):
    number = factory.Sequence(lambda n: f"PO-T{n:05d}")
    supplier = factory.SubFactory(SupplierFactory)
    ordered_on = date(2024, 9, 1)
    amount = Decimal("1000.00")


class SupplierPaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplierPayment

    purchase_order = factory.SubFactory(PurchaseOrderFactory)
    amount = Decimal("100.00")
    paid_on = date(2024, 9, 5)


class CommitmentFactory(factories_cash.CommitmentFactory):
    amount = Decimal("1000.00")
    starts_on = date(2024, 1, 5)


class SettlementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Settlement

    channel = factory.SubFactory(ChannelFactory)
    reference = factory.Sequence(lambda n: f"S{n:06d}")
    order_external_id = factory.LazyAttribute(lambda o: o.order.external_id if o.order else "X")
    order = None
    amount = Decimal("100.00")
    settled_on = date(2024, 10, 1)


def make_order(*, channel=None, placed_on: date, total="100.00", delivered_on: date | None = None, **kwargs):
    """A counted order placed (and possibly delivered) on shop-local days."""
    channel = channel or ChannelFactory()
    kwargs.setdefault("status", Order.Status.DELIVERED if delivered_on else Order.Status.PAID)
    return OrderFactory(
        channel=channel,
        placed_at=at(placed_on, 10),
        delivered_at=at(delivered_on, 15) if delivered_on else None,
        total=Decimal(total),
        **kwargs,
    )


def small_business(*, tax_rate="0", with_campaign=False):
    """A hand-built business as of Sunday 2024-10-06 (week 0 = 2024-10-07..13).

    Cash 10,000.00. Channel tm (5 % + 0.6 %, settles 10 days after delivery; delivery 3 days).
    Order A 100.00 delivered 10-03 (net 94.40, due 10-13, settled 10-08: after D); order B 200.00 placed
    10-05 (net 188.80, due 10-18). One SKU forecast: 1 unit/day at 10.00 (net 9.44 a day, cash 13 days
    after the sale). PO sent 09-20 for 500.00 on 30 days (due 10-20). Draft PO 300.00 (lead 10 + 30 days:
    due 11-16). A suggestion for 120.00 (supplier lead 5 + 15 days: due 10-27). Rent 1,000.00 monthly on
    the 15th."""
    from catalog.tests.factories import SKUFactory
    from finance.models import FinanceSettings
    from inventory.models import ReplenishmentSuggestion, SKUForecast
    from inventory.tests.factories import WarehouseFactory
    from marketing.models import AdMetricDay, Campaign

    as_of = date(2024, 10, 6)
    settings = FinanceSettings.get()
    settings.tax_rate = Decimal(tax_rate)
    settings.tax_day = 15
    settings.delivery_days = 3
    settings.cushion_months = Decimal("3.00")
    settings.books_open_on = None
    settings.save()
    CashAccountFactory(code="bank", opening_balance=Decimal("10000.00"), opening_on=date(2024, 1, 1))
    channel = ChannelFactory(
        code="tm",
        name="Tmall",
        commission_rate=Decimal("0.0500"),
        payment_fee_rate=Decimal("0.0060"),
        settlement_days=10,
    )
    a = make_order(
        channel=channel, placed_on=date(2024, 10, 1), delivered_on=date(2024, 10, 3), total="100.00"
    )
    b = make_order(channel=channel, placed_on=date(2024, 10, 5), total="200.00")
    SettlementFactory(channel=channel, order=a, amount=Decimal("94.40"), settled_on=date(2024, 10, 8))
    sku = SKUFactory(list_price=Decimal("10.00"))
    SKUForecast.objects.create(sku=sku, business_date=as_of, model="ets", daily=[1.0] * 120, mean_daily=1)
    po = PurchaseOrderFactory(ordered_on=date(2024, 9, 20), amount=Decimal("500.00"), payment_terms_days=30)
    draft = PurchaseOrderFactory(
        status=PurchaseOrder.Status.DRAFT,
        ordered_on=None,
        amount=Decimal("300.00"),
        payment_terms_days=30,
        supplier=SupplierFactory(code="slow", lead_time_days=10, payment_terms_days=60),
    )
    quick = SupplierFactory(code="quick", lead_time_days=5, payment_terms_days=15)
    suggestion = ReplenishmentSuggestion.objects.create(
        business_date=as_of,
        sku=sku,
        warehouse=WarehouseFactory(),
        supplier=quick,
        service_level=Decimal("0.95"),
        z=Decimal("1.645"),
        quantity=12,
        unit_cost=Decimal("10.00"),
        amount=Decimal("120.00"),
    )
    rent = CommitmentFactory(
        name="Rent", category="rent", amount=Decimal("1000.00"), starts_on=date(2024, 1, 15)
    )
    out = {
        "as_of": as_of,
        "channel": channel,
        "a": a,
        "b": b,
        "sku": sku,
        "po": po,
        "draft": draft,
        "suggestion": suggestion,
        "rent": rent,
    }
    if with_campaign:
        campaign = Campaign.objects.create(
            code="ads-oct",
            name="October ads",
            kind="ads",
            starts_on=date(2024, 10, 1),
            ends_on=date(2024, 10, 14),
            budget=Decimal("700.00"),
        )
        AdMetricDay.objects.create(
            campaign=campaign, channel=channel, day=date(2024, 10, 2), spend=Decimal("100.00")
        )
        out["campaign"] = campaign
    return out
