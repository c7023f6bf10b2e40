"""Factories of the cash part: accounts, transactions, commitments, suppliers and purchase orders, and
delivered orders at a shop-local time."""

from datetime import date, datetime, time
from decimal import Decimal

import factory
from django.utils import timezone

from finance.models import CashAccount, CashTransaction, Commitment
from inventory.models import PurchaseOrder, Supplier
from inventory.tests.factories import WarehouseFactory
from orders.tests.factories import ChannelFactory, OrderFactory


def shop_time(day: date, hour: int = 12):
    """An aware instant on a shop-local day."""
    return timezone.make_aware(datetime.combine(day, time(hour)), timezone.get_current_timezone())


class CashAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CashAccount
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"bank-{n}")
    name = factory.Sequence(lambda n: f"Bank {n}")
    kind = CashAccount.Kind.BANK
    opening_balance = Decimal("10000.00")
    opening_on = date(2026, 1, 1)


class CashTransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CashTransaction

    account = factory.SubFactory(CashAccountFactory)
    booked_on = date(2026, 2, 1)
    amount = Decimal("100.00")
    category = "other_income"


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment

    name = factory.Sequence(lambda n: f"Commitment {n}")
    category = "rent"
    amount = Decimal("12000.00")
    frequency = Commitment.Frequency.MONTHLY
    starts_on = date(2026, 1, 5)
    fixed = True


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"sup-{n}")
    name = factory.Sequence(lambda n: f"Supplier {n}")
    payment_terms_days = 30


class PurchaseOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PurchaseOrder

    number = factory.Sequence(lambda n: f"PO-{n:05d}")
    supplier = factory.SubFactory(SupplierFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    status = PurchaseOrder.Status.SENT
    ordered_on = date(2026, 2, 1)
    payment_terms_days = 30
    amount = Decimal("5000.00")


def delivered_order(*, channel=None, total: str, delivered_on: date, refund: str = "0.00", **kwargs):
    """An order of `total` (shop currency) delivered at noon of `delivered_on` (shop time)."""
    channel = channel or ChannelFactory()
    return OrderFactory(
        channel=channel,
        total=Decimal(total),
        refund_amount=Decimal(refund),
        status="delivered",
        placed_at=shop_time(delivered_on, 9),
        delivered_at=shop_time(delivered_on),
        **kwargs,
    )
