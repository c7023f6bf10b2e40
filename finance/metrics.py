"""Working-capital metrics as pure functions over plain numbers (no database), tested without one.

Definitions (every figure checkable by hand):

- **DSO** (receivable days) = receivables outstanding / receivable net sales of the 90 days ending the day
  x 90. Net sales are each counted order's receivable (total - commission - payment fee - refunds).
- **DPO** (payable days) = payables outstanding / cost of goods of the counted order lines of the same 90
  days (quantity x unit cost) x 90.
- **DIO** (inventory days) comes from inventory (365 x average inventory value / annual cost of goods).
- **Cash conversion cycle** = DIO + DSO - DPO; unknown when any part is unknown.
- **Weekly net burn** = -(net cash flow of the 8 weeks ending the day, transfers and financing excluded) / 8:
  positive when cash goes out faster than it comes in.
- **Runway** = cash / (weekly burn x 52 / 12) months while burning (0 with no cash left); None
  ("cash-positive") when not burning.
- **Cushion** = cash / monthly fixed costs, in months.
- **Gross margin** = (net sales of the lines - their cost) / net sales.

Days and months are rounded half-up to one decimal, shares and margins to four, money to the cent.
"""

from decimal import ROUND_HALF_UP, Decimal

WINDOW_DAYS = 90  # DSO and DPO look at the sales and costs of the last 90 days
BURN_WEEKS = 8  # the trailing weeks of the net burn
MARGIN_DAYS = 28  # the gross margin's window (and the one before it)
WEEKS_PER_MONTH = Decimal(52) / Decimal(12)

ONE_DECIMAL = Decimal("0.1")
SHARE = Decimal("0.0001")
CENT = Decimal("0.01")


def _days(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _share(value: Decimal) -> Decimal:
    return value.quantize(SHARE, rounding=ROUND_HALF_UP)


def days_outstanding(outstanding: Decimal, flow: Decimal, window_days: int = WINDOW_DAYS) -> Decimal | None:
    """outstanding / flow of the window x window days (DSO, DPO); None when nothing flowed."""
    if not flow or flow <= 0:
        return None
    return _days(Decimal(outstanding) / Decimal(flow) * window_days)


def cash_conversion_cycle(dio: Decimal | None, dso: Decimal | None, dpo: Decimal | None) -> Decimal | None:
    if dio is None or dso is None or dpo is None:
        return None
    return _days(dio + dso - dpo)


def weekly_net_burn(net_flow: Decimal, weeks: int = BURN_WEEKS) -> Decimal:
    """The trailing weeks' net cash flow as a weekly burn (positive: cash goes out)."""
    return (-Decimal(net_flow) / weeks).quantize(CENT, rounding=ROUND_HALF_UP)


def runway_months(cash: Decimal, weekly_burn: Decimal) -> Decimal | None:
    """Months the cash lasts at the weekly burn; None when not burning (cash-positive)."""
    if weekly_burn is None or weekly_burn <= 0:
        return None
    if cash <= 0:
        return Decimal("0.0")
    return _days(Decimal(cash) / (Decimal(weekly_burn) * WEEKS_PER_MONTH))


def cushion_months(cash: Decimal, monthly_fixed_costs: Decimal) -> Decimal | None:
    """Months of fixed costs the cash covers; None without fixed costs."""
    if not monthly_fixed_costs or monthly_fixed_costs <= 0:
        return None
    return _days(Decimal(cash) / Decimal(monthly_fixed_costs))


def gross_margin(net_sales: Decimal, cost: Decimal) -> Decimal | None:
    if not net_sales or net_sales <= 0:
        return None
    return _share((Decimal(net_sales) - Decimal(cost)) / Decimal(net_sales))


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole or whole <= 0:
        return None
    return _share(Decimal(part) / Decimal(whole))


def months_of(amount: Decimal, monthly: Decimal) -> Decimal | None:
    """An amount in months of a monthly figure, to four decimals (the lowest balance vs fixed costs)."""
    if not monthly or monthly <= 0:
        return None
    return _share(Decimal(amount) / Decimal(monthly))


def top_share(amounts: dict[str, Decimal]) -> tuple[str, Decimal | None]:
    """The key with the largest amount and its share of the total (ties: the first name in order)."""
    total = sum(amounts.values(), Decimal("0"))
    if not amounts or total <= 0:
        return "", None
    name = min(amounts, key=lambda k: (-amounts[k], k))
    return name, share(amounts[name], total)
