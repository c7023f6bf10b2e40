"""The festival calendar (pure) and festival_calendar_ensure (idempotent)."""

from datetime import date

import pytest

from marketing import calendar
from marketing.models import Campaign
from marketing.services.campaigns import festival_calendar_ensure


def test_festivals_of_2027():
    fests = {f.code: f for f in calendar.festivals(2027)}
    assert list(fests) == ["NYGF-2027", "618-2027", "D11-2027", "D12-2027"]
    # Spring Festival 2027: 6 February -> 年货节 7 Jan .. 29 Jan
    assert (fests["NYGF-2027"].starts_on, fests["NYGF-2027"].ends_on) == (date(2027, 1, 7), date(2027, 1, 29))
    assert (fests["618-2027"].starts_on, fests["618-2027"].ends_on) == (date(2027, 6, 1), date(2027, 6, 18))
    assert (fests["D11-2027"].starts_on, fests["D11-2027"].ends_on) == (
        date(2027, 10, 20),
        date(2027, 11, 11),
    )
    assert (fests["D12-2027"].starts_on, fests["D12-2027"].ends_on) == (date(2027, 12, 8), date(2027, 12, 12))
    assert all(30 <= f.planning_lead_days <= 60 for f in fests.values())
    assert fests["D11-2027"].planning_lead_days == 60


def test_spring_festival_in_january_gives_a_december_start():
    nygf = calendar.festivals(2028)[0]  # Spring Festival 26 January 2028
    assert (nygf.code, nygf.starts_on, nygf.ends_on) == ("NYGF-2028", date(2027, 12, 27), date(2028, 1, 18))


def test_year_outside_the_table_has_no_new_year_goods_festival():
    assert [f.key for f in calendar.festivals(2041)] == ["618", "D11", "D12"]


def test_checklist_labels():
    items = calendar.default_checklist()
    assert [i["key"] for i in items] == list(calendar.DEFAULT_CHECKLIST)
    assert all(i["done"] is False for i in items)
    assert calendar.checklist_label({"key": "stock", "item": "whatever"}) == (
        "Check stock of the promoted SKUs and order ahead"
    )
    assert calendar.checklist_label({"item": "Book the livestream host"}) == "Book the livestream host"


@pytest.mark.django_db
def test_ensure_is_idempotent_and_keeps_edits():
    assert festival_calendar_ensure(2027) == {"created": 4, "existing": 0}
    d11 = Campaign.objects.get(code="D11-2027")
    assert d11.kind == Campaign.Kind.FESTIVAL
    assert (d11.starts_on, d11.ends_on, d11.planning_lead_days) == (
        date(2027, 10, 20),
        date(2027, 11, 11),
        60,
    )
    assert len(d11.checklist) == len(calendar.DEFAULT_CHECKLIST)
    d11.checklist[0]["done"] = True
    d11.budget = 50000
    d11.save()
    assert festival_calendar_ensure(2027) == {"created": 0, "existing": 4}
    d11.refresh_from_db()
    assert d11.checklist[0]["done"] is True and d11.budget == 50000
    assert Campaign.objects.count() == 4


@pytest.mark.django_db
def test_festival_task_adds_this_year_and_the_next(time_machine):
    from marketing.tasks.campaigns import festival_calendar_ensure as task

    time_machine.move_to("2026-12-31T23:30:00+08:00", tick=False)  # still 2026 in Shanghai
    assert task.delay().get() == {
        "2026": {"created": 4, "existing": 0},
        "2027": {"created": 4, "existing": 0},
    }
    assert task.name == "marketing.festival_calendar_ensure"
    assert sorted(Campaign.objects.values_list("code", flat=True)) == [
        "618-2026",
        "618-2027",
        "D11-2026",
        "D11-2027",
        "D12-2026",
        "D12-2027",
        "NYGF-2026",
        "NYGF-2027",
    ]
