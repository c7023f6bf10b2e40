"""Knowledge-base pages: each renders for a service agent, writes need the permission, the form saves
through the services, suggestions come back as an htmx partial, Insert replies on the ticket."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from service.models import Article, ArticleUse, Ticket, TicketMessage
from service.services import knowledge as kb
from service.tests.factories_tickets import ticket_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def faq():
    kb.kb_defaults_load()


def _pages():
    return [
        reverse("service:kb-list"),
        reverse("service:kb-list") + "?q=发票&category=payment",
        reverse("service:kb-detail", args=["invoice"]),
        reverse("service:kb-create"),
        reverse("service:kb-edit", args=["invoice"]),
        reverse("service:kb-coverage"),
        reverse("service:kb-suggest") + "?text=退款多久到账",
    ]


@pytest.mark.parametrize("role", ["service_agent", "manager", "admin"])
def test_pages_render_for_service_roles(faq, client_for, role):
    client = client_for(role)
    for url in _pages():
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ["marketing", "operations", None])
def test_pages_refused_outside_service(faq, client_for, role):
    client = client_for(role)
    for url in _pages():
        assert client.get(url).status_code in (302, 403), url
    response = client.post(reverse("service:kb-create"), {"code": "x"})
    assert response.status_code in (302, 403)
    assert not Article.objects.filter(code="x").exists()


def test_list_shows_articles_use_counts_and_coverage(faq, client_for):
    Article.objects.filter(code="invoice").update(use_count=12)
    now = timezone.now()
    ticket = ticket_make(channel="chat", type="presale", opened_at=now - timedelta(days=1))
    ticket_make(channel="chat", type="presale", opened_at=now - timedelta(days=2))
    ArticleUse.objects.create(
        article=Article.objects.get(code="invoice"), ticket=ticket, kind="inserted", used_at=now
    )
    response = client_for("service_agent").get(reverse("service:kb-list"))
    body = response.content.decode()
    assert 'data-code="invoice"' in body
    assert 'data-testid="kb-coverage-rate">50.0%' in body
    assert response.context["coverage"]["questions"] == 2
    assert response.context["page_obj"].object_list[0].code == "invoice"  # most used first


def test_list_export(faq, client_for):
    response = client_for("service_agent").get(reverse("service:kb-list") + "?export=csv&category=refunds")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert "refund-timing" in content.decode("utf-8-sig")


def test_suggest_partial_with_scores_and_insert_buttons(faq, client_for):
    ticket = ticket_make(body="退款多久到账")
    client = client_for("service_agent")
    response = client.get(
        reverse("service:kb-suggest"),
        {"text": "退款多久到账", "ticket": ticket.number},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'data-article="refund-timing" data-score="1.0000"' in body
    assert reverse("service:kb-insert", args=[ticket.number, "refund-timing"]) in body
    assert ">1.00<" in body
    # without a ticket: no Insert buttons
    body = client.get(reverse("service:kb-suggest"), {"text": "退款多久到账"}).content.decode()
    assert 'data-testid="kb-insert"' not in body
    assert 'data-article="refund-timing"' in body


def test_suggestions_partial_renders_from_the_selector_context(faq, rf, make_user):
    from django.template.loader import render_to_string

    from service.selectors.knowledge import kb_ticket_suggestions

    ticket = ticket_make(body="可以开发票吗")
    request = rf.get("/")
    request.user = make_user("service_agent")
    html = render_to_string(
        "service/knowledge/_suggestions.html", kb_ticket_suggestions(ticket=ticket), request=request
    )
    assert 'data-article="invoice"' in html
    assert "可以开发票吗" in html  # the matched question
    assert 'data-testid="kb-insert"' in html


def test_create_article(faq, client_for):
    client = client_for("service_agent")
    response = client.post(
        reverse("service:kb-create"),
        {
            "code": "gift-wrap",
            "category": "orders",
            "title_zh": "礼品包装",
            "title_en": "Gift wrapping",
            "answer_zh": "下单时备注即可免费礼品包装。",
            "answer_en": "Add a note at checkout for free gift wrapping.",
            "questions_zh": "可以礼品包装吗\n能包装成礼物吗",
            "questions_en": "Do you offer gift wrapping",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("service:kb-detail", args=["gift-wrap"])
    article = Article.objects.get(code="gift-wrap")
    assert sorted(article.questions.values_list("text", "language")) == [
        ("Do you offer gift wrapping", "en"),
        ("可以礼品包装吗", "zh"),
        ("能包装成礼物吗", "zh"),
    ]
    assert kb.kb_suggest(text="能包装成礼物吗")[0].article == article


def test_create_article_errors_by_field(faq, client_for):
    response = client_for("service_agent").post(
        reverse("service:kb-create"),
        {"code": "invoice", "category": "orders", "title_zh": "重复", "answer_zh": "x", "questions_zh": ""},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "code" in errors
    assert "questions_zh" in errors
    assert Article.objects.filter(code="invoice").count() == 1


def test_edit_article_replaces_questions(faq, client_for):
    client = client_for("manager")
    page = client.get(reverse("service:kb-edit", args=["invoice"]))
    assert "可以开发票吗" in page.content.decode()
    data = dict(page.context["form"].initial)
    data.update({"questions_zh": "发票怎么开\n能开票吗", "questions_en": "Invoice please", "active": "on"})
    response = client.post(reverse("service:kb-edit", args=["invoice"]), data)
    assert response.status_code == 302
    article = Article.objects.get(code="invoice")
    assert sorted(article.questions.values_list("text", flat=True)) == [
        "Invoice please",
        "发票怎么开",
        "能开票吗",
    ]


def test_edit_unknown_article_is_404(faq, client_for):
    client = client_for("service_agent")
    assert client.get(reverse("service:kb-edit", args=["nope"])).status_code == 404
    assert client.get(reverse("service:kb-detail", args=["nope"])).status_code == 404


def test_insert_replies_on_the_ticket_and_goes_back(faq, client_for):
    ticket = ticket_make(body="Can I get an invoice?", language="en", channel=Ticket.Channel.EMAIL)
    client = client_for("service_agent")
    url = reverse("service:kb-insert", args=[ticket.number, "invoice"])
    assert client.get(url).status_code == 405
    response = client.post(url, {"score": "0.8200"})
    assert response.status_code == 302
    assert response["Location"] == reverse("service:ticket-detail", args=[ticket.number])
    reply = ticket.messages.get(kind=TicketMessage.Kind.REPLY)
    article = Article.objects.get(code="invoice")
    assert reply.body == article.answer_en
    assert article.use_count == 1
    assert ArticleUse.objects.get().kind == ArticleUse.Kind.INSERTED


def test_insert_refused_without_the_permission(faq, client_for):
    ticket = ticket_make()
    url = reverse("service:kb-insert", args=[ticket.number, "invoice"])
    assert client_for("marketing").post(url).status_code == 403
    assert not ArticleUse.objects.exists()


def test_insert_unknown_ticket_or_article_is_404(faq, client_for):
    ticket = ticket_make()
    client = client_for("service_agent")
    assert client.post(reverse("service:kb-insert", args=["T-999999", "invoice"])).status_code == 404
    assert client.post(reverse("service:kb-insert", args=[ticket.number, "nope"])).status_code == 404


def test_coverage_page_chart_and_gaps(faq, client_for):
    now = timezone.now()
    ticket_make(channel="chat", type="presale", opened_at=now - timedelta(days=3), body="能刻字吗")
    response = client_for("service_agent").get(reverse("service:kb-coverage"))
    body = response.content.decode()
    assert len(response.context["weekly"]) == 12
    assert response.context["chart"]["data"]
    assert 'id="kb-coverage-weekly"' in body
    assert "能刻字吗" in body
    assert response.context["period"]["questions"] == 1
