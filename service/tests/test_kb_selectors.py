"""Knowledge-base reads: coverage on a hand-built set of tickets, weekly coverage, content gaps,
articles."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from service.models import Article, ArticleUse, ServiceSettings, Ticket
from service.selectors import knowledge as selectors
from service.services import knowledge as kb
from service.tests.factories_tickets import ticket_make

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 2, tzinfo=SHANGHAI)  # a Monday
END = START + timedelta(days=7)


def _use(ticket, article, kind=ArticleUse.Kind.INSERTED):
    ArticleUse.objects.create(article=article, ticket=ticket, kind=kind, used_at=ticket.opened_at)


@pytest.fixture
def hand_built():
    """In [START, END): chat 1 answered of 2, email 2 answered of 2 (one twice), phone 0 of 1; outside the
    window or not a question type: ignored."""
    kb.kb_defaults_load()
    invoice = Article.objects.get(code="invoice")
    refund = Article.objects.get(code="refund-timing")
    at = START + timedelta(hours=10)
    chat_answered = ticket_make(channel="chat", type="presale", opened_at=at)
    _use(chat_answered, invoice, ArticleUse.Kind.AUTO_REPLY)
    chat_open = ticket_make(
        channel="chat", type="presale", opened_at=at + timedelta(hours=1), body="能刻字吗"
    )
    email_one = ticket_make(channel="email", type="order_issue", opened_at=at)
    _use(email_one, refund)
    email_two = ticket_make(channel="email", type="presale", opened_at=END - timedelta(seconds=1))
    _use(email_two, refund)
    _use(email_two, invoice)  # two answers, still one answered question
    phone_open = ticket_make(
        channel="phone", type="order_issue", opened_at=at, body="", subject="电话咨询库存"
    )
    # not counted: outside the window (start inclusive, end exclusive) or not a question
    _use(ticket_make(channel="chat", type="presale", opened_at=START - timedelta(seconds=1)), invoice)
    ticket_make(channel="chat", type="presale", opened_at=END)
    _use(ticket_make(channel="chat", type="after_sales", opened_at=at), refund)
    ticket_make(channel="email", type="complaint", opened_at=at)
    return {"chat_open": chat_open, "phone_open": phone_open}


def test_coverage_is_exact_on_a_hand_built_set(hand_built):
    coverage = selectors.kb_coverage(start=START, end=END)
    assert (coverage["questions"], coverage["answered"]) == (5, 3)
    assert coverage["rate"] == Decimal("0.6000")
    assert coverage["target"] == Decimal("0.6000")
    assert coverage["meets_target"] is True
    assert [(c["channel"], c["questions"], c["answered"], c["rate"]) for c in coverage["channels"]] == [
        ("chat", 2, 1, Decimal("0.5000")),
        ("email", 2, 2, Decimal("1.0000")),
        ("phone", 1, 0, Decimal("0.0000")),
    ]


def test_coverage_target_comes_from_the_settings(hand_built):
    settings = ServiceSettings.load()
    settings.kb_coverage_target = Decimal("0.7000")
    settings.save()
    coverage = selectors.kb_coverage(start=START, end=END)
    assert coverage["target"] == Decimal("0.7000")
    assert coverage["meets_target"] is False


def test_coverage_without_questions():
    coverage = selectors.kb_coverage(start=START, end=END)
    assert (coverage["questions"], coverage["answered"], coverage["rate"]) == (0, 0, Decimal("0.0000"))
    assert coverage["meets_target"] is False
    assert coverage["channels"] == []


def test_coverage_rounds_to_four_places():
    kb.kb_defaults_load()
    article = Article.objects.get(code="invoice")
    at = START + timedelta(hours=1)
    for index in range(3):
        ticket = ticket_make(channel="chat", type="presale", opened_at=at)
        if index == 0:
            _use(ticket, article)
    assert selectors.kb_coverage(start=START, end=END)["rate"] == Decimal("0.3333")


def test_weekly_coverage_has_twelve_monday_weeks_ending_with_the_current_one(hand_built):
    weekly = selectors.kb_coverage_weekly(weeks=12, today=date(2026, 11, 12))  # a Thursday
    assert len(weekly) == 12
    assert weekly[-1]["week"] == date(2026, 11, 9)
    assert weekly[0]["week"] == date(2026, 8, 24)
    by_week = {row["week"]: row for row in weekly}
    assert (by_week[date(2026, 11, 2)]["questions"], by_week[date(2026, 11, 2)]["answered"]) == (5, 3)
    # the ticket opened one second before START belongs to the week before
    assert (by_week[date(2026, 10, 26)]["questions"], by_week[date(2026, 10, 26)]["answered"]) == (1, 1)
    assert by_week[date(2026, 11, 9)]["questions"] == 1  # the one opened at END


def test_unanswered_questions_are_the_content_gaps(hand_built):
    rows = selectors.unanswered_questions(start=START, end=END, limit=10)
    assert [row["ticket"] for row in rows] == [hand_built["chat_open"], hand_built["phone_open"]]
    assert [row["question"] for row in rows] == ["能刻字吗", "电话咨询库存"]
    assert len(selectors.unanswered_questions(start=START, end=END, limit=1)) == 1


def test_article_list_filters_and_top_used():
    kb.kb_defaults_load()
    assert selectors.article_list().count() == Article.objects.count()
    assert [a.code for a in selectors.article_list(category="cross-border")] == [
        "cross-border-duties",
        "cross-border-identity",
    ]
    assert {a.code for a in selectors.article_list(q="花呗")} == {"payment-methods"}
    assert {a.code for a in selectors.article_list(q="fapiao")} == {"invoice"}
    Article.objects.filter(code="invoice").update(use_count=5)
    Article.objects.filter(code="refund-timing").update(use_count=9)
    Article.objects.filter(code="warranty").update(use_count=7, active=False)
    assert [a.code for a in selectors.article_top_used(limit=5)] == ["refund-timing", "invoice"]
    assert selectors.article_list()[0].code == "refund-timing"


def test_ticket_suggestions_use_the_latest_customer_message():
    kb.kb_defaults_load()
    ticket = ticket_make(body="你好", messages=[("customer", "可以开发票吗")], channel=Ticket.Channel.EMAIL)
    context = selectors.kb_ticket_suggestions(ticket=ticket)
    assert context["ticket"] == ticket
    assert context["suggestions"][0].article.code == "invoice"
