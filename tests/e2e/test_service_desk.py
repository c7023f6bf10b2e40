"""The service agent answers a customer's email with a suggested knowledge-base article, resolves the
ticket, and the service overview counts one open ticket fewer. Screenshots go to var/screenshots/."""

import pytest
from playwright.sync_api import expect

from service.models import Article, ArticleUse, Survey, Ticket, TicketMessage
from service.services.tickets import ticket_create
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

QUESTION = "你好，请问发票怎么开？我需要电子发票"


def test_agent_answers_with_a_suggested_article_and_resolves(page, demo_site, watch, screenshots):
    base = demo_site["url"]
    # An email (no chat auto-reply): the customer asks for an invoice, the FAQ has the answer.
    ticket = ticket_create(channel="email", type="order_issue", subject="", body=QUESTION)
    uses_before = Article.objects.get(code="invoice").use_count
    login(page, base, "service_agent", demo_site["password"])

    page.goto(f"{base}/service/")
    open_before = int(page.get_by_test_id("card-open").inner_text().replace(",", ""))
    assert open_before == Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES).count()

    page.goto(f"{base}/service/tickets/{ticket.number}/")
    suggestions = page.get_by_test_id("kb-suggestions")
    first = suggestions.locator("li").first
    expect(first).to_have_attribute("data-article", "invoice")
    page.screenshot(path=screenshots / "service-ticket-en.png", full_page=True)
    first.get_by_test_id("kb-insert").click()

    page.wait_for_url(f"{base}/service/tickets/{ticket.number}/")
    answer = Article.objects.get(code="invoice").answer_zh
    expect(page.get_by_test_id("conversation")).to_contain_text(answer[:20])
    reply = TicketMessage.objects.get(ticket=ticket, kind="reply")
    assert (reply.article.code, reply.body) == ("invoice", answer)
    assert ArticleUse.objects.filter(ticket=ticket, article__code="invoice", kind="inserted").count() == 1
    assert Article.objects.get(code="invoice").use_count == uses_before + 1
    expect(page.get_by_test_id("ticket-status")).to_contain_text("Open")

    form = page.get_by_test_id("update-form")
    form.locator("select[name=status]").select_option("resolved")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/service/tickets/{ticket.number}/")
    expect(page.get_by_test_id("ticket-status")).to_contain_text("Resolved")
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.first_response_at is not None
    assert Survey.objects.filter(kind="csat", ticket=ticket).count() == 1  # CSAT asked on resolution

    page.goto(f"{base}/service/")
    expect(page.get_by_test_id("card-open")).to_have_text(str(open_before - 1))
    page.screenshot(path=screenshots / "service-overview-en.png", full_page=True)
    assert watch.problems == []
