"""Flash-sale claims racing on real PostgreSQL: never oversold, no customer past the cap, no deadlock."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from conftest import require
from marketing.models import FlashSaleClaim, FlashSaleCustomerCount, FlashSalePool, Promotion
from marketing.services import flash

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 50
CLAIMS = 1000
UNITS = 100
CUSTOMERS = 80
CAP = 2


@pytest.fixture(autouse=True)
def postgres_only():
    require(connection.vendor == "postgresql", "races need PostgreSQL: set DATABASE_URL")


def run_threads(target, args_list):
    errors = []

    def wrapped(*args):
        try:
            target(*args)
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrapped, args=args) for args in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return errors


def make_sale(quantity=UNITS, per_customer=CAP):
    sku = SKUFactory(code="SKU-FLASH")
    now = timezone.now()
    promotion = Promotion.objects.create(
        code="D11-FLASH",
        name="双11 秒杀",
        kind=Promotion.Kind.FLASH_SALE,
        params={"sku": sku.code, "price": "59.90", "quantity": quantity, "per_customer": per_customer},
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    flash.flash_pool_sync(promotion=promotion)
    return promotion


@pytest.mark.parametrize("run", [1, 2, 3])
def test_1000_claims_from_50_threads_for_100_units(run):
    promotion = make_sale()
    granted: list = []
    refused: Counter = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def claimant(thread_no):
        barrier.wait()
        for i in range(CLAIMS // THREADS):
            customer = f"C{(thread_no * 7 + i * 13 + run) % CUSTOMERS}"
            try:
                claim = flash.flash_claim_create(
                    code="D11-FLASH", customer=customer, sku="SKU-FLASH", quantity=1
                )
            except flash.ClaimRefused as exc:
                with lock:
                    refused[exc.code] += 1
                continue
            with lock:
                granted.append((customer, claim.quantity))

    errors = run_threads(claimant, [(n,) for n in range(THREADS)])
    assert errors == []
    assert sum(q for _c, q in granted) == UNITS  # exactly: demand is 10x the units
    assert len(granted) + sum(refused.values()) == CLAIMS
    assert set(refused) <= {"sold_out", "customer_limit"}
    assert refused["sold_out"] > 0
    pool = FlashSalePool.objects.get(promotion=promotion)
    assert (pool.quantity, pool.claimed) == (UNITS, UNITS)
    assert (
        FlashSaleClaim.objects.filter(promotion=promotion).aggregate(units=Sum("quantity"))["units"] == UNITS
    )
    per_customer = Counter()
    for customer, quantity in granted:
        per_customer[customer] += quantity
    assert max(per_customer.values()) <= CAP
    counts = dict(
        FlashSaleCustomerCount.objects.filter(promotion=promotion).values_list("customer_ref", "claimed")
    )
    assert {c: n for c, n in counts.items() if n} == dict(per_customer)
    held = Counter(
        dict(
            FlashSaleClaim.objects.filter(promotion=promotion)
            .values_list("customer_ref")
            .annotate(units=Sum("quantity"))
            .values_list("customer_ref", "units")
        )
    )
    assert held == per_customer


def test_claims_racing_with_expiry_keep_the_counts_exact():
    """Holds expire while new claims arrive: the pool always equals the units of held + converted claims."""
    promotion = make_sale(quantity=30, per_customer=3)
    past = timezone.now() - timedelta(minutes=20)
    for n in range(30):  # the pool is full of expired holds
        flash.flash_claim_create(code="D11-FLASH", customer=f"OLD{n}", sku="SKU-FLASH", quantity=1, now=past)
    barrier = threading.Barrier(21)
    granted = []
    lock = threading.Lock()

    def claimant(n):
        barrier.wait()
        for i in range(5):
            try:
                flash.flash_claim_create(
                    code="D11-FLASH", customer=f"N{(n + i) % 40}", sku="SKU-FLASH", quantity=1
                )
            except flash.ClaimRefused:
                continue
            with lock:
                granted.append(n)

    def expirer():
        barrier.wait()
        for _ in range(5):
            flash.flash_claims_expire()

    errors = run_threads(lambda n: expirer() if n == 20 else claimant(n), [(n,) for n in range(21)])
    assert errors == []
    assert len(granted) == 30  # every expired unit came back and was claimed again
    pool = FlashSalePool.objects.get(promotion=promotion)
    live = FlashSaleClaim.objects.filter(promotion=promotion, status__in=["held", "converted"])
    assert pool.claimed == live.aggregate(units=Sum("quantity"))["units"] == 30
    assert FlashSaleClaim.objects.filter(promotion=promotion, status="expired").count() == 30
    assert FlashSaleCustomerCount.objects.filter(customer_ref__startswith="OLD", claimed__gt=0).count() == 0
