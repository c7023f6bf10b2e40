"""Order risk rules (anti-fraud for cash-on-delivery and unusual orders): pure functions over plain facts.

The facts of an order are gathered in bulk by `finance.selectors.risk.risk_facts` and the score is written
by `finance.services.risk.orders_risk_score`; here only the arithmetic, tested without a database.

Each rule returns a `RuleResult`: its points (0 when it does not fire) and a translatable detail. The
detail is kept as a message key and plain parameters, so it is rendered in the reader's language (the
queue shows it in Chinese to a Chinese user although the job scored in English).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

MAX_SCORE = 100
SHARED_CONTACT_DAYS = 30  # rule 2's window
QUANTITY_HISTORY_DAYS = 90  # rule 5's window
QUANTITY_FLOOR = 10  # rule 5: a line of at least this many units ...
QUANTITY_FACTOR = 5  # ... and at least this many times the SKU's average line quantity
RETURN_SHARE = Decimal("0.5")  # rule 4b: returned / refunded share of the earlier counted orders
RETURNS_MIN = 2  # rule 4b: at least this many earlier returned / refunded orders

NEW_CUSTOMER_COD = "new_customer_cod"
SHARED_CONTACT = "shared_contact"
PROVINCE_MISMATCH = "province_mismatch"
REFUSED_DELIVERY = "refused_delivery"
RETURNS_HISTORY = "returns_history"
UNUSUAL_QUANTITY = "unusual_quantity"

POINTS = {
    NEW_CUSTOMER_COD: 40,
    SHARED_CONTACT: 30,
    PROVINCE_MISMATCH: 15,
    REFUSED_DELIVERY: 30,
    RETURNS_HISTORY: 20,
    UNUSUAL_QUANTITY: 20,
}

# The rules in the order they are shown (rule 4 is one rule with two levels).
RULES = [
    (NEW_CUSTOMER_COD, _("New customer, high-value cash on delivery")),
    (SHARED_CONTACT, _("One phone or address, different names")),
    (PROVINCE_MISMATCH, _("Province mismatch")),
    (REFUSED_DELIVERY, _("Refused deliveries or returns")),
    (UNUSUAL_QUANTITY, _("Unusual quantity")),
]
RULE_LABELS = dict(RULES) | {RETURNS_HISTORY: _("Refused deliveries or returns")}

MESSAGES = {
    NEW_CUSTOMER_COD: _(
        "Cash on delivery of %(total)s (at least %(threshold)s) by a customer with no earlier order."
    ),
    f"{NEW_CUSTOMER_COD}.none": _("Cash on delivery of %(total)s; not triggered: %(why)s"),
    SHARED_CONTACT: _(
        "%(names)d other names used the same %(what)s in the last %(days)d days (%(orders)d orders)."
    ),
    f"{SHARED_CONTACT}.none": _("%(names)d other names on the same phone or address in %(days)d days."),
    PROVINCE_MISMATCH: _(
        "The customer's province %(customer)s differs from the shipping province %(order)s."
    ),
    f"{PROVINCE_MISMATCH}.none": _("The customer's and the shipping province agree (or one is unknown)."),
    REFUSED_DELIVERY: _("%(count)d earlier cash-on-delivery order(s) shipped and came back unpaid."),
    RETURNS_HISTORY: _("%(returned)d of %(counted)d earlier orders were returned or refunded."),
    f"{REFUSED_DELIVERY}.none": _(
        "No refused delivery; %(returned)d of %(counted)d earlier orders returned or refunded."
    ),
    UNUSUAL_QUANTITY: _(
        "SKU %(sku)s: %(quantity)d units in one line, at least %(threshold)s "
        "(%(factor)d x its average line of %(average)s units, or %(floor)d)."
    ),
    f"{UNUSUAL_QUANTITY}.none": _("No line reaches %(floor)d units or %(factor)d x its SKU's average line."),
}
WHY = {
    "not_cod": _("not cash on delivery"),
    "below": _("below the high-value threshold"),
    "known": _("the customer has earlier orders"),
}
WHAT = {"phone": _("phone"), "address": _("address"), "both": _("phone or address")}


@dataclass(frozen=True)
class LineFacts:
    sku_id: int
    sku_code: str
    quantity: int
    average_quantity: Decimal | None  # the SKU's average line quantity over the last 90 days (None: no lines)


@dataclass(frozen=True)
class OrderFacts:
    """What the rules need to know about one order, as plain data."""

    order_id: int
    payment_method: str
    total_shop: Decimal
    has_customer: bool
    customer_name: str = ""
    customer_province: str = ""
    order_province: str = ""
    earlier_counted: int = 0  # the customer's earlier orders that count as sales (not pending, not cancelled)
    earlier_returned: int = 0  # of them, returned or refunded
    earlier_refused_cod: int = 0  # earlier COD orders shipped that came back unpaid
    # Distinct other customer names (normalised) on orders of the last 30 days sharing the phone / address.
    names_same_phone: frozenset = field(default_factory=frozenset)
    names_same_address: frozenset = field(default_factory=frozenset)
    shared_orders: int = 0  # how many such orders
    lines: tuple = ()


@dataclass(frozen=True)
class RuleResult:
    rule: str
    points: int
    key: str  # the message key in MESSAGES
    params: dict

    @property
    def fired(self) -> bool:
        return self.points > 0

    @property
    def detail(self) -> str:
        return reason_text(self.key, self.params)

    def as_reason(self) -> dict:
        """The row kept in OrderRisk.reasons: rule, points, detail (in the active language), and what
        renders the detail again in another language."""
        return {
            "rule": self.rule,
            "points": self.points,
            "detail": self.detail,
            "key": self.key,
            "params": self.params,
        }


def reason_text(key: str, params: dict) -> str:
    """A reason's detail in the active language; unknown keys (older rows) give an empty string."""
    message = MESSAGES.get(key)
    if message is None:
        return ""
    values = dict(params)
    if "why" in values:
        values["why"] = str(WHY.get(values["why"], values["why"]))
    if "what" in values:
        values["what"] = str(WHAT.get(values["what"], values["what"]))
    try:
        return str(message) % values
    except (KeyError, TypeError, ValueError):
        return str(message)


def reason_display(reason: dict) -> str:
    """The detail of a stored reason row in the reader's language (falls back to the stored text)."""
    return reason_text(reason.get("key", ""), reason.get("params") or {}) or reason.get("detail", "")


def name_normalize(name: str) -> str:
    return "".join((name or "").split()).casefold()


def address_normalize(address: str) -> str:
    """Addresses compare without whitespace and case: '上海市 浦东新区 XX路1号' == '上海市浦东新区xx路1号'."""
    return "".join((address or "").split()).casefold()


def phone_normalize(phone: str) -> str:
    """Without whitespace and dashes: '138-0000 0000' == '13800000000' (stored phones are compared by the
    hash of their digits: shopops.common.pii)."""
    return "".join((phone or "").split()).replace("-", "")


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def rule_new_customer_cod(facts: OrderFacts, *, cod_high_value: Decimal) -> RuleResult:
    """1. A new customer (no earlier counted order, or no customer at all) with a high-value COD order."""
    total = _money(facts.total_shop)
    if facts.payment_method.strip().lower() != "cod":
        why = "not_cod"
    elif facts.total_shop < cod_high_value:
        why = "below"
    elif facts.has_customer and facts.earlier_counted > 0:
        why = "known"
    else:
        params = {"total": total, "threshold": _money(cod_high_value)}
        return RuleResult(NEW_CUSTOMER_COD, POINTS[NEW_CUSTOMER_COD], NEW_CUSTOMER_COD, params)
    return RuleResult(NEW_CUSTOMER_COD, 0, f"{NEW_CUSTOMER_COD}.none", {"total": total, "why": why})


def rule_shared_contact(facts: OrderFacts) -> RuleResult:
    """2. Orders of the last 30 days sharing this order's phone or shipping address under at least 2 other
    distinct customer names."""
    own = name_normalize(facts.customer_name)
    by_phone = {n for n in facts.names_same_phone if n and n != own}
    by_address = {n for n in facts.names_same_address if n and n != own}
    names = by_phone | by_address
    if len(names) >= 2:
        if len(by_phone) >= 2 and len(by_address) < 2:
            what = "phone"
        elif len(by_address) >= 2 and len(by_phone) < 2:
            what = "address"
        else:
            what = "both"
        params = {
            "names": len(names),
            "what": what,
            "days": SHARED_CONTACT_DAYS,
            "orders": facts.shared_orders,
        }
        return RuleResult(SHARED_CONTACT, POINTS[SHARED_CONTACT], SHARED_CONTACT, params)
    return RuleResult(
        SHARED_CONTACT, 0, f"{SHARED_CONTACT}.none", {"names": len(names), "days": SHARED_CONTACT_DAYS}
    )


def rule_province_mismatch(facts: OrderFacts) -> RuleResult:
    """3. The customer's province (where their earlier orders went, else the customer's own) is set and
    differs from the order's shipping province."""
    customer, order = facts.customer_province.strip(), facts.order_province.strip()
    if customer and customer != order:
        params = {"customer": customer, "order": order or "–"}
        return RuleResult(PROVINCE_MISMATCH, POINTS[PROVINCE_MISMATCH], PROVINCE_MISMATCH, params)
    return RuleResult(PROVINCE_MISMATCH, 0, f"{PROVINCE_MISMATCH}.none", {})


def rule_refusals(facts: OrderFacts) -> RuleResult:
    """4. An earlier COD order shipped and came back unpaid (30); else at least 2 earlier returned or refunded
    orders making at least half of the earlier counted orders (20)."""
    if facts.earlier_refused_cod >= 1:
        params = {"count": facts.earlier_refused_cod}
        return RuleResult(REFUSED_DELIVERY, POINTS[REFUSED_DELIVERY], REFUSED_DELIVERY, params)
    params = {"returned": facts.earlier_returned, "counted": facts.earlier_counted}
    if (
        facts.earlier_returned >= RETURNS_MIN
        and facts.earlier_counted > 0
        and Decimal(facts.earlier_returned) >= RETURN_SHARE * facts.earlier_counted
    ):
        return RuleResult(RETURNS_HISTORY, POINTS[RETURNS_HISTORY], RETURNS_HISTORY, params)
    return RuleResult(REFUSED_DELIVERY, 0, f"{REFUSED_DELIVERY}.none", params)


def quantity_threshold(average: Decimal | None) -> Decimal:
    """max(10, 5 x the SKU's average line quantity)."""
    return max(Decimal(QUANTITY_FLOOR), QUANTITY_FACTOR * (average or Decimal("0")))


def rule_unusual_quantity(facts: OrderFacts) -> RuleResult:
    """5. A line quantity >= max(10, 5 x the SKU's average line quantity over the last 90 days); the line
    furthest over its threshold is named."""
    worst = None
    for line in facts.lines:
        threshold = quantity_threshold(line.average_quantity)
        if line.quantity >= threshold:
            excess = Decimal(line.quantity) / threshold
            if worst is None or excess > worst[0]:
                worst = (excess, line, threshold)
    if worst is None:
        return RuleResult(
            UNUSUAL_QUANTITY,
            0,
            f"{UNUSUAL_QUANTITY}.none",
            {"floor": QUANTITY_FLOOR, "factor": QUANTITY_FACTOR},
        )
    _excess, line, threshold = worst
    average = line.average_quantity or Decimal("0")
    params = {
        "sku": line.sku_code,
        "quantity": line.quantity,
        "threshold": f"{threshold.normalize():f}",
        "average": f"{average.quantize(Decimal('0.01')):f}",
        "factor": QUANTITY_FACTOR,
        "floor": QUANTITY_FLOOR,
    }
    return RuleResult(UNUSUAL_QUANTITY, POINTS[UNUSUAL_QUANTITY], UNUSUAL_QUANTITY, params)


def risk_rules(facts: OrderFacts, *, cod_high_value: Decimal) -> list[RuleResult]:
    """Every rule's result for one order, in the rules' order (fired or not)."""
    return [
        rule_new_customer_cod(facts, cod_high_value=cod_high_value),
        rule_shared_contact(facts),
        rule_province_mismatch(facts),
        rule_refusals(facts),
        rule_unusual_quantity(facts),
    ]


def risk_score(results: list[RuleResult]) -> int:
    """The sum of the rules' points, capped at 100."""
    return min(MAX_SCORE, sum(r.points for r in results))


@dataclass(frozen=True)
class Assessment:
    score: int
    hold: bool
    results: list  # every rule's RuleResult

    @property
    def reasons(self) -> list[dict]:
        """The rules that fired, as OrderRisk.reasons rows."""
        return [r.as_reason() for r in self.results if r.fired]


def risk_assess(facts: OrderFacts, *, cod_high_value: Decimal, hold_score: int) -> Assessment:
    results = risk_rules(facts, cod_high_value=cod_high_value)
    score = risk_score(results)
    return Assessment(score=score, hold=score >= hold_score, results=results)
