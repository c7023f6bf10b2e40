"""The compensation standard: the rule proposes, each role's limit decides who may approve."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.tests.factories import SKUFactory
from orders.tests.factories import OrderFactory
from service.models import Compensation, CompensationLimit, CompensationRule
from service.selectors import compensation as sel
from service.services import compensation as svc
from service.tests.factories_returns import shanghai, ticket_row
from shopops.common.models import Notification
from shopops.common.roles import ADMIN, FINANCE, MANAGER, SERVICE_AGENT

pytestmark = pytest.mark.django_db
St = Compensation.Status


def test_the_standard_is_seeded_and_looked_up():
    rule = svc.compensation_rule_for(problem="damaged", severity="severe")
    assert (rule.remedy, rule.amount) == ("cash", Decimal("50.00"))
    CompensationRule.objects.filter(pk=rule.pk).update(active=False)
    assert svc.compensation_rule_for(problem="damaged", severity="severe") is None


def test_user_limit_is_the_highest_over_roles(make_user):
    agent = make_user(SERVICE_AGENT, "a")
    assert svc.compensation_user_limit(agent) == Decimal("50.00")
    agent.groups.add(*make_user(MANAGER, "m").groups.all())
    del agent._shopops_roles
    assert svc.compensation_user_limit(agent) == Decimal("500.00")
    assert svc.compensation_user_limit(make_user(FINANCE, "f")) == Decimal("0")


def test_within_the_limit_is_approved_at_once_with_a_coupon_code(make_user):
    agent = make_user(SERVICE_AGENT)
    ticket = ticket_row(order=OrderFactory(), sku=SKUFactory())
    comp = svc.compensation_grant(problem="late_delivery", severity="moderate", user=agent, ticket=ticket)
    assert (comp.status, comp.remedy, comp.amount, comp.decided_by) == (
        St.APPROVED,
        "coupon",
        Decimal("10.00"),
        agent,
    )
    assert re.fullmatch(r"COMP-[A-Z2-9]{8}", comp.coupon_code)
    assert (comp.order, comp.sku, comp.customer) == (ticket.order, ticket.sku, ticket.order.customer)
    assert comp.rule == svc.compensation_rule_for(problem="late_delivery", severity="moderate")


def test_above_the_limit_waits_and_managers_are_notified(make_user):
    agent = make_user(SERVICE_AGENT, "agent")
    manager = make_user(MANAGER, "boss")
    comp = svc.compensation_grant(problem="defective", severity="severe", user=agent, order=OrderFactory())
    assert (comp.status, comp.amount, comp.decided_by, comp.coupon_code) == (
        St.PENDING,
        Decimal("80.00"),
        None,
        "",
    )
    note = Notification.objects.get(user=manager)
    assert note.key == f"compensation-pending:{comp.pk}"
    assert not Notification.objects.filter(user=agent).exists()

    with pytest.raises(ValidationError):
        svc.compensation_decide(compensation=comp, approve=True, user=make_user(SERVICE_AGENT, "peer"))
    comp = svc.compensation_decide(compensation=comp, approve=True, user=manager, note="Repeat customer")
    assert (comp.status, comp.decided_by, comp.note) == (St.APPROVED, manager, "Repeat customer")
    assert Notification.objects.filter(user=agent, key=f"compensation-decided:{comp.pk}").exists()
    with pytest.raises(ValidationError):
        svc.compensation_decide(compensation=comp, approve=False, user=manager)


def test_manager_cannot_approve_above_own_limit_but_admin_can(make_user):
    agent = make_user(SERVICE_AGENT, "agent")
    comp = svc.compensation_grant(
        problem="price", severity="severe", user=agent, remedy="coupon", amount="600"
    )
    assert comp.status == St.PENDING
    with pytest.raises(ValidationError) as err:
        svc.compensation_decide(compensation=comp, approve=True, user=make_user(MANAGER, "m"))
    assert err.value.message_dict["amount"] == ["600.00 is above your limit of 500.00."]
    comp = svc.compensation_decide(compensation=comp, approve=True, user=make_user(ADMIN, "root"))
    assert comp.status == St.APPROVED and comp.coupon_code.startswith("COMP-")


def test_rejection_needs_no_limit_and_records_no_code(make_user):
    comp = svc.compensation_grant(
        problem="service", severity="severe", user=make_user(SERVICE_AGENT, "a"), amount="60"
    )
    comp = svc.compensation_decide(compensation=comp, approve=False, user=make_user(MANAGER, "m"))
    assert (comp.status, comp.remedy, comp.coupon_code) == (St.REJECTED, "gift", "")


def test_override_and_bad_input(make_user):
    agent = make_user(SERVICE_AGENT)
    comp = svc.compensation_grant(
        problem="damaged", severity="minor", user=agent, remedy="cash", amount="12.5"
    )
    assert (comp.remedy, comp.amount, comp.status, comp.coupon_code) == (
        "cash",
        Decimal("12.50"),
        St.APPROVED,
        "",
    )
    with pytest.raises(ValidationError) as err:
        svc.compensation_grant(problem="nope", severity="minor", user=agent)
    assert list(err.value.message_dict) == ["problem"]
    with pytest.raises(ValidationError) as err:
        svc.compensation_grant(problem="damaged", severity="minor", user=agent, amount="-1")
    assert list(err.value.message_dict) == ["amount"]
    CompensationRule.objects.filter(problem="other").delete()
    with pytest.raises(ValidationError) as err:
        svc.compensation_grant(problem="other", severity="minor", user=agent)
    assert set(err.value.message_dict) == {"remedy", "amount"}


def test_costs_and_totals_for_finance(make_user):
    agent = make_user(SERVICE_AGENT)
    order, sku = OrderFactory(), SKUFactory(code="SKU-X")
    ticket = ticket_row(order=order, sku=sku)
    a = svc.compensation_grant(
        problem="late_delivery", severity="minor", user=agent, ticket=ticket, at=shanghai(2026, 11, 10, 9, 0)
    )
    svc.compensation_grant(
        problem="damaged", severity="moderate", user=agent, order=order, at=shanghai(2026, 11, 11, 9, 0)
    )
    svc.compensation_grant(
        problem="damaged",
        severity="severe",
        user=agent,
        order=order,
        at=shanghai(2026, 11, 11, 9, 0),
        amount="60",
    )  # pending: not a cost
    svc.compensation_grant(problem="damaged", severity="minor", user=agent, at=shanghai(2026, 11, 12, 0, 0))
    costs = sel.compensation_costs(start=date(2026, 11, 10), end=date(2026, 11, 12))
    assert [(c["amount"], c["remedy"], c["ticket"], c["order_id"], c["sku"]) for c in costs] == [
        (Decimal("5.00"), "coupon", ticket.number, order.pk, "SKU-X"),
        (Decimal("20.00"), "cash", "", order.pk, ""),
    ]
    assert costs[0]["id"] == a.pk and costs[0]["order"] == f"{order.channel.code}:{order.external_id}"
    totals = sel.compensation_totals(start=date(2026, 11, 10), end=date(2026, 11, 12))
    assert totals["total"] == {"count": 2, "amount": Decimal("25.00")}
    assert totals["by_problem"] == [
        {"problem": "damaged", "count": 1, "amount": Decimal("20.00")},
        {"problem": "late_delivery", "count": 1, "amount": Decimal("5.00")},
    ]
    assert [r["remedy"] for r in totals["by_remedy"]] == ["cash", "coupon"]


def test_ticket_panel_context(make_user):
    ticket = ticket_row()
    comp = svc.compensation_grant(
        problem="wrong_item", severity="minor", user=make_user(SERVICE_AGENT), ticket=ticket
    )
    panel = sel.ticket_compensation_panel(ticket=ticket)
    assert panel["ticket"] == ticket and panel["compensations"] == [comp]
    assert panel["rules"][0].problem == "wrong_item" and len(panel["rules"]) == 21
    assert panel["approved_amount"] == Decimal("10.00")


def test_standard_save(make_user):
    svc.compensation_standard_save(
        rules=[{"problem": "other", "severity": "minor", "remedy": "gift", "amount": "8", "active": True}],
        limits={SERVICE_AGENT: Decimal("80")},
    )
    assert svc.compensation_rule_for(problem="other", severity="minor").amount == Decimal("8.00")
    assert CompensationLimit.objects.get(role=SERVICE_AGENT).max_amount == Decimal("80.00")
    with pytest.raises(ValidationError):
        svc.compensation_standard_save(rules=[], limits={"pirate": Decimal("1")})
