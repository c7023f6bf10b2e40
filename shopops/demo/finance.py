"""Demo finance data (`finance_seed`), written last, after the orders, purchase orders and ad metrics:

- the books open 180 days before `end_date` (FinanceSettings.books_open_on) with five cash accounts: the bank
  (招商银行基本户), Alipay (Tmall payouts), the JD wallet, WeChat Pay (own store, Pinduoduo, Douyin) and the
  Shopify payouts account; a credit line in the settings;
- channel settlements: one payout line per counted order delivered since the books opened, on its expected
  day (delivery + the channel's settlement days) give or take a day or two, matched to its order; a few
  Douyin and Pinduoduo orders left unpaid and overdue (about 7 % of receivables: a watch alert), and a few
  unmatched lines (channel adjustments). One cash transaction per channel and day sums them on the
  channel's account; the wallets are swept to the bank twice a week;
- commitments (payroll on the 10th with a 13th-month bonus in late January, rent on the 1st, software, a
  weekly logistics contract, the Shopify plan, platform deposits) and their past payments;
- supplier payments of the seeded POs on their due day, and the Double 11 stock-up: a few large POs sent in
  mid/late September on 30-day terms and received early October, paid in early November; a Double 12 and a
  年货节 buy sent a few days ago, and a draft PO for January (a planned PO in the forecast);
- daily ad spend (marketing's AdMetricDay, plus the baseline of the other channels) with the Double 11
  surge from late October; taxes on the 15th at the settings' rate of last month's net sales; budgets per
  cost line for the last 6 months and the next 2;
- then the history is replayed: every Monday of the last 10 weeks and `end_date` itself, the metrics
  snapshot, the 13-week forecast of every scenario and the alert evaluation, so the alerts catch the cash
  squeeze before Double 11 (cash lowest in early November, before the festival's settlements arrive) and
  clear after; the pessimistic scenario crosses critical again on the Double 12 / New Year buys;
- a handful of risky cash-on-delivery orders placed on `end_date`, scored by the order-risk service.

Amounts follow the shop's own monthly sales (measured from the seeded orders), so the tiny and the small
demo tell the same story. Deterministic from `seed` (its own random stream).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum

from catalog.models import SKU
from finance.defaults import finance_defaults_ensure
from finance.models import (
    Alert,
    AlertAction,
    Budget,
    CashAccount,
    CashTransaction,
    Commitment,
    FinanceSettings,
    ForecastItem,
    ForecastRun,
    ForecastWeek,
    MetricSnapshot,
    OrderRisk,
    Settlement,
    SupplierPayment,
    WebhookDelivery,
    WeekActual,
)
from inventory import purchasing
from inventory.models import PurchaseOrder, StockLevel, Supplier, Warehouse
from marketing.models import AdMetricDay
from orders.models import Channel, Customer, Order

__all__ = ["FINANCE_MODELS", "finance_history_replay", "finance_seed", "risky_orders_sync"]

# Children before parents (the reset deletes in this order). The defaults rows (settings, scenarios,
# thresholds, playbook) are not demo data: finance_defaults_ensure keeps them.
FINANCE_MODELS = [
    WebhookDelivery,
    AlertAction,
    Alert,
    ForecastItem,
    ForecastWeek,
    ForecastRun,
    WeekActual,
    MetricSnapshot,
    OrderRisk,
    Settlement,
    SupplierPayment,
    CashTransaction,
    CashAccount,
    Commitment,
    Budget,
]

CENT = Decimal("0.01")
BOOKS_DAYS = 180
REPLAY_WEEKS = 10
ALERT_SCENARIOS = ["base", "pessimistic"]  # the built-in scenarios whose forecasts raise alerts

# Monthly amounts as a share of the shop's monthly sales (GMV).
PAYROLL = 0.13
RENT = 0.035
SOFTWARE = 0.012
LOGISTICS = 0.035
SHOPIFY_PLAN = 0.004
ADS = 0.05  # baseline ad spend besides the campaigns' own metrics
COGS_SHARE = 0.52  # what the demo catalogue's goods cost, as a share of sales
# The Double 11 stock-up, the Double 12 / 年货节 buys and January's draft, in months of cost of goods.
D11_STOCKUP = 1.8
D12_BUY = 0.9
NIANHUO_BUY = 1.1
JANUARY_DRAFT = 0.8
# Where the lowest actual cash lands, in months of fixed costs (just above zero: the squeeze).
LOW_POINT = 0.25
OVERDUE_SHARE = 0.07

ACCOUNTS = [
    # code, name, kind, channels paid into it
    ("cmb-basic", "招商银行基本户", CashAccount.Kind.BANK, ()),
    ("alipay", "支付宝 (天猫回款)", CashAccount.Kind.WALLET, ("tmall",)),
    ("jd-wallet", "京东钱包", CashAccount.Kind.WALLET, ("jd",)),
    ("wechat-pay", "微信支付商户号", CashAccount.Kind.WALLET, ("own_store", "pinduoduo", "douyin")),
    ("shopify-payouts", "Shopify Payments", CashAccount.Kind.WALLET, ("shopify",)),
]


def _money(x) -> Decimal:
    return Decimal(str(round(float(x), 4))).quantize(CENT, rounding=ROUND_HALF_UP)


def _cent(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


def _on_day(month: date, day: int) -> date:
    return month.replace(day=min(day, 28))


def finance_seed(*, scale: str, seed: int, end_date: date) -> dict[str, int]:
    """Create the demo's finance data (module docstring); returns rows created per table. Refuses to add
    anything when the demo's cash accounts exist already (returns zeros)."""
    finance_defaults_ensure()
    if CashAccount.objects.exists() or Settlement.objects.exists():
        return {model._meta.label: 0 for model in FINANCE_MODELS}
    if not Order.objects.exists():
        return {model._meta.label: 0 for model in FINANCE_MODELS}
    before = {model._meta.label: model.objects.count() for model in FINANCE_MODELS}
    with transaction.atomic():
        _Seed(scale=scale, seed=seed, end_date=end_date).run()
    return {model._meta.label: model.objects.count() - before[model._meta.label] for model in FINANCE_MODELS}


class _Seed:
    def __init__(self, *, scale: str, seed: int, end_date: date):
        self.scale = scale
        self.end = end_date
        self.open_on = end_date - timedelta(days=BOOKS_DAYS)
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.rng = np.random.default_rng([seed, 80_808])
        self.flows: list[tuple[str, date, Decimal, str, str, str, str]] = []  # account, day, amount, ...
        self.report: dict = {}

    # -- helpers ------------------------------------------------------------------------------------

    def _day(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()

    def _flow(self, account, day, amount, category, description, counterparty="", reference=""):
        if self.open_on <= day <= self.end and amount != 0:
            self.flows.append((account, day, _cent(amount), category, description, counterparty, reference))

    def _d11(self) -> date:
        year = self.end.year if self.end >= date(self.end.year, 11, 11) else self.end.year - 1
        return date(year, 11, 11)

    # -- the whole thing ----------------------------------------------------------------------------

    def run(self):
        self._measure()
        conf = FinanceSettings.get()
        conf.books_open_on = self.open_on
        conf.credit_line = _money(self.gmv_month * 0.6)
        conf.save()
        self.conf = conf
        self._settlements()
        self._purchase_orders()
        self._commitments()
        self._ads()
        self._taxes()
        self._accounts()
        self._budgets()
        self._replay()

    # -- the shop's size ----------------------------------------------------------------------------

    def _measure(self):
        start = self.end - timedelta(days=BOOKS_DAYS)
        rows = Order.objects.exclude(status__in=Order.NOT_COUNTED).filter(
            placed_at__date__gt=start, placed_at__date__lte=self.end
        )
        gmv = rows.aggregate(s=Sum("total_shop"))["s"] or Decimal("0")
        self.sales_month = float(gmv) / BOOKS_DAYS * 30.4
        # The seeded purchase orders may buy more than the shop's own sales explain (the tiny demo: a few
        # POs of whole case packs for a few dozen orders a month); the difference is sold to distributors
        # (经销商), who pay weekly, so that cash in and out keep the proportions of a real shop.
        since = self.end - timedelta(days=300)
        pos = PurchaseOrder.objects.exclude(status__in=["draft", "approved", "cancelled"]).filter(
            ordered_on__gt=since, ordered_on__lte=self.end
        )
        bought = float(pos.aggregate(s=Sum("amount"))["s"] or 0) / 300 * 30.4
        implied = bought / COGS_SHARE
        self.wholesale_month = max(implied - self.sales_month * 1.2, 0.0)
        # The other way round (the small demo): the seeded POs buy less than the shop sells; the rest of the
        # goods are bought weekly for cash (1688 现货采购), a schedule without purchase orders.
        self.spot_month = max(self.sales_month * COGS_SHARE * 0.95 - bought, 0.0)
        self.report["spot_purchases_month"] = round(self.spot_month)
        self.gmv_month = self.sales_month + self.wholesale_month
        self.cogs_month = self.gmv_month * COGS_SHARE
        self.report["sales_month"] = round(self.sales_month)
        self.report["wholesale_month"] = round(self.wholesale_month)

    # -- settlements --------------------------------------------------------------------------------

    def _settlements(self):
        conf = FinanceSettings.get()
        channels = {c.pk: c for c in Channel.objects.all()}
        self.channels = {c.code: c for c in channels.values()}
        orders = list(
            Order.objects.exclude(status__in=Order.NOT_COUNTED)
            .filter(delivered_at__isnull=False, delivered_at__date__gte=self.open_on - timedelta(days=1))
            .order_by("delivered_at", "pk")
            .values_list("pk", "channel_id", "external_id", "delivered_at", "total_shop", "refund_amount")
        )
        due = []
        outstanding_later = Decimal("0")
        for pk, channel_id, external_id, delivered_at, total, refund in orders:
            delivered_on = self._day(delivered_at)
            if delivered_on < self.open_on:
                continue
            channel = channels[channel_id]
            net = (
                _cent(total)
                - _cent(total * channel.commission_rate)
                - _cent(total * channel.payment_fee_rate)
                - _cent(refund)
            )
            if net <= 0:
                continue
            expected = delivered_on + timedelta(days=channel.settlement_days)
            if expected > self.end:
                outstanding_later += net
                continue
            due.append((pk, channel, external_id, expected, net))
        # Receivables not yet due on end_date (delivered orders, plus those on their way).
        undelivered = (
            Order.objects.exclude(status__in=Order.NOT_COUNTED)
            .filter(delivered_at__isnull=True)
            .aggregate(s=Sum("total_shop"))["s"]
            or 0
        )
        receivables = outstanding_later + Decimal(str(undelivered)) * Decimal("0.95")
        target = receivables * Decimal(str(OVERDUE_SHARE / (1 - OVERDUE_SHARE)))
        grace = conf.overdue_grace_days
        candidates = [
            i
            for i, (_pk, channel, _ext, expected, _net) in enumerate(due)
            if channel.code in ("douyin", "pinduoduo")
            and self.end - timedelta(days=45) <= expected <= self.end - timedelta(days=grace + 4)
        ]
        unpaid = set()
        total = Decimal("0")
        for i in self.rng.permutation(candidates).tolist():
            if total >= target:
                break
            unpaid.add(i)
            total += due[i][4]
        self.report["overdue_left"] = str(total)
        rows = []
        seq = defaultdict(int)
        daily = defaultdict(Decimal)  # (channel code, day) -> amount
        for i, (pk, channel, external_id, expected, net) in enumerate(due):
            if i in unpaid:
                continue
            shift = int(self.rng.choice([-1, 0, 0, 0, 1, 1, 2]))
            settled_on = min(max(expected + timedelta(days=shift), self.open_on), self.end)
            seq[channel.code] += 1
            rows.append(
                Settlement(
                    channel=channel,
                    reference=f"{channel.code.upper()}-{settled_on:%Y%m%d}-{seq[channel.code]:06d}",
                    order_external_id=external_id,
                    order_id=pk,
                    amount=net,
                    settled_on=settled_on,
                )
            )
            daily[(channel.code, settled_on)] += net
        # A few payout lines that match no order: channel adjustments and compensation credits.
        for k in range(4):
            code = ["tmall", "jd", "douyin", "tmall"][k]
            if code not in self.channels:
                continue
            day = self.end - timedelta(days=int(self.rng.integers(3, 60)))
            amount = _money(self.sales_month * float(self.rng.uniform(0.002, 0.006)))
            seq[code] += 1
            rows.append(
                Settlement(
                    channel=self.channels[code],
                    reference=f"{code.upper()}-{day:%Y%m%d}-ADJ{seq[code]:04d}",
                    order_external_id=f"ADJ-{day:%Y%m%d}-{k + 1:02d}",
                    amount=amount,
                    settled_on=day,
                )
            )
            daily[(code, day)] += amount
        Settlement.objects.bulk_create(rows, batch_size=2_000)
        account_of = {ch: code for code, _n, _k, chans in ACCOUNTS for ch in chans}
        for (code, day), amount in sorted(daily.items()):
            self._flow(
                account_of.get(code, "cmb-basic"),
                day,
                amount,
                "settlement",
                f"{self.channels[code].name} 结算回款",
                self.channels[code].name,
                f"STL-{code}-{day:%Y%m%d}",
            )
        # Distributors (only where the seeded POs outgrow the shop's own sales): weekly, shaped like the
        # channel settlements (their festival sell-through pays later too).
        if self.wholesale_month > 0:
            week_total = defaultdict(Decimal)
            for (_code, day), amount in daily.items():
                week_total[day - timedelta(days=day.weekday())] += amount
            base = sum(week_total.values()) or Decimal("1")
            factor = Decimal(str(self.wholesale_month * BOOKS_DAYS / 30.4)) / base
            # Their Double 11 orders are paid right after the festival: money the forecast did not expect.
            self._flow(
                "cmb-basic",
                self._d11() + timedelta(days=2),
                _money(self.wholesale_month * 0.55),
                "other_income",
                "经销商双11订货款 Distributors' Double 11 orders",
                "华东经销商",
                f"B2B-D11-{self._d11().year}",
            )
            for week, amount in sorted(week_total.items()):
                self._flow(
                    "cmb-basic",
                    week + timedelta(days=4),
                    amount * factor,
                    "other_income",
                    "经销商货款 Distributor payments",
                    "华东经销商",
                    f"B2B-{week:%Y%m%d}",
                )

    # -- purchase orders and supplier payments ------------------------------------------------------

    def _po(self, supplier, warehouse, amount: float, note: str):
        items = list(supplier.items.select_related("sku").order_by("sku__code"))
        if not items:
            return None
        chosen = sorted(self.rng.permutation(len(items))[: min(3, len(items))].tolist())
        lines = []
        share = amount / len(chosen)
        for k in chosen:
            item = items[k]
            pack = max(item.case_pack, 1)
            quantity = max(int(share / float(item.unit_cost) / pack), 1) * pack
            quantity = max(quantity, -(-item.min_order_qty // pack) * pack)
            lines.append(purchasing.LineInput(sku_code=item.sku.code, quantity=quantity))
        return purchasing.po_create(supplier=supplier, warehouse=warehouse, lines=lines, note=note, user=None)

    def _purchase_orders(self):
        suppliers = [s for s in Supplier.objects.filter(active=True).order_by("code") if s.items.exists()]
        warehouses = list(Warehouse.objects.filter(active=True).order_by("code"))
        self.report["d11_pos"] = []
        if suppliers and warehouses:
            d11 = self._d11()
            # The Double 11 stock-up: sent mid/late September, received early October, 30-day terms.
            n = min(4, len(suppliers))
            picks = self.rng.permutation(len(suppliers))[:n].tolist()
            weights = self.rng.dirichlet(np.full(n, 4.0))
            for j, s in enumerate(picks):
                ordered = d11 - timedelta(days=int(self.rng.integers(47, 58)))
                received = d11 - timedelta(days=int(self.rng.integers(34, 40)))
                if ordered < self.open_on or received > self.end:
                    continue
                order = self._po(
                    suppliers[s],
                    warehouses[j % len(warehouses)],
                    self.cogs_month * D11_STOCKUP * weights[j],
                    "双11备货 Double 11 stock-up",
                )
                if order is None:
                    continue
                PurchaseOrder.objects.filter(pk=order.pk).update(payment_terms_days=30)
                purchasing.po_approve(order=order, user=None)
                order = purchasing.po_send(order=order, ordered_on=ordered)
                receipts = [
                    purchasing.ReceiptInput(line.pk, line.quantity) for line in order.lines.order_by("pk")
                ]
                purchasing.po_receive(order=order, receipts=receipts, received_on=received)
                self.report["d11_pos"].append(order.number)
            # The Double 12 and 年货节 buys, sent a few days ago; a draft for January.
            for k, (months, terms, note) in enumerate(
                [
                    (D12_BUY, 30, "双12备货 Double 12 stock"),
                    (NIANHUO_BUY, 60, "年货节备货 New Year goods festival"),
                ]
            ):
                supplier = suppliers[(picks[k % n] + 1) % len(suppliers)]
                order = self._po(supplier, warehouses[k % len(warehouses)], self.cogs_month * months, note)
                if order is None:
                    continue
                PurchaseOrder.objects.filter(pk=order.pk).update(payment_terms_days=terms)
                purchasing.po_approve(order=order, user=None)
                purchasing.po_send(order=order, ordered_on=self.end - timedelta(days=3 + 2 * k))
            self._po(
                suppliers[picks[0]],
                warehouses[0],
                self.cogs_month * JANUARY_DRAFT,
                "1月补货 January replenishment",
            )
        # Pay every PO due by end_date on its due day (a received one from its first receipt).
        payments = []
        for po in PurchaseOrder.objects.filter(
            status__in=["sent", "partial", "received", "closed"], ordered_on__isnull=False
        ).select_related("supplier"):
            due = (po.received_on or po.ordered_on) + timedelta(days=po.payment_terms_days)
            if due > self.end or po.amount <= 0:
                continue
            payments.append(
                SupplierPayment(
                    purchase_order=po,
                    amount=po.amount,
                    paid_on=due,
                    reference=f"PAY-{po.number}",
                    note="demo",
                )
            )
            self._flow(
                "cmb-basic",
                due,
                -po.amount,
                "supplier",
                f"{po.number} 货款",
                po.supplier.name,
                f"PAY-{po.number}",
            )
        SupplierPayment.objects.bulk_create(payments)

    # -- commitments --------------------------------------------------------------------------------

    def _commitments(self):
        g = self.gmv_month
        weekly_logistics = _money(g * LOGISTICS * 12 / 52)
        first_month = _month_start(self.open_on)
        jan = date(self.end.year + 1, 1, 1) if self.end.month >= 7 else date(self.end.year, 1, 1)
        payroll = _money(g * PAYROLL)
        specs = [
            # name, category, amount, frequency, first payment, fixed, last payment
            ("工资 Payroll", "payroll", payroll, "monthly", _on_day(first_month, 10), True, None),
            ("年终奖 13th-month bonus", "payroll", payroll, "once", jan.replace(day=26), False, None),
            ("仓库及办公室租金 Rent", "rent", _money(g * RENT), "monthly", first_month, True, None),
            (
                "ERP 与 SaaS 订阅 Software",
                "software",
                _money(g * SOFTWARE),
                "monthly",
                _on_day(first_month, 5),
                True,
                None,
            ),
            (
                "快递合同 Logistics contract",
                "logistics",
                weekly_logistics,
                "weekly",
                self.open_on + timedelta(days=(4 - self.open_on.weekday()) % 7),
                True,
                None,
            ),
            (
                "Shopify 套餐 Shopify plan",
                "platform_fees",
                _money(g * SHOPIFY_PLAN),
                "monthly",
                _on_day(first_month, 3),
                True,
                None,
            ),
            (
                "京东保证金补缴 JD deposit top-up (Double 11)",
                "deposit",
                _money(g * 0.08),
                "once",
                self._d11() - timedelta(days=25),
                False,
                None,
            ),
            (
                "天猫保证金补缴 Tmall deposit top-up (Double 12)",
                "deposit",
                _money(g * 0.10),
                "once",
                date(self._d11().year, 12, 1),
                False,
                None,
            ),
        ]
        if self.spot_month > 0:
            specs.append(
                (
                    "1688 现货采购 Spot purchases",
                    "supplier",
                    _money(self.spot_month * 12 / 52),
                    "weekly",
                    self.open_on + timedelta(days=(1 - self.open_on.weekday()) % 7),
                    False,
                    None,
                )
            )
        if self.wholesale_month > 0:
            specs.append(
                (
                    "经销商货款 Distributor payments",
                    "other_income",
                    _money(self.wholesale_month * 12 / 52),
                    "weekly",
                    self.open_on + timedelta(days=(4 - self.open_on.weekday()) % 7),
                    False,
                    None,
                )
            )
        rows = []
        for name, category, amount, frequency, first, fixed, last in specs:
            direction = "in" if category == "other_income" else "out"
            rows.append(
                Commitment(
                    name=name,
                    category=category,
                    direction=direction,
                    amount=amount,
                    frequency=frequency,
                    starts_on=first,
                    ends_on=last,
                    fixed=fixed,
                    note="demo",
                )
            )
            if direction == "in":
                continue  # the distributors' past payments are booked with the settlements
            for day in self._dates(frequency, first, self.open_on, self.end):
                self._flow("cmb-basic", day, -amount, category, name, "", "")
        Commitment.objects.bulk_create(rows)
        self.fixed_month = (
            float(payroll) + g * (RENT + SOFTWARE + SHOPIFY_PLAN) + float(weekly_logistics) * 52 / 12
        )

    @staticmethod
    def _dates(frequency, first, start, end):
        out = []
        if frequency == "once":
            return [first] if start <= first <= end else []
        if frequency == "weekly":
            d = first
            while d <= end:
                if d >= start:
                    out.append(d)
                d += timedelta(days=7)
            return out
        month = _month_start(first)
        while month <= end:
            d = month.replace(day=first.day)
            if start <= d <= end and d >= first:
                out.append(d)
            month = _add_months(month, 1)
        return out

    # -- ads and taxes ------------------------------------------------------------------------------

    def _surge(self, day: date) -> float:
        k = (day - self._d11()).days
        if -22 <= k <= 0:
            return 3.0 + (1.5 if k >= -3 else 0.0)
        if 1 <= k <= 3:
            return 1.5
        return 1.0

    def _ads(self):
        spend = defaultdict(float)
        for day, amount in AdMetricDay.objects.values_list("day", "spend"):
            spend[day] += float(amount)
        daily_cap = self.gmv_month * 0.04 / 30.4
        mean = (sum(spend.values()) / len(spend)) if spend else 0.0
        scale = min(1.0, daily_cap / mean) if mean else 0.0
        base = self.gmv_month * ADS / 30.4
        day = self.open_on
        while day <= self.end:
            noise = float(self.rng.uniform(0.85, 1.15))
            amount = base * self._surge(day) * noise + spend.get(day, 0.0) * scale
            self._flow(
                "cmb-basic",
                day,
                -_money(amount),
                "ads",
                "广告投放 Ad spend (直通车/京东快车/巨量引擎)",
                "",
                "",
            )
            day += timedelta(days=1)

    def _taxes(self):
        rate = float(self.conf.tax_rate)
        month = _month_start(self.open_on)
        while month <= self.end:
            pay = _on_day(month, self.conf.tax_day)
            prev = _add_months(month, -1)
            agg = (
                Order.objects.exclude(status__in=Order.NOT_COUNTED)
                .filter(placed_at__date__gte=prev, placed_at__date__lt=month)
                .aggregate(t=Sum("total_shop"), r=Sum("refund_amount"))
            )
            net = float((agg["t"] or 0) - (agg["r"] or 0)) + self.wholesale_month
            self._flow(
                "cmb-basic", pay, -_money(net * rate), "tax", f"{prev:%Y-%m} 增值税及附加 Taxes", "税务局", ""
            )
            month = _add_months(month, 1)

    # -- accounts and balances ----------------------------------------------------------------------

    def _accounts(self):
        # Sweep the wallets to the bank twice a week.
        by_account = defaultdict(lambda: defaultdict(Decimal))
        for account, day, amount, *_rest in self.flows:
            by_account[account][day] += amount
        day = self.open_on
        balance = defaultdict(Decimal)
        wallet_open = {
            code: _money(self.sales_month * 0.03) for code, _n, kind, _c in ACCOUNTS if kind != "bank"
        }
        for code, value in wallet_open.items():
            balance[code] = value
        sweeps = []
        while day <= self.end:
            for code in wallet_open:
                balance[code] += by_account[code].get(day, Decimal("0"))
                if day.weekday() in (0, 3) and balance[code] > 0:
                    sweeps.append((code, day, balance[code]))
                    balance[code] = Decimal("0")
            day += timedelta(days=1)
        for code, day, amount in sweeps:
            ref = f"SWEEP-{code}-{day:%Y%m%d}"
            self._flow(code, day, -amount, "transfer", "提现至基本户 Withdrawal to the bank", "招商银行", ref)
            self._flow("cmb-basic", day, amount, "transfer", f"{code} 提现 Withdrawal", code, ref)
        # The bank's opening balance puts the lowest total cash just above zero (the squeeze).
        total_by_day = defaultdict(Decimal)
        bank_by_day = defaultdict(Decimal)
        for account, day, amount, *_rest in self.flows:
            total_by_day[day] += amount
            if account == "cmb-basic":
                bank_by_day[day] += amount
        running = sum(wallet_open.values())
        bank_running = Decimal("0")
        low_total, low_bank = running, Decimal("0")
        low_day = self.open_on
        day = self.open_on
        while day <= self.end:
            running += total_by_day.get(day, Decimal("0"))
            bank_running += bank_by_day.get(day, Decimal("0"))
            if running < low_total:
                low_total, low_day = running, day
            low_bank = min(low_bank, bank_running)
            day += timedelta(days=1)
        target = Decimal(str(round(self.fixed_month * LOW_POINT, 2)))
        bank_open = _cent(max(target - low_total, target - low_bank - sum(wallet_open.values())))
        self.report["low_point"] = (low_day.isoformat(), str(low_total + bank_open))
        self.lowest_cash = min(low_total + bank_open, low_bank + bank_open)
        accounts = {}
        for code, name, kind, _chans in ACCOUNTS:
            accounts[code] = CashAccount.objects.create(
                code=code,
                name=name,
                kind=kind,
                opening_balance=bank_open if code == "cmb-basic" else wallet_open[code],
                opening_on=self.open_on,
            )
        CashTransaction.objects.bulk_create(
            [
                CashTransaction(
                    account=accounts[account],
                    booked_on=day,
                    amount=amount,
                    category=category,
                    description=description[:300],
                    counterparty=counterparty[:200],
                    reference=reference,
                    source=CashTransaction.Source.IMPORT if reference else CashTransaction.Source.MANUAL,
                )
                for account, day, amount, category, description, counterparty, reference in sorted(
                    self.flows, key=lambda f: (f[1], f[0])
                )
            ],
            batch_size=2_000,
        )

    # -- budgets ------------------------------------------------------------------------------------

    def _budgets(self):
        g = self.gmv_month
        this_month = _month_start(self.end)
        d11_month = _month_start(self._d11())
        rows = []
        for k in range(-5, 3):
            month = _add_months(this_month, k)
            festive = month in (d11_month, _add_months(d11_month, -1))
            lines = {
                "platform_fees": g * 0.055 * (1.3 if festive else 1.0),
                "deposits": g * 0.08 if month == _add_months(d11_month, 1) else 0.0,
                "promotion": g * ADS * (1.6 if festive else 1.0) + g * 0.03,
                "staff": g * PAYROLL * (2 if month.month == 1 else 1),
                "logistics": g * LOGISTICS * (1.1 if festive else 1.0),
                "technology": g * SOFTWARE * 1.05,
            }
            rows += [
                Budget(month=month, line=line, amount=_money(amount), note="demo")
                for line, amount in lines.items()
            ]
        Budget.objects.bulk_create(rows)

    # -- replaying the history ----------------------------------------------------------------------

    def _replay(self):
        self.report.update(finance_history_replay(end_date=self.end))


# -- replaying the history ----------------------------------------------------------------------------------


def _lowest_cash(start: date, end: date, *, account: str = "") -> Decimal:
    """The lowest cash at the end of any day in [start, end], of one account or of all the active ones
    together, in two queries."""
    accounts = CashAccount.objects.filter(active=True, opening_on__lte=start)
    if account:
        accounts = accounts.filter(code=account)
    running = sum((a.opening_balance for a in accounts), Decimal("0"))
    by_day = dict(
        CashTransaction.objects.filter(account__in=accounts, booked_on__gte=start, booked_on__lte=end)
        .values_list("booked_on")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    lowest, day = running, start
    while day <= end:
        running += by_day.get(day, Decimal("0"))
        lowest = min(lowest, running)
        day += timedelta(days=1)
    return lowest


def _calibrate(end_date: date) -> dict:
    """Set the level of cash (the bank's opening balance; it moves every balance and every projection by the
    same amount) so that on `end_date` the critical line (half a month of fixed costs) falls between the base
    and the pessimistic scenario's lowest projected balance (just under the base); never below zero."""
    from finance.services.forecast import cashflow_forecast_build

    lows = {
        run.scenario.code: (run.lowest_closing, run.monthly_fixed_costs)
        for run in cashflow_forecast_build(
            business_date=end_date, scenario_codes=ALERT_SCENARIOS, with_items=False
        )
    }
    ForecastRun.objects.all().delete()
    WeekActual.objects.all().delete()
    base, fixed = lows["base"]
    pessimistic, _fixed = lows["pessimistic"]
    critical = fixed * Decimal("0.5")
    # The base scenario ends a little above the line (warning at most), the pessimistic one below it.
    above = min(fixed * Decimal("0.25"), (base - pessimistic) / 4)
    shift = critical + above - base
    # ... but cash itself never goes below zero.
    conf = FinanceSettings.get()
    start = conf.books_open_on or end_date - timedelta(days=BOOKS_DAYS)
    lowest = min(_lowest_cash(start, end_date), _lowest_cash(start, end_date, account="cmb-basic"))
    shift = max(shift, -lowest)
    bank = CashAccount.objects.get(code="cmb-basic")
    bank.opening_balance = _cent(bank.opening_balance + shift)
    bank.save(update_fields=["opening_balance", "updated_at"])
    return {"calibration_shift": str(_cent(shift)), "lowest_cash": str(_cent(lowest + shift))}


def finance_history_replay(*, end_date: date) -> dict:
    """The finance history as the nightly jobs would have written it: set the level of cash (`_calibrate`),
    then for every Monday of the last REPLAY_WEEKS weeks and the end date, in order, the working-capital
    snapshot, the forecast and the alert evaluation at that night's time. Replaces what an earlier replay
    or nightly run wrote (alerts, forecasts, snapshots). `manage.py demo` runs it again after the nightly
    pipeline, so that today's forecast, which then reads the demand forecast and the replenishment
    suggestions, is the one calibrated."""
    from finance.services import alerts as alert_services
    from finance.services.forecast import cashflow_forecast_build
    from finance.services.metrics import metrics_snapshot_build

    if not CashAccount.objects.filter(code="cmb-basic").exists():
        return {}
    tz = ZoneInfo(settings.TIME_ZONE)
    with transaction.atomic():
        WebhookDelivery.objects.all().delete()
        AlertAction.objects.all().delete()
        Alert.objects.all().delete()
        ForecastRun.objects.all().delete()
        WeekActual.objects.all().delete()
        MetricSnapshot.objects.all().delete()
        report = _calibrate(end_date)
        days = []
        d = end_date - timedelta(days=7 * REPLAY_WEEKS)
        d -= timedelta(days=d.weekday())
        while d <= end_date:
            days.append(d)
            d += timedelta(days=7)
        if days[-1] != end_date:
            days.append(end_date)
        for day in days:
            now = datetime.combine(day + timedelta(days=1), time(2, 30), tzinfo=tz)
            metrics_snapshot_build(business_date=day)
            if day == end_date:  # today's forecast: every scenario, with the items behind the numbers
                cashflow_forecast_build(business_date=day)
            else:  # the history the alerts were raised from: the scenarios that raise alerts, weeks only
                cashflow_forecast_build(business_date=day, scenario_codes=ALERT_SCENARIOS, with_items=False)
            alert_services.alerts_evaluate(business_date=day, now=now)
        # A finance user acknowledged the first warning and resolved the first watch that recovered.
        first_warning = Alert.objects.filter(level="warning").order_by("raised_at", "pk").first()
        if first_warning is not None and first_warning.status == Alert.Status.OPEN:
            alert_services.alert_acknowledge(
                alert=first_warning,
                user=None,
                note="已与采购和市场部复核13周预测 Reviewed with purchasing and marketing.",
            )
        cleared_watch = (
            Alert.objects.filter(level="watch", cleared_at__isnull=False, status__in=["open", "acknowledged"])
            .order_by("raised_at", "pk")
            .first()
        )
        if cleared_watch is not None:
            alert_services.alert_resolve(
                alert=cleared_watch, user=None, note="双11回款已到账 Double 11 settlements arrived."
            )
    return {**report, "replayed_days": len(days)}


# -- risky orders ---------------------------------------------------------------------------------------


def risky_orders_sync(*, now: datetime) -> dict:
    """A few cash-on-delivery orders arriving through the channel sync (as a connector would send them) an
    hour before `now`, the kind the anti-fraud rules look for, then the risk job scores them: a new customer's
    high-value order, three names behind one phone and address, and a regular customer's order sent to
    another province. Returns the scoring's counts. Idempotent: the orders' external ids are fixed per day."""
    from finance.services.risk import orders_risk_score
    from orders.schemas import CustomerIn, LineIn, OrderIn
    from orders.services import order_sync

    channel = (
        Channel.objects.filter(code="douyin", active=True).first()
        or Channel.objects.filter(active=True).first()
    )
    sku = (
        SKU.objects.filter(active=True, list_price__gt=0)
        .filter(pk__in=StockLevel.objects.filter(on_hand__gt=F("reserved") + 20).values("sku_id"))
        .order_by("-list_price", "code")
        .first()
    )
    if channel is None or sku is None:
        return {}
    tz = ZoneInfo(settings.TIME_ZONE)
    day = now.astimezone(tz).strftime("%Y%m%d")
    regular = (
        Customer.objects.filter(channel=channel, orders__status="delivered")
        .exclude(province="")
        .exclude(province="新疆")
        .order_by("id")
        .first()
    )
    phone = "13800138000"
    address = "深圳市宝安区西乡街道固戍一路88号"
    people = [
        # customer external id, name, phone, province, address, quantity
        (f"risk-{day}-1", "赵雪", "13900139001", "新疆", "乌鲁木齐市天山区解放北路1号", 12),
        (f"risk-{day}-2", "王小明", phone, "广东", address, 2),
        (f"risk-{day}-3", "王晓鸣", phone, "广东", address, 2),
        (f"risk-{day}-4", "汪小敏", phone, "广东", address, 3),
    ]
    if regular is not None:
        people.append(
            (regular.external_id, regular.name, regular.phone, "新疆", "乌鲁木齐市沙依巴克区友好路9号", 1)
        )
    orders = []
    for k, (customer_id, name, tel, province, street, quantity) in enumerate(people):
        placed = now - timedelta(minutes=60 - 7 * k)
        total = sku.list_price * quantity
        orders.append(
            OrderIn(
                external_id=f"RISK{day}{k + 1:02d}",
                placed_at=placed,
                updated_at=placed,
                status="pending",
                lines=[LineIn(sku=sku.code, quantity=quantity, unit_price=sku.list_price)],
                total=total,
                payment_method="cod",
                customer=CustomerIn(external_id=customer_id, name=name, phone=tel, province=province),
                city=street[:3],
                address=street,
            )
        )
    result = order_sync(channel_code=channel.code, orders=orders, source="demo")
    scored = orders_risk_score(now=now)
    return {"created": result.created, "updated": result.updated, "rejected": len(result.rejected), **scored}
