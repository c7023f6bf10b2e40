"""The daily working-capital snapshot: gathers the positions (cash, receivables, payables, fixed costs), the
sales and cost of goods of the counted orders, inventory's days of inventory and the cash transactions, and
stores the figures of finance.metrics for one business date (one row per date, replaced).

``inventory_value`` is inventory's *average* stock value at landed cost over the year before the date (the
basis of its days of inventory), not the value on the day."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Sum

from finance import metrics as formulas
from finance.models import CashCategory, CashTransaction, MetricSnapshot
from finance.selectors import positions
from inventory import kpis as inventory_kpis
from orders import selectors as order_selectors
from orders.models import Order, OrderLine
from shopops.common.dates import day_range
from shopops.common.money import ZERO, to_money

EXCLUDED_FROM_BURN = (CashCategory.TRANSFER, CashCategory.FINANCING)


def receivable_net_sales(*, start: date, end: date) -> Decimal:
    """Sum of each counted order's receivable (total - commission - payment fee - refunds, each rounded to
    the cent) for orders placed on the shop days start..end (both included)."""
    lo, hi = day_range(start, end + timedelta(days=1))
    rows = (
        order_selectors.counted_orders()
        .filter(placed_at__gte=lo, placed_at__lt=hi)
        .values_list("total_shop", "refund_amount", "channel__commission_rate", "channel__payment_fee_rate")
        .order_by()
    )
    total = ZERO
    for amount, refund, commission_rate, fee_rate in rows:
        total += amount - to_money(amount * commission_rate) - to_money(amount * fee_rate) - refund
    return total


def line_sales_and_cost(*, start: date, end: date) -> tuple[Decimal, Decimal]:
    """(net sales, cost of goods) of the counted orders' lines placed on start..end: sales = (quantity x
    unit price - discount) x the order's exchange rate, cost = quantity x unit cost; both to the cent."""
    lo, hi = day_range(start, end + timedelta(days=1))
    field = DecimalField(max_digits=24, decimal_places=8)
    totals = (
        OrderLine.objects.exclude(order__status__in=Order.NOT_COUNTED)
        .filter(order__placed_at__gte=lo, order__placed_at__lt=hi)
        .aggregate(
            sales=Sum(
                ExpressionWrapper(
                    (F("quantity") * F("unit_price") - F("discount")) * F("order__exchange_rate"),
                    output_field=field,
                )
            ),
            cost=Sum(ExpressionWrapper(F("quantity") * F("unit_cost"), output_field=field)),
        )
    )
    return to_money(totals["sales"] or ZERO), to_money(totals["cost"] or ZERO)


def net_cash_flow(*, start: date, end: date) -> Decimal:
    """Net of the cash transactions booked start..end on active accounts, transfers and financing
    excluded."""
    total = (
        CashTransaction.objects.filter(booked_on__gte=start, booked_on__lte=end, account__active=True)
        .exclude(category__in=EXCLUDED_FROM_BURN)
        .aggregate(total=Sum("amount"))["total"]
    )
    return to_money(total or ZERO)


def metrics_compute(*, business_date: date) -> dict:
    """Every field of the snapshot of `business_date`, as a dict (nothing stored)."""
    d = business_date
    window_start = d - timedelta(days=formulas.WINDOW_DAYS - 1)

    cash = to_money(positions.cash_balance(as_of=d))
    receivables_rows = positions.receivables_outstanding(as_of=d)
    receivables = to_money(sum((r.outstanding for r in receivables_rows), ZERO))
    overdue = to_money(sum((r.outstanding for r in receivables_rows if r.days_overdue > 0), ZERO))
    payable_rows = positions.payables_outstanding(as_of=d)
    payables = to_money(sum((p.outstanding for p in payable_rows), ZERO))
    by_supplier: dict[str, Decimal] = defaultdict(lambda: ZERO)
    names: dict[str, str] = {}
    for p in payable_rows:
        by_supplier[p.supplier_code] += p.outstanding
        names[p.supplier_code] = p.supplier_name
    top_code, top_share = formulas.top_share(dict(by_supplier))
    fixed = to_money(positions.monthly_fixed_costs(as_of=d))

    net_sales_90 = receivable_net_sales(start=window_start, end=d)
    _sales_90, cost_90 = line_sales_and_cost(start=window_start, end=d)
    turnover = inventory_kpis.turnover_get(as_of=d)
    dso = formulas.days_outstanding(receivables, net_sales_90)
    dpo = formulas.days_outstanding(payables, cost_90)
    dio = turnover.days_of_inventory
    burn = formulas.weekly_net_burn(
        net_cash_flow(start=d - timedelta(days=7 * formulas.BURN_WEEKS - 1), end=d)
    )
    m = formulas.MARGIN_DAYS
    sales, cost = line_sales_and_cost(start=d - timedelta(days=m - 1), end=d)
    sales_prev, cost_prev = line_sales_and_cost(
        start=d - timedelta(days=2 * m - 1), end=d - timedelta(days=m)
    )
    return {
        "cash": cash,
        "receivables": receivables,
        "payables": payables,
        "inventory_value": to_money(turnover.average_value),
        "dso": dso,
        "dpo": dpo,
        "dio": dio,
        "ccc": formulas.cash_conversion_cycle(dio, dso, dpo),
        "weekly_net_burn": burn,
        "runway_months": formulas.runway_months(cash, burn),
        "monthly_fixed_costs": fixed,
        "cushion_months": formulas.cushion_months(cash, fixed),
        "gross_margin": formulas.gross_margin(sales, cost),
        "gross_margin_prev": formulas.gross_margin(sales_prev, cost_prev),
        "overdue_receivables": overdue,
        "top_supplier_share": top_share,
        "top_supplier": names.get(top_code, "")[:200],
    }


@transaction.atomic
def metrics_snapshot_build(*, business_date: date) -> MetricSnapshot:
    """Compute DSO, DPO, DIO, CCC, runway, cushion, gross margins, overdue receivables and the supplier
    concentration as of `business_date` and store them (one row per date, replaced)."""
    values = metrics_compute(business_date=business_date)
    snapshot, _created = MetricSnapshot.objects.update_or_create(business_date=business_date, defaults=values)
    return snapshot
