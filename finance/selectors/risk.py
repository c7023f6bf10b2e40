"""Reads of order risk: the facts the rules need (gathered in bulk, a few queries for a whole batch of
orders), the review queue, and the bad-debt rate of cash-on-delivery orders."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, DateField, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from finance import risk as rules
from finance.models import OrderRisk
from orders.models import Order, OrderLine
from shopops.common.dates import day_start, shop_today
from shopops.common.money import to_money

S = Order.Status
OPEN = (S.PENDING, S.PAID)
CAME_BACK = (S.RETURNED, S.CANCELLED)  # a shipped COD order in one of these, unpaid: refused or returned
RETURNED = (S.RETURNED, S.REFUNDED)
COD = "cod"
CHUNK = 1000


def orders_to_score(*, since: datetime, until: datetime) -> list[int]:
    """Ids of the orders placed in [since, until] that are still open (pending or paid) and have no risk
    score yet, oldest first."""
    scored = OrderRisk.objects.filter(order_id=OuterRef("pk"))
    return list(
        Order.objects.filter(placed_at__gte=since, placed_at__lte=until, status__in=OPEN)
        .exclude(Exists(scored))
        .order_by("placed_at", "id")
        .values_list("id", flat=True)
    )


def risk_facts(*, order_ids: list[int], now: datetime) -> dict[int, rules.OrderFacts]:
    """The rules' facts of each order, in five queries for the whole batch (see finance.risk)."""
    if not order_ids:
        return {}
    targets = list(
        Order.objects.filter(pk__in=order_ids).values(
            "id",
            "placed_at",
            "payment_method",
            "total_shop",
            "province",
            "address_hash",
            "customer_id",
            "customer__name",
            "customer__phone_hash",
            "customer__province",
        )
    )
    if not targets:
        return {}
    history = _customer_history([t["customer_id"] for t in targets if t["customer_id"]])
    shared = _shared_contacts(targets)
    lines, averages = _line_facts([t["id"] for t in targets], now)

    facts = {}
    for t in targets:
        counted = returned = refused = 0
        # The customer's province is where their earlier orders went (the latest one): a channel's sync
        # stores the customer's province from the newest order, so the customer row alone cannot differ.
        usual_province, usual_at = (t["customer__province"] or "").strip(), None
        for h in history.get(t["customer_id"], ()):
            if h["id"] == t["id"] or (h["placed_at"], h["id"]) >= (t["placed_at"], t["id"]):
                continue  # only earlier orders
            if (h["province"] or "").strip() and (usual_at is None or h["placed_at"] > usual_at):
                usual_province, usual_at = h["province"].strip(), h["placed_at"]
            if h["status"] not in Order.NOT_COUNTED:
                counted += 1
                if h["status"] in RETURNED:
                    returned += 1
            if (
                h["payment_method"].strip().lower() == COD
                and h["shipped_at"] is not None
                and h["paid_at"] is None
                and h["status"] in CAME_BACK
            ):
                refused += 1
        phone, address = t["customer__phone_hash"], t["address_hash"]
        since = t["placed_at"] - timedelta(days=rules.SHARED_CONTACT_DAYS)
        same_phone, same_address, shared_ids = set(), set(), set()
        for other in shared:
            if other["id"] == t["id"] or other["placed_at"] < since:
                continue
            name = rules.name_normalize(other["customer__name"] or "")
            if phone and other["customer__phone_hash"] == phone:
                shared_ids.add(other["id"])
                if name:
                    same_phone.add(name)
            if address and other["address_hash"] == address:
                shared_ids.add(other["id"])
                if name:
                    same_address.add(name)
        own_lines = lines.get(t["id"], [])
        facts[t["id"]] = rules.OrderFacts(
            order_id=t["id"],
            payment_method=t["payment_method"] or "",
            total_shop=t["total_shop"],
            has_customer=t["customer_id"] is not None,
            customer_name=t["customer__name"] or "",
            customer_province=usual_province,
            order_province=(t["province"] or "").strip(),
            earlier_counted=counted,
            earlier_returned=returned,
            earlier_refused_cod=refused,
            names_same_phone=frozenset(same_phone),
            names_same_address=frozenset(same_address),
            shared_orders=len(shared_ids),
            lines=tuple(
                rules.LineFacts(
                    sku_id=line["sku_id"],
                    sku_code=line["sku__code"],
                    quantity=line["quantity"],
                    average_quantity=_average_without(averages, line, t["placed_at"], now),
                )
                for line in own_lines
            ),
        )
    return facts


def _customer_history(customer_ids: list[int]) -> dict[int, list[dict]]:
    """Every order of these customers (one query)."""
    found: dict[int, list[dict]] = defaultdict(list)
    if not customer_ids:
        return found
    for row in Order.objects.filter(customer_id__in=set(customer_ids)).values(
        "id", "customer_id", "status", "placed_at", "payment_method", "shipped_at", "paid_at", "province"
    ):
        found[row["customer_id"]].append(row)
    return found


def _shared_contacts(targets: list[dict]) -> list[dict]:
    """Orders of the 30 days before the earliest target sharing a target's phone or address (one query).
    Phones and addresses are encrypted: they are compared through their keyed hashes, which are of the
    normalised values (phones by their digits, addresses without whitespace and case; shopops.common.pii),
    and found through the hash columns' indexes."""
    phones = {t["customer__phone_hash"] for t in targets if t["customer__phone_hash"]}
    addresses = {t["address_hash"] for t in targets if t["address_hash"]}
    if not phones and not addresses:
        return []
    since = min(t["placed_at"] for t in targets) - timedelta(days=rules.SHARED_CONTACT_DAYS)
    match = Q()
    if phones:
        match |= Q(customer__phone_hash__in=phones)
    if addresses:
        match |= Q(address_hash__in=addresses)
    return list(
        Order.objects.filter(placed_at__gte=since)
        .filter(match)
        .values("id", "placed_at", "customer__name", "customer__phone_hash", "address_hash")
    )


def _line_facts(order_ids: list[int], now: datetime):
    """The targets' lines, and per SKU the sum and count of line quantities over the last 90 days (two
    queries). Each order's own lines are taken out of its SKU's average in `_average_without`."""
    lines: dict[int, list[dict]] = defaultdict(list)
    rows = OrderLine.objects.filter(order_id__in=order_ids).values(
        "order_id", "sku_id", "sku__code", "quantity"
    )
    for row in rows:
        lines[row["order_id"]].append(row)
    sku_ids = {row["sku_id"] for rows in lines.values() for row in rows}
    averages = {}
    if sku_ids:
        since = now - timedelta(days=rules.QUANTITY_HISTORY_DAYS)
        for row in (
            OrderLine.objects.filter(
                sku_id__in=sku_ids, order__placed_at__gte=since, order__placed_at__lte=now
            )
            .values("sku_id")
            .annotate(units=Sum("quantity"), lines=Count("id"))
        ):
            averages[row["sku_id"]] = (row["units"], row["lines"])
    # The order's own lines of each SKU, to take them out of the average (in the window or not).
    own: dict[tuple[int, int], tuple[int, int]] = {}
    for order_id, rows in lines.items():
        for row in rows:
            units, count = own.get((order_id, row["sku_id"]), (0, 0))
            own[(order_id, row["sku_id"])] = (units + row["quantity"], count + 1)
    return lines, {"skus": averages, "own": own}


def _average_without(averages: dict, line: dict, placed_at: datetime, now: datetime) -> Decimal | None:
    units, count = averages["skus"].get(line["sku_id"], (0, 0))
    if now - timedelta(days=rules.QUANTITY_HISTORY_DAYS) <= placed_at <= now:
        own_units, own_count = averages["own"][(line["order_id"], line["sku_id"])]
        units, count = units - own_units, count - own_count
    if count <= 0:
        return None
    return Decimal(units) / Decimal(count)


# --- the queue ------------------------------------------------------------------------------------------

TABS = ("held", "released", "cancelled", "all")


def orderrisk_list(*, tab: str = "held", channel: str = "", min_score: int | None = None) -> QuerySet:
    """The scored orders of a queue tab: held (to review, oldest first), released, cancelled, or all."""
    rows = OrderRisk.objects.select_related("order__channel", "order__customer", "reviewed_by")
    if tab == "held":
        rows = rows.filter(status=OrderRisk.Status.HELD).order_by("scored_at", "id")
    elif tab == "released":
        rows = rows.filter(status=OrderRisk.Status.RELEASED).order_by("-reviewed_at", "-id")
    elif tab == "cancelled":
        rows = rows.filter(status=OrderRisk.Status.CANCELLED).order_by("-reviewed_at", "-id")
    else:
        rows = rows.order_by("-scored_at", "-id")
    if channel:
        rows = rows.filter(order__channel__code=channel)
    if min_score is not None:
        rows = rows.filter(score__gte=min_score)
    return rows


def orderrisk_counts() -> dict[str, int]:
    counts = dict(OrderRisk.objects.values_list("status").annotate(n=Count("id")).order_by())
    return {
        "held": counts.get(OrderRisk.Status.HELD, 0),
        "released": counts.get(OrderRisk.Status.RELEASED, 0),
        "cancelled": counts.get(OrderRisk.Status.CANCELLED, 0),
        "all": sum(counts.values()),
    }


def orderrisk_get(*, pk: int) -> OrderRisk:
    return OrderRisk.objects.select_related("order__channel", "order__customer", "reviewed_by").get(pk=pk)


def orderrisk_for_order(*, order_id: int) -> OrderRisk | None:
    return OrderRisk.objects.filter(order_id=order_id).first()


# --- COD bad debt ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadDebtMonth:
    month: date  # the first day
    shipped_count: int
    shipped_value: Decimal
    unpaid_count: int
    unpaid_value: Decimal

    @property
    def rate(self) -> Decimal | None:
        """Unpaid value / shipped value, as a fraction (4 places); None when nothing shipped."""
        if not self.shipped_value:
            return None
        return (self.unpaid_value / self.shipped_value).quantize(Decimal("0.0001"))


def _month_add(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def cod_bad_debt(*, months: int = 12, today: date | None = None) -> list[BadDebtMonth]:
    """Per month of the last `months` (the current one included, oldest first): the COD orders shipped that
    month (by shipped_at in the shop's time zone; count and value in the shop currency) and of them those
    that came back unpaid (returned or cancelled after shipping, paid_at empty)."""
    today = today or shop_today()
    last = today.replace(day=1)
    first = _month_add(last, -(months - 1))
    start, end = day_start(first), day_start(_month_add(last, 1))
    buckets = {_month_add(first, i): [0, Decimal("0.00"), 0, Decimal("0.00")] for i in range(months)}
    tz = timezone.get_current_timezone()
    unpaid = Q(status__in=CAME_BACK, paid_at__isnull=True)
    rows = (
        Order.objects.filter(payment_method__iexact=COD, shipped_at__gte=start, shipped_at__lt=end)
        .annotate(month=TruncMonth("shipped_at", output_field=DateField(), tzinfo=tz))
        .values("month")
        .annotate(
            shipped=Count("id"),
            value=Sum("total_shop"),
            unpaid=Count("id", filter=unpaid),
            unpaid_value=Sum("total_shop", filter=unpaid),
        )
        .order_by()
    )
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime):
            month = month.date()
        bucket = buckets.get(month)
        if bucket is None:
            continue
        bucket[0] += row["shipped"]
        bucket[1] += row["value"] or 0
        bucket[2] += row["unpaid"]
        bucket[3] += row["unpaid_value"] or 0
    return [
        BadDebtMonth(month, b[0], to_money(b[1]), b[2], to_money(b[3]))
        for month, b in sorted(buckets.items())
    ]


def cod_bad_debt_total(rows: list[BadDebtMonth]) -> BadDebtMonth | None:
    if not rows:
        return None
    return BadDebtMonth(
        rows[0].month,
        sum(r.shipped_count for r in rows),
        to_money(sum((r.shipped_value for r in rows), Decimal("0"))),
        sum(r.unpaid_count for r in rows),
        to_money(sum((r.unpaid_value for r in rows), Decimal("0"))),
    )


def customer_export(*, customer_id: int) -> dict:
    """Finance's rows about one customer's orders, for a personal-data request: risk scores and reviews."""
    from shopops.common.privacy import records

    return {"order_risks": records(OrderRisk.objects.filter(order__customer_id=customer_id).order_by("id"))}
