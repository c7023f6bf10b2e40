"""Ad metrics, as pure functions over plain numbers (no database).

Definitions (domain.md, "Promotions and marketing"):

- CTR  = clicks ÷ impressions                  band 2 %-5 %
- CPC  = spend ÷ clicks (yuan)                 band ¥0.50-¥3.00
- CVR  = orders (conversions) ÷ clicks         band 3 %-10 %
- ROI  = revenue ÷ spend (ROAS)                band >= 3
- CAC  = spend ÷ new customers (yuan)          no band

A metric whose denominator is zero is ``None`` (not computed, never flagged). Ratios are Decimal fractions
rounded half-up to 4 places (0.0350 = 3.5 %); CPC and CAC are money rounded half-up to the cent; ROI is
rounded to 4 places.

Weighted channel ROI (the 70/15/15 rule): a channel's ads earn direct sales, lift the brand and grow the
customer base, so

    weighted ROI = 0.70 × direct ROI + 0.15 × brand ROI + 0.15 × customer-asset ROI

with direct ROI = revenue ÷ spend, brand ROI = brand_value ÷ spend (the estimated value of the brand lift
imported with the metrics) and customer-asset ROI = new customers × average customer value ÷ spend (the
average customer value: revenue per customer of the shop's counted orders, given by the caller).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")

# metric -> (low, high); None = no bound on that side.
BANDS: dict[str, tuple[Decimal | None, Decimal | None]] = {
    "ctr": (Decimal("0.02"), Decimal("0.05")),
    "cpc": (Decimal("0.50"), Decimal("3.00")),
    "cvr": (Decimal("0.03"), Decimal("0.10")),
    "roi": (Decimal("3"), None),
}
BANDED = ("ctr", "cpc", "cvr", "roi")

WEIGHT_DIRECT = Decimal("0.70")
WEIGHT_BRAND = Decimal("0.15")
WEIGHT_ASSET = Decimal("0.15")

LOW, HIGH = "low", "high"


@dataclass(frozen=True)
class AdTotals:
    """Summed ad metrics of some days (one campaign, one channel, or any grouping)."""

    impressions: int = 0
    clicks: int = 0
    spend: Decimal = Decimal("0")
    orders: int = 0
    revenue: Decimal = Decimal("0")
    new_customers: int = 0
    brand_value: Decimal = Decimal("0")

    def __add__(self, other: "AdTotals") -> "AdTotals":
        return AdTotals(
            impressions=self.impressions + other.impressions,
            clicks=self.clicks + other.clicks,
            spend=self.spend + other.spend,
            orders=self.orders + other.orders,
            revenue=self.revenue + other.revenue,
            new_customers=self.new_customers + other.new_customers,
            brand_value=self.brand_value + other.brand_value,
        )

    @classmethod
    def of(cls, row: dict) -> "AdTotals":
        """From a dict with (some of) the field names; missing or None values count as zero."""
        return cls(
            impressions=int(row.get("impressions") or 0),
            clicks=int(row.get("clicks") or 0),
            spend=Decimal(row.get("spend") or 0),
            orders=int(row.get("orders") or 0),
            revenue=Decimal(row.get("revenue") or 0),
            new_customers=int(row.get("new_customers") or 0),
            brand_value=Decimal(row.get("brand_value") or 0),
        )


def _div(num, den, quantum: Decimal) -> Decimal | None:
    if not den:
        return None
    return (Decimal(num) / Decimal(den)).quantize(quantum, rounding=ROUND_HALF_UP)


def ctr(t: AdTotals) -> Decimal | None:
    return _div(t.clicks, t.impressions, RATIO)


def cpc(t: AdTotals) -> Decimal | None:
    return _div(t.spend, t.clicks, CENT)


def cvr(t: AdTotals) -> Decimal | None:
    return _div(t.orders, t.clicks, RATIO)


def roi(t: AdTotals) -> Decimal | None:
    return _div(t.revenue, t.spend, RATIO)


def cac(t: AdTotals) -> Decimal | None:
    return _div(t.spend, t.new_customers, CENT)


def metrics(t: AdTotals) -> dict[str, Decimal | None]:
    """{"ctr", "cpc", "cvr", "roi", "cac"} of the totals (None where the denominator is zero)."""
    return {"ctr": ctr(t), "cpc": cpc(t), "cvr": cvr(t), "roi": roi(t), "cac": cac(t)}


def band_flag(metric: str, value: Decimal | None) -> str | None:
    """ "low" below the band, "high" above it, None inside it (bounds included) or when not computed."""
    if value is None or metric not in BANDS:
        return None
    low, high = BANDS[metric]
    if low is not None and value < low:
        return LOW
    if high is not None and value > high:
        return HIGH
    return None


def flags(values: dict[str, Decimal | None]) -> dict[str, str | None]:
    """Metric -> "low" / "high" / None for the banded metrics (CTR, CPC, CVR, ROI)."""
    return {m: band_flag(m, values.get(m)) for m in BANDED}


def out_of_band(values: dict[str, Decimal | None]) -> list[str]:
    """The banded metrics outside their band, in BANDED order."""
    return [m for m, flag in flags(values).items() if flag]


def weighted_roi(t: AdTotals, *, customer_value: Decimal) -> dict[str, Decimal | None]:
    """The 70/15/15 weighted channel ROI and its three parts ({"direct", "brand", "asset", "weighted"}),
    each rounded to 4 places; all None when nothing was spent. `customer_value`: the average value of a
    customer (yuan)."""
    if not t.spend:
        return {"direct": None, "brand": None, "asset": None, "weighted": None}
    direct = Decimal(t.revenue) / t.spend
    brand = Decimal(t.brand_value) / t.spend
    asset = Decimal(t.new_customers) * Decimal(customer_value) / t.spend
    weighted = WEIGHT_DIRECT * direct + WEIGHT_BRAND * brand + WEIGHT_ASSET * asset

    def q(x: Decimal) -> Decimal:
        return x.quantize(RATIO, rounding=ROUND_HALF_UP)

    return {"direct": q(direct), "brand": q(brand), "asset": q(asset), "weighted": q(weighted)}
