"""The forecast built from a small hand-built business: balances to the cent, settlement lags, planned
purchases, scenarios, taxes, as-of semantics, idempotent rebuilds, actual weeks and accuracy."""

from datetime import date
from decimal import Decimal

import pytest

from finance.models import CashCategory, ForecastItem, ForecastRun, Scenario, WeekActual
from finance.selectors import forecast as forecast_selectors
from finance.services.forecast import cashflow_forecast_build
from finance.tests.factories_forecast import CashTransactionFactory, CommitmentFactory, small_business

pytestmark = pytest.mark.django_db
D = Decimal


def weeks_of(run):
    return {w.index: w for w in forecast_selectors.forecast_weeks(run=run)}


def line(week, code):
    return D(week.lines[code])


def test_base_week_balances_and_lines_to_the_cent():
    biz = small_business()
    (run,) = cashflow_forecast_build(business_date=biz["as_of"], scenario_codes=["base"])
    assert run.opening_balance == D("10000.00")
    weeks = weeks_of(run)
    assert len(weeks) == 13
    assert weeks[0].week_start == date(2024, 10, 7)
    w0, w1, w2 = weeks[0], weeks[1], weeks[2]
    # Order A: due 10-13; settled on 10-08, after D, so still outstanding at D.
    assert line(w0, "settlements") == D("94.40")
    assert w0.inflow == D("94.40") and w0.outflow == D("0.00")
    assert w0.closing == D("10094.40")
    # Order B: placed 10-05, not delivered: 10-05 + 3 + 10 = 10-18. Forecast sales of 10-07 paid 10-20.
    assert line(w1, "settlements") == D("188.80")
    assert line(w1, "forecast_sales") == D("9.44")
    assert line(w1, "payables") == D("500.00")
    assert line(w1, "rent") == D("1000.00")
    assert w1.opening == D("10094.40")
    assert w1.closing == D("8792.64")
    # The suggestion: ordered 10-07, 5 days' lead + 15 days' terms = 10-27.
    assert line(w2, "forecast_sales") == D("66.08")
    assert line(w2, "planned_pos") == D("120.00")
    assert w2.closing == D("8738.72")
    # The draft PO: 10-07 + 10 days' lead + its 30 days' terms = 11-16 (week 5).
    assert line(weeks[5], "planned_pos") == D("300.00")
    assert line(weeks[5], "rent") == D("1000.00")
    for w in weeks.values():
        assert w.closing == w.opening + w.inflow - w.outflow
        ins = sum((D(w.lines[c]) for c in ("settlements", "forecast_sales", "other_in")), D("0"))
        assert ins == w.inflow
    assert run.lowest_closing == min(w.closing for w in weeks.values())
    assert run.monthly_fixed_costs == D("1000.00")
    assert run.cushion == D("3000.00")
    assert run.inputs["receivables"] == 2
    assert run.inputs["forecast_source"] == "sku_forecast"


def test_settlement_lag_moves_cash_to_the_right_week():
    biz = small_business()
    biz["channel"].settlement_days = 17  # order A: 10-03 + 17 = 10-20, week 1
    biz["channel"].save()
    (run,) = cashflow_forecast_build(business_date=biz["as_of"], scenario_codes=["base"])
    weeks = weeks_of(run)
    assert line(weeks[0], "settlements") == D("0.00")
    assert line(weeks[1], "settlements") == D("94.40")
    assert line(weeks[2], "settlements") == D("188.80")  # order B: 10-05 + 3 + 17 = 10-25


def test_pessimistic_changes_only_sales_and_settlement_timing():
    biz = small_business(with_campaign=True)
    base, pess = cashflow_forecast_build(business_date=biz["as_of"], scenario_codes=["base", "pessimistic"])
    assert base.scenario.code == "base" and pess.scenario.code == "pessimistic"
    bw, pw = weeks_of(base), weeks_of(pess)
    for i in range(13):
        for code in ("payables", "planned_pos", "payroll", "rent", "ads", "tax", "other_out", "other_in"):
            assert bw[i].lines[code] == pw[i].lines[code], (i, code)
    # Every settlement 7 days later.
    base_items = {i.ref_id: i for i in ForecastItem.objects.filter(run=base, line="settlements")}
    pess_items = {i.ref_id: i for i in ForecastItem.objects.filter(run=pess, line="settlements")}
    assert set(base_items) == set(pess_items)
    for ref, item in base_items.items():
        assert (pess_items[ref].due_on - item.due_on).days == 7
        assert pess_items[ref].amount == item.amount
    # Forecast sales x 0.8 (10.00 x 0.8 x 0.944 = 7.55 a day), paid 7 days later.
    pess_sales = ForecastItem.objects.filter(run=pess, line="forecast_sales").order_by("due_on")
    assert {i.amount for i in pess_sales} == {D("7.55")}
    assert pess_sales[0].due_on == date(2024, 10, 27)
    assert line(pw[0], "settlements") == D("0.00")
    assert pw[1].closing == D("10000.00") + D("94.40") - D("1000.00") - D("500.00") - D("75.00") - D("525.00")
    # The campaign's remaining 600.00 over 10-07..10-14: 525.00 then 75.00.
    assert line(bw[0], "ads") == D("525.00")
    assert line(bw[1], "ads") == D("75.00")


def test_custom_multipliers_scale_their_lines():
    biz = small_business(with_campaign=True)
    Scenario.objects.create(
        code="lean",
        name="Lean",
        purchase_multiplier=D("0.5"),
        expense_multiplier=D("2"),
        ads_multiplier=D("0"),
    )
    base, lean = cashflow_forecast_build(business_date=biz["as_of"], scenario_codes=["base", "lean"])
    bw, lw = weeks_of(base), weeks_of(lean)
    assert line(lw[2], "planned_pos") == D("60.00")
    assert line(lw[5], "planned_pos") == D("150.00")
    assert line(lw[1], "rent") == D("2000.00")
    assert line(lw[0], "ads") == D("0.00")
    assert line(lw[1], "payables") == line(bw[1], "payables")  # payables are owed: not scaled
    assert line(lw[1], "forecast_sales") == line(bw[1], "forecast_sales")


def test_taxes_on_the_following_month():
    biz = small_business(tax_rate="0.0300")
    base, pess = cashflow_forecast_build(business_date=biz["as_of"], scenario_codes=["base", "pessimistic"])
    items = {i.ref_id: i for i in ForecastItem.objects.filter(run=base, line="tax")}
    # October: 300.00 sold + 25 forecast days x 10.00 = 550.00 x 3 % on 11-15; November 300.00 -> 9.00.
    assert items["2024-10"].amount == D("16.50")
    assert items["2024-10"].due_on == date(2024, 11, 15)
    assert items["2024-11"].amount == D("9.00")
    assert "2024-09" not in items and "2024-12" not in items
    ptax = {i.ref_id: i.amount for i in ForecastItem.objects.filter(run=pess, line="tax")}
    assert ptax["2024-10"] == D("15.00")  # 300 + 200 forecast x 3 %


def test_commitments_in_and_out_lines():
    biz = small_business()
    CommitmentFactory(name="Payroll", category="payroll", amount=D("2000.00"), starts_on=date(2024, 1, 10))
    CommitmentFactory(
        name="Loan",
        category="financing",
        direction="in",
        amount=D("5000.00"),
        frequency="once",
        starts_on=date(2024, 10, 9),
    )
    CommitmentFactory(
        name="SaaS", category="software", amount=D("99.00"), frequency="weekly", starts_on=date(2024, 10, 1)
    )
    (run,) = cashflow_forecast_build(business_date=biz["as_of"], scenario_codes=["base"])
    weeks = weeks_of(run)
    assert line(weeks[0], "payroll") == D("2000.00")
    assert line(weeks[0], "other_in") == D("5000.00")
    assert line(weeks[0], "other_out") == D("99.00")  # 10-08
    assert sum(line(w, "other_out") for w in weeks.values()) == D("99.00") * 13


def test_rebuild_same_day_is_idempotent_and_keeps_items_of_newest_only():
    biz = small_business()
    first = cashflow_forecast_build(business_date=biz["as_of"])
    snapshot = {
        r.scenario.code: [(w.closing, w.lines) for w in forecast_selectors.forecast_weeks(run=r)]
        for r in first
    }
    second = cashflow_forecast_build(business_date=biz["as_of"])
    assert ForecastRun.objects.count() == Scenario.objects.count() == 3
    assert {r.pk for r in first} == {r.pk for r in second}
    for r in second:
        assert [(w.closing, w.lines) for w in forecast_selectors.forecast_weeks(run=r)] == snapshot[
            r.scenario.code
        ]
    items = ForecastItem.objects.filter(run__scenario__code="base").count()
    cashflow_forecast_build(business_date=date(2024, 10, 7), scenario_codes=["base"])
    assert ForecastRun.objects.filter(scenario__code="base").count() == 2
    old = ForecastRun.objects.get(scenario__code="base", business_date=biz["as_of"])
    assert not old.items.exists()
    assert old.weeks.count() == 13
    assert items > 0
    latest = forecast_selectors.forecast_latest(scenario_code="base")
    assert latest.business_date == date(2024, 10, 7)


def test_drill_down_items_sum_to_every_cell():
    biz = small_business(tax_rate="0.0300", with_campaign=True)
    (run,) = cashflow_forecast_build(business_date=biz["as_of"], scenario_codes=["base"])
    for week in forecast_selectors.forecast_weeks(run=run):
        for code, amount in week.lines.items():
            items = forecast_selectors.forecast_items(run=run, week_index=week.index, line=code)
            assert sum((i.amount for i in items), D("0.00")) == D(amount), (week.index, code)


def test_week_actuals_and_accuracy():
    biz = small_business()
    from finance.models import CashAccount

    bank = CashAccount.objects.get(code="bank")
    CashTransactionFactory(
        account=bank, booked_on=date(2024, 9, 30), amount=D("300.00"), category=CashCategory.SETTLEMENT
    )
    CashTransactionFactory(
        account=bank, booked_on=date(2024, 10, 1), amount=D("-120.00"), category=CashCategory.RENT
    )
    CashTransactionFactory(
        account=bank, booked_on=date(2024, 10, 2), amount=D("-50.00"), category=CashCategory.SOFTWARE
    )
    CashTransactionFactory(
        account=bank, booked_on=date(2024, 10, 2), amount=D("20.00"), category=CashCategory.OTHER
    )
    CashTransactionFactory(
        account=bank, booked_on=date(2024, 10, 3), amount=D("-999.00"), category=CashCategory.TRANSFER
    )
    # A base run made on Sunday 09-29 forecasting the week of 09-30 (1 week ahead).
    cashflow_forecast_build(business_date=date(2024, 9, 29), scenario_codes=["base"])
    cashflow_forecast_build(business_date=biz["as_of"], scenario_codes=["base"])
    week = WeekActual.objects.get(week_start=date(2024, 9, 30))
    assert week.opening == D("10000.00")
    assert D(week.lines["settlements"]) == D("300.00")
    assert D(week.lines["rent"]) == D("120.00")
    assert D(week.lines["other_out"]) == D("50.00")
    assert D(week.lines["other_in"]) == D("20.00")
    assert week.inflow == D("320.00") and week.outflow == D("170.00")
    assert week.closing == D("9151.00")  # the transfer left the active accounts' total too
    assert WeekActual.objects.count() == 14  # 13 weeks before each of the two runs
    rows = forecast_selectors.forecast_accuracy(weeks=1)
    one = next(a for a in rows if a.horizon == 1)
    assert one.week_start == date(2024, 9, 30)
    assert one.made_on == date(2024, 9, 29)
    run_week = ForecastRun.objects.get(business_date=date(2024, 9, 29)).weeks.get(index=0)
    assert one.forecast_closing == run_week.closing
    assert one.closing_error == abs(run_week.closing - D("9151.00"))
    assert one.net_error == abs(run_week.inflow - run_week.outflow - D("150.00"))
    four = next(a for a in rows if a.horizon == 4)
    assert four.made_on is None
