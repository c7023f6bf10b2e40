"""Reads of the reports area for the home dashboard and the reports overview, on the KPIs of reports.kpis."""

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from orders import selectors as order_selectors
from reports import kpis
from shopops.common.money import percent_change


@dataclass(frozen=True)
class KpiCard:
    days: int
    start: date
    end: date
    current: dict
    previous: dict

    def change(self, key: str):
        current, previous = self.current[key], self.previous[key]
        if current is None or previous is None:
            return None
        return percent_change(current, previous)

    @property
    def gmv_change(self):
        return self.change("gmv")

    @property
    def orders_change(self):
        return self.change("orders")

    @property
    def aov_change(self):
        return self.change("aov")


def kpi_cards(*, today: date, windows=(7, 30)) -> list[KpiCard]:
    """For each window of N complete days ending yesterday: that period's KPIs and the N days before."""
    cards = []
    for days in windows:
        start = today - timedelta(days=days)
        cards.append(
            KpiCard(
                days=days,
                start=start,
                end=today,
                current=kpis.kpi_totals(start=start, end=today),
                previous=kpis.kpi_totals(start=start - timedelta(days=days), end=start),
            )
        )
    return cards


def daily_gmv_by_channel(*, start: date, end: date) -> pd.DataFrame:
    """A frame indexed by date with one GMV column per channel name, zero-filled, for [start, end)."""
    rows = []
    for channel in order_selectors.order_fact_channels(start=start, end=end):
        for day, gmv in kpis.daily_values(
            metric="gmv", start=start, end=end, channel_id=channel["channel_id"]
        ).items():
            rows.append((day, channel["channel__name"], gmv))
    days = pd.date_range(start, end - timedelta(days=1), freq="D").date
    if not rows:
        return pd.DataFrame(index=pd.Index(days, name="date"))
    frame = pd.DataFrame(rows, columns=["date", "channel", "gmv"])
    return (
        frame.pivot_table(index="date", columns="channel", values="gmv", aggfunc="sum")
        .reindex(days)
        .fillna(0)
    )


def weekly_sales(*, today: date, weeks: int = 12) -> list[dict]:
    """The last `weeks` complete Monday-to-Sunday weeks with their KPIs ("week_start" and every KPI)."""
    this_monday = today - timedelta(days=today.weekday())
    series = kpis.kpi_series(start=this_monday - timedelta(weeks=weeks), end=this_monday, granularity="week")
    return [{"week_start": row["period_start"], **row} for row in series]
