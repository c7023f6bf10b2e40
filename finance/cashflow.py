"""The cash-flow projection as pure functions over plain data (no database): dated items in, 13 weekly
buckets out. Weeks run Monday to Sunday; week 0 is the week holding the day after the business date (see
`week_starts`). Tested without a database (finance/tests/test_cashflow.py)."""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

WEEKS = 13
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# The codes of finance.models.Line, repeated here so that the maths needs no Django.
INFLOW_LINES = ("settlements", "forecast_sales", "other_in")
OUTFLOW_LINES = ("payables", "planned_pos", "payroll", "rent", "ads", "tax", "other_out")
LINES = INFLOW_LINES + OUTFLOW_LINES

MONTHS_PER_STEP = {"monthly": 1, "quarterly": 3, "yearly": 12}


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Item:
    """One dated cash movement: ``amount`` is positive; ``line`` (a finance.models.Line code) says whether
    it is an inflow or an outflow. ``ref_kind``/``ref_id``/``label`` say what is behind it (drill-down)."""

    due_on: date
    line: str
    amount: Decimal
    ref_kind: str
    ref_id: str = ""
    label: str = ""


@dataclass
class Week:
    index: int
    week_start: date
    opening: Decimal
    lines: dict[str, Decimal] = field(default_factory=dict)
    inflow: Decimal = Decimal("0.00")
    outflow: Decimal = Decimal("0.00")
    closing: Decimal = Decimal("0.00")


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_starts(business_date: date, weeks: int = WEEKS) -> list[date]:
    """The Mondays of the forecast's weeks: week 0 is the week holding the day after `business_date`."""
    first = monday_of(business_date + timedelta(days=1))
    return [first + timedelta(days=7 * i) for i in range(weeks)]


def week_index(due_on: date, starts: list[date]) -> int | None:
    """The index of the week (of `starts`) holding `due_on`: earlier days fall into week 0, later days than
    the last week give None."""
    if not starts:
        return None
    if due_on < starts[0]:
        return 0
    index = (due_on - starts[0]).days // 7
    return index if index < len(starts) else None


def project(*, opening: Decimal, items: list[Item], starts: list[date]) -> list[Week]:
    """Bucket `items` into the weeks beginning on `starts` (items due before the first week fall into it;
    items after the last week are dropped) and chain the balances: closing = opening + inflow - outflow,
    each week's opening = the previous closing. Exact Decimal arithmetic, to the cent."""
    sums = [dict.fromkeys(LINES, ZERO) for _ in starts]
    for item in items:
        index = week_index(item.due_on, starts)
        if index is None:
            continue
        if item.line not in sums[index]:
            raise ValueError(f"Unknown forecast line: {item.line!r}")
        sums[index][item.line] += item.amount
    weeks = []
    balance = _cents(Decimal(opening))
    for index, start in enumerate(starts):
        lines = {code: _cents(amount) for code, amount in sums[index].items()}
        inflow = sum((lines[code] for code in INFLOW_LINES), ZERO)
        outflow = sum((lines[code] for code in OUTFLOW_LINES), ZERO)
        closing = balance + inflow - outflow
        weeks.append(
            Week(
                index=index,
                week_start=start,
                opening=balance,
                lines=lines,
                inflow=inflow,
                outflow=outflow,
                closing=closing,
            )
        )
        balance = closing
    return weeks


def lowest_week(weeks: list[Week]) -> Week:
    """The week with the lowest closing balance (the first of equals)."""
    return min(weeks, key=lambda w: (w.closing, w.index))


def add_months(day: date, months: int, *, anchor_day: int | None = None) -> date:
    """`day` moved by `months`, on `anchor_day` (default: its own day) or the month's last day if shorter."""
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(anchor_day or day.day, last))


def commitment_dates(
    *, frequency: str, starts_on: date, ends_on: date | None, start: date, end: date
) -> list[date]:
    """The payment dates of a commitment (finance.models.Commitment.Frequency) falling in [start, end).
    Weekly payments repeat every 7 days from `starts_on`; monthly, quarterly and yearly ones on the same day
    of the month (the month's last day when it is shorter); none after `ends_on`."""
    stop = end if ends_on is None else min(end, ends_on + timedelta(days=1))
    if stop <= start:
        return []
    if frequency == "once":
        return [starts_on] if start <= starts_on < stop else []
    if frequency == "weekly":
        first = starts_on
        if first < start:
            first = starts_on + timedelta(days=7 * -(-(start - starts_on).days // 7))
        out = []
        day = first
        while day < stop:
            out.append(day)
            day += timedelta(days=7)
        return out
    step = MONTHS_PER_STEP.get(frequency)
    if step is None:
        raise ValueError(f"Unknown frequency: {frequency!r}")
    # Skip ahead to the first period that can reach `start`.
    n = 0
    if start > starts_on:
        months_between = (start.year - starts_on.year) * 12 + (start.month - starts_on.month)
        n = max(0, months_between // step - 1)
    out = []
    while True:
        day = add_months(starts_on, n * step, anchor_day=starts_on.day)
        if day >= stop:
            break
        if day >= start:
            out.append(day)
        n += 1
    return out


def monthly_equivalent(*, frequency: str, amount: Decimal) -> Decimal:
    """A recurring amount per month (weekly x 52/12, quarterly / 3, yearly / 12), not rounded; one-off
    items have none (0)."""
    if frequency == "weekly":
        return amount * 52 / 12
    if frequency == "monthly":
        return amount
    if frequency == "quarterly":
        return amount / 3
    if frequency == "yearly":
        return amount / 12
    return Decimal("0")


def spread_evenly(*, total: Decimal, days: list[date]) -> list[tuple[date, Decimal]]:
    """`total` split over `days` to the cent, the rounding remainder on the last day (sums exactly)."""
    if not days:
        return []
    share = _cents(total / len(days))
    out = [(day, share) for day in days[:-1]]
    out.append((days[-1], _cents(total) - share * (len(days) - 1)))
    return out


# --- Scenario items: the gathered inputs (plain data) turned into dated items for one scenario. ---------


@dataclass(frozen=True)
class Params:
    """A scenario's multipliers (finance.models.Scenario)."""

    sales_multiplier: Decimal = Decimal("1")
    settlement_delay_days: int = 0
    purchase_multiplier: Decimal = Decimal("1")
    expense_multiplier: Decimal = Decimal("1")
    ads_multiplier: Decimal = Decimal("1")


@dataclass(frozen=True)
class SalesDay:
    """One day's forecast gross sales of a channel, with what the channel keeps and when it pays."""

    channel_code: str
    channel_name: str
    sale_day: date
    gross: Decimal  # forecast revenue at current prices, not rounded
    net_rate: Decimal  # 1 - commission - payment fee - refund rate
    lag_days: int  # delivery days + the channel's settlement days


@dataclass(frozen=True)
class Planned:
    """A dated amount that a scenario multiplies: a planned purchase, a commitment payment, a campaign's
    remaining ad budget. ``kind`` picks the multiplier: purchase, expense, ads or none (money in)."""

    due_on: date
    line: str
    amount: Decimal
    kind: str
    ref_kind: str
    ref_id: str = ""
    label: str = ""


@dataclass
class Inputs:
    """Everything known on the business date, gathered once for every scenario."""

    business_date: date
    opening: Decimal
    starts: list[date]
    receivables: list[Item] = field(default_factory=list)  # at their expected day, before any delay
    sales: list[SalesDay] = field(default_factory=list)
    payables: list[Item] = field(default_factory=list)
    planned: list[Planned] = field(default_factory=list)
    tax_rate: Decimal = Decimal("0")
    tax_day: int = 15
    tax_actual: dict[date, Decimal] = field(default_factory=dict)  # month's first day -> net sales so far


def horizon_end(starts: list[date]) -> date:
    """The last day of the forecast (the last week's Sunday)."""
    return starts[-1] + timedelta(days=6)


def _multiplier(params: Params, kind: str) -> Decimal:
    return {
        "purchase": params.purchase_multiplier,
        "expense": params.expense_multiplier,
        "ads": params.ads_multiplier,
    }.get(kind, Decimal("1"))


def month_start(day: date) -> date:
    return day.replace(day=1)


def scenario_items(inputs: Inputs, params: Params) -> list[Item]:
    """The dated items of one scenario: settlements delayed by the scenario, forecast sales x the sales
    multiplier (aggregated per channel and cash day), payables as they are, planned purchases, expenses
    and ads x their multipliers, and each month's taxes (rate x the month's actual net sales so far plus
    its forecast gross sales) on the tax day of the following month, when that day is after the business
    date and within the horizon. Amounts are rounded to the cent per item."""
    delay = timedelta(days=params.settlement_delay_days)
    items = [
        Item(r.due_on + delay, r.line, r.amount, r.ref_kind, r.ref_id, r.label) for r in inputs.receivables
    ]
    by_cash_day: dict[tuple[str, date], Decimal] = {}
    names: dict[str, str] = {}
    forecast_gross_by_month: dict[date, Decimal] = {}
    for s in inputs.sales:
        gross = s.gross * params.sales_multiplier
        month = month_start(s.sale_day)
        forecast_gross_by_month[month] = forecast_gross_by_month.get(month, Decimal("0")) + gross
        key = (s.channel_code, s.sale_day + timedelta(days=s.lag_days) + delay)
        by_cash_day[key] = by_cash_day.get(key, Decimal("0")) + gross * s.net_rate
        names[s.channel_code] = s.channel_name
    for (code, day), amount in sorted(by_cash_day.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        cents = _cents(amount)
        if cents > 0:
            items.append(Item(day, "forecast_sales", cents, "channel", code, names[code]))
    items.extend(inputs.payables)
    for p in inputs.planned:
        cents = _cents(p.amount * _multiplier(params, p.kind))
        if cents > 0:
            items.append(Item(p.due_on, p.line, cents, p.ref_kind, p.ref_id, p.label))
    if inputs.tax_rate and inputs.starts:
        last = horizon_end(inputs.starts)
        months = set(inputs.tax_actual) | set(forecast_gross_by_month)
        for month in sorted(months):
            pay_on = add_months(month, 1, anchor_day=inputs.tax_day)
            if not (inputs.business_date < pay_on <= last):
                continue
            base = inputs.tax_actual.get(month, Decimal("0")) + forecast_gross_by_month.get(
                month, Decimal("0")
            )
            cents = _cents(base * inputs.tax_rate)
            if cents > 0:
                items.append(Item(pay_on, "tax", cents, "tax", f"{month:%Y-%m}", f"{month:%Y-%m}"))
    return items
