"""Reads of the reports area: KPIs from the daily sales rollup."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from django.db.models import Sum

from reports.models import DailySales
from shopops.common.money import CENT, percent_change, to_money


@dataclass(frozen=True)
class PeriodSales:
    start: date
    end: date  # exclusive
    gmv: Decimal
    orders: int
    units: int
    cost_of_goods: Decimal

    @property
    def aov(self) -> Decimal:
        """Average order value = GMV / orders, to the cent (0 when there were no orders)."""
        return to_money(self.gmv / self.orders) if self.orders else Decimal("0.00")


@dataclass(frozen=True)
class KpiCard:
    days: int
    current: PeriodSales
    previous: PeriodSales

    @property
    def gmv_change(self):
        return percent_change(self.current.gmv, self.previous.gmv)

    @property
    def orders_change(self):
        return percent_change(self.current.orders, self.previous.orders)

    @property
    def aov_change(self):
        return percent_change(self.current.aov, self.previous.aov)


def period_sales(*, start: date, end: date, channel_id: int | None = None) -> PeriodSales:
    qs = DailySales.objects.filter(date__gte=start, date__lt=end)
    if channel_id:
        qs = qs.filter(channel_id=channel_id)
    agg = qs.aggregate(gmv=Sum("gmv"), orders=Sum("orders"), units=Sum("units"), cogs=Sum("cost_of_goods"))
    return PeriodSales(
        start=start,
        end=end,
        gmv=(agg["gmv"] or Decimal(0)).quantize(CENT),
        orders=agg["orders"] or 0,
        units=agg["units"] or 0,
        cost_of_goods=(agg["cogs"] or Decimal(0)).quantize(CENT),
    )


def kpi_cards(*, today: date, windows=(7, 30)) -> list[KpiCard]:
    """For each window of N complete days ending yesterday: that period and the N days before it."""
    cards = []
    for days in windows:
        end = today
        start = end - timedelta(days=days)
        cards.append(
            KpiCard(
                days=days,
                current=period_sales(start=start, end=end),
                previous=period_sales(start=start - timedelta(days=days), end=start),
            )
        )
    return cards


def daily_gmv_by_channel(*, start: date, end: date) -> pd.DataFrame:
    """A frame indexed by date with one GMV column per channel name, zero-filled, for [start, end)."""
    rows = list(
        DailySales.objects.filter(date__gte=start, date__lt=end).values_list("date", "channel__name", "gmv")
    )
    frame = pd.DataFrame(rows, columns=["date", "channel", "gmv"])
    days = pd.date_range(start, end - timedelta(days=1), freq="D").date
    if frame.empty:
        return pd.DataFrame(index=pd.Index(days, name="date"))
    pivot = frame.pivot_table(index="date", columns="channel", values="gmv", aggfunc="sum")
    return pivot.reindex(days).fillna(Decimal(0))


def weekly_sales(*, today: date, weeks: int = 12) -> list[dict]:
    """The last `weeks` complete Monday-to-Sunday weeks: GMV, orders, units, AOV, gross margin on GMV."""
    this_monday = today - timedelta(days=today.weekday())
    out = []
    for back in range(weeks, 0, -1):
        start = this_monday - timedelta(weeks=back)
        p = period_sales(start=start, end=start + timedelta(days=7))
        margin = ((p.gmv - p.cost_of_goods) / p.gmv).quantize(Decimal("0.0001")) if p.gmv else None
        out.append(
            {
                "week_start": start,
                "gmv": p.gmv,
                "orders": p.orders,
                "units": p.units,
                "aov": p.aov,
                "gross_margin": margin,
            }
        )
    return out
