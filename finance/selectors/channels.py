"""Reads of the finance area."""

from datetime import date
from decimal import Decimal

from orders import selectors as order_selectors
from shopops.common.money import to_money


def channel_economics(*, start: date, end: date) -> tuple[list[dict], dict]:
    """Per channel over [start, end): GMV, platform commission, payment fees and net, to the cent."""
    channels = {c.code: c for c in order_selectors.channel_list()}
    rows = []
    for row in order_selectors.customer_base_by_channel(start=start, end=end):
        channel = channels.get(row["channel"])
        if channel is None:
            continue
        gmv = to_money(row["gmv"])
        commission = to_money(gmv * channel.commission_rate)
        payment_fee = to_money(gmv * channel.payment_fee_rate)
        rows.append(
            {
                "channel": channel,
                "gmv": gmv,
                "commission": commission,
                "payment_fee": payment_fee,
                "net": gmv - commission - payment_fee,
            }
        )
    totals = {
        key: sum((r[key] for r in rows), Decimal("0.00"))
        for key in ("gmv", "commission", "payment_fee", "net")
    }
    return rows, totals
