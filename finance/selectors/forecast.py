"""Reads of the 13-week forecast: the newest run of a scenario, its weeks, the items behind one number,
the actual weeks, and the forecast's accuracy against them."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import QuerySet

from finance.cashflow import INFLOW_LINES, LINES, OUTFLOW_LINES
from finance.models import ForecastItem, ForecastRun, ForecastWeek, Line, Scenario, WeekActual
from shopops.common.money import ZERO

ACCURACY_WEEKS = 8


def scenario_list() -> QuerySet[Scenario]:
    return Scenario.objects.all()


def scenario_get(*, code: str) -> Scenario:
    return Scenario.objects.get(code=code)


def forecast_latest(*, scenario_code: str = "base", on: date | None = None) -> ForecastRun | None:
    """The newest run of the scenario (latest business date; with `on`, the newest made on or before that
    day), or None."""
    qs = ForecastRun.objects.filter(scenario__code=scenario_code)
    if on is not None:
        qs = qs.filter(business_date__lte=on)
    return qs.select_related("scenario").order_by("-business_date").first()


def forecast_weeks(*, run: ForecastRun) -> list[ForecastWeek]:
    return list(run.weeks.order_by("index"))


def forecast_items(*, run: ForecastRun, week_index: int, line: str) -> QuerySet[ForecastItem]:
    """The items behind one cell of the table (paginate it), by due day."""
    return ForecastItem.objects.filter(run=run, week_index=week_index, line=line).order_by("due_on", "id")


def week_actuals_before(*, week_start: date, weeks: int = 4) -> list[WeekActual]:
    """The `weeks` finished weeks just before `week_start`, oldest first."""
    rows = WeekActual.objects.filter(
        week_start__lt=week_start, week_start__gte=week_start - timedelta(days=7 * weeks)
    ).order_by("week_start")
    return list(rows)


def line_amount(lines: dict, code: str) -> Decimal:
    return Decimal(lines.get(code) or "0")


@dataclass(frozen=True)
class TableRow:
    key: str  # opening, a line code, total_in, total_out, net, closing
    label: str
    kind: str  # balance, in, out, total, net
    cells: list  # one amount per column (actual columns first)


def forecast_table(
    *, run: ForecastRun, actuals: list[WeekActual] | None = None
) -> tuple[list[dict], list[TableRow]]:
    """Columns (the actual weeks then the forecast's weeks) and rows (opening, inflow lines, total in,
    outflow lines, total out, net, closing), as Decimals."""
    weeks = forecast_weeks(run=run)
    actuals = actuals or []
    columns = [
        {"actual": True, "week_start": a.week_start, "index": None, "lowest": False} for a in actuals
    ] + [
        {
            "actual": False,
            "week_start": w.week_start,
            "index": w.index,
            "lowest": w.week_start == run.lowest_week_start,
        }
        for w in weeks
    ]
    sources = list(actuals) + list(weeks)
    labels = dict(Line.choices)
    rows = [TableRow("opening", "opening", "balance", [s.opening for s in sources])]
    for code in INFLOW_LINES:
        rows.append(TableRow(code, str(labels[code]), "in", [line_amount(s.lines, code) for s in sources]))
    rows.append(TableRow("total_in", "total_in", "total", [s.inflow for s in sources]))
    for code in OUTFLOW_LINES:
        rows.append(TableRow(code, str(labels[code]), "out", [line_amount(s.lines, code) for s in sources]))
    rows.append(TableRow("total_out", "total_out", "total", [s.outflow for s in sources]))
    rows.append(TableRow("net", "net", "net", [s.inflow - s.outflow for s in sources]))
    rows.append(TableRow("closing", "closing", "balance", [s.closing for s in sources]))
    return columns, rows


@dataclass(frozen=True)
class Accuracy:
    week_start: date
    actual_closing: Decimal
    actual_net: Decimal
    horizon: int  # weeks ahead: 1 or 4
    made_on: date | None  # the run's business date
    forecast_closing: Decimal | None
    forecast_net: Decimal | None
    closing_error: Decimal | None  # |forecast - actual|
    closing_error_share: Decimal | None  # closing_error / |actual closing|
    net_error: Decimal | None
    net_error_share: Decimal | None  # net_error / (actual inflow + outflow)


def _ratio(num: Decimal, den: Decimal) -> Decimal | None:
    if not den:
        return None
    return (num / den).quantize(Decimal("0.0001"))


def forecast_accuracy(*, weeks: int = ACCURACY_WEEKS, scenario_code: str = "base") -> list[Accuracy]:
    """For each of the last `weeks` finished weeks with actuals (newest first): the forecast of the base run
    made on the last business date before the week's Monday (1 week ahead) and of the newest run made at
    least 4 weeks before that Monday (4 weeks ahead), against what happened."""
    actuals = list(WeekActual.objects.order_by("-week_start")[:weeks])
    if not actuals:
        return []
    runs = list(
        ForecastRun.objects.filter(
            scenario__code=scenario_code, business_date__lt=actuals[0].week_start
        ).order_by("-business_date")
    )
    if not runs:
        return [_accuracy(a, h, None, None) for a in actuals for h in (1, 4)]
    weeks_by_run: dict[int, dict[date, ForecastWeek]] = {}
    for fw in ForecastWeek.objects.filter(run__in=runs, week_start__in=[a.week_start for a in actuals]).only(
        "run_id", "week_start", "inflow", "outflow", "closing"
    ):
        weeks_by_run.setdefault(fw.run_id, {})[fw.week_start] = fw
    out = []
    for actual in actuals:
        for horizon in (1, 4):
            cutoff = actual.week_start - timedelta(days=1 if horizon == 1 else 28)
            run = next((r for r in runs if r.business_date <= cutoff), None)
            fw = weeks_by_run.get(run.pk, {}).get(actual.week_start) if run else None
            out.append(_accuracy(actual, horizon, run if fw else None, fw))
    return out


def _accuracy(actual: WeekActual, horizon: int, run: ForecastRun | None, fw: ForecastWeek | None) -> Accuracy:
    actual_net = actual.inflow - actual.outflow
    if fw is None:
        return Accuracy(
            actual.week_start, actual.closing, actual_net, horizon, None, None, None, None, None, None, None
        )
    forecast_net = fw.inflow - fw.outflow
    closing_error = abs(fw.closing - actual.closing)
    net_error = abs(forecast_net - actual_net)
    return Accuracy(
        week_start=actual.week_start,
        actual_closing=actual.closing,
        actual_net=actual_net,
        horizon=horizon,
        made_on=run.business_date,
        forecast_closing=fw.closing,
        forecast_net=forecast_net,
        closing_error=closing_error,
        closing_error_share=_ratio(closing_error, abs(actual.closing)),
        net_error=net_error,
        net_error_share=_ratio(net_error, actual.inflow + actual.outflow),
    )


def forecast_chart_series(*, run: ForecastRun) -> dict:
    """Plain series for the chart: week starts, closing balances, inflows, outflows, the cushion."""
    weeks = forecast_weeks(run=run)
    return {
        "weeks": [w.week_start for w in weeks],
        "closing": [w.closing for w in weeks],
        "inflow": [w.inflow for w in weeks],
        "outflow": [w.outflow for w in weeks],
        "cushion": run.cushion,
    }


def cell_total(*, run: ForecastRun, week_index: int, line: str) -> Decimal:
    week = run.weeks.filter(index=week_index).first()
    if week is None or line not in LINES:
        return ZERO
    return line_amount(week.lines, line)
