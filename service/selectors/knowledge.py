"""Knowledge-base reads: articles, the most used answers, coverage (the share of customers' questions the
knowledge base answered, target ~60 %) and the questions it could not answer (content gaps)."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from service.models import (
    Article,
    ArticleCategory,
    ArticleQuestion,
    ArticleUse,
    ServiceSettings,
    Ticket,
    TicketMessage,
)
from shopops.common.dates import day_start, shop_today

_PLACES = Decimal("0.0001")

# The tickets that are questions a FAQ can answer; after-sales cases and complaints need a person.
QUESTION_TYPES = (Ticket.Type.PRESALE, Ticket.Type.ORDER_ISSUE)


def _rate(answered: int, questions: int) -> Decimal:
    if not questions:
        return Decimal("0.0000")
    return (Decimal(answered) / Decimal(questions)).quantize(_PLACES, rounding=ROUND_HALF_UP)


def _questions(start, end) -> QuerySet:
    return Ticket.objects.filter(opened_at__gte=start, opened_at__lt=end, type__in=QUESTION_TYPES).annotate(
        kb_answered=Exists(ArticleUse.objects.filter(ticket=OuterRef("pk")))
    )


def kb_coverage(*, start, end) -> dict:
    """Coverage of the questions customers asked in [start, end) (aware datetimes): tickets of type
    pre-sale or order issue opened then, answered = those with a knowledge-base answer used (inserted or
    auto-reply). `rate` is a Decimal fraction (4 places); `channels` the same per ticket channel."""
    target = ServiceSettings.load().kb_coverage_target
    rows = (
        _questions(start, end)
        .values("channel")
        .annotate(questions=Count("id"), answered=Count("id", filter=Q(kb_answered=True)))
        .order_by("channel")
    )
    labels = dict(Ticket.Channel.choices)
    channels = [
        {
            "channel": row["channel"],
            "label": labels.get(row["channel"], row["channel"]),
            "questions": row["questions"],
            "answered": row["answered"],
            "rate": _rate(row["answered"], row["questions"]),
        }
        for row in rows
    ]
    questions = sum(row["questions"] for row in channels)
    answered = sum(row["answered"] for row in channels)
    rate = _rate(answered, questions)
    return {
        "start": start,
        "end": end,
        "questions": questions,
        "answered": answered,
        "rate": rate,
        "target": target,
        "meets_target": questions > 0 and rate >= target,
        "channels": channels,
    }


def kb_coverage_weekly(*, weeks: int = 12, today: date | None = None) -> list[dict]:
    """Coverage per shop-local week (Monday to Sunday) for the last `weeks` weeks, the current one last;
    each row: `week` (its Monday), `end` (the next Monday) and `kb_coverage`'s figures."""
    today = today or shop_today()
    this_monday = today - timedelta(days=today.weekday())
    out = []
    for back in range(weeks - 1, -1, -1):
        monday = this_monday - timedelta(weeks=back)
        coverage = kb_coverage(start=day_start(monday), end=day_start(monday + timedelta(days=7)))
        out.append({"week": monday, "week_end": monday + timedelta(days=7), **coverage})
    return out


def article_list(*, q: str = "", category: str = "", active: bool | None = None) -> QuerySet:
    """Articles (with their category and question count), filtered by text in the code, titles,
    answers or questions and by category code; most used first."""
    articles = Article.objects.select_related("category").annotate(question_count=Count("questions"))
    if category:
        articles = articles.filter(category__code=category)
    if active is not None:
        articles = articles.filter(active=active)
    q = (q or "").strip()
    if q:
        matching_questions = ArticleQuestion.objects.filter(article=OuterRef("pk"), text__icontains=q)
        articles = articles.filter(
            Q(code__icontains=q)
            | Q(title_zh__icontains=q)
            | Q(title_en__icontains=q)
            | Q(answer_zh__icontains=q)
            | Q(answer_en__icontains=q)
            | Exists(matching_questions)
        )
    return articles.order_by("-use_count", "category__name", "code")


def article_get(*, code: str) -> Article | None:
    """One article with its category and question variants (Chinese first)."""
    return (
        Article.objects.select_related("category", "owner")
        .prefetch_related(Prefetch("questions", queryset=ArticleQuestion.objects.order_by("-language", "id")))
        .filter(code=code)
        .first()
    )


def article_category_list() -> QuerySet:
    """Categories with their number of active articles."""
    return ArticleCategory.objects.annotate(
        article_count=Count("articles", filter=Q(articles__active=True))
    ).order_by("name")


def article_top_used(*, limit: int = 10) -> list[Article]:
    """The most used active articles (agents' inserts and auto-replies together)."""
    return list(
        Article.objects.select_related("category")
        .filter(active=True, use_count__gt=0)
        .order_by("-use_count", "code")[:limit]
    )


def article_use_list(*, article: Article, limit: int = 20) -> list[ArticleUse]:
    """An article's latest uses with their ticket and user."""
    return list(article.uses.select_related("ticket", "user").order_by("-used_at", "-id")[:limit])


def unanswered_questions(*, start, end, limit: int = 20) -> list[dict]:
    """The latest questions in [start, end) that no knowledge-base answer was used for (content gaps):
    `ticket` and `question` (the customer's first message, else the subject)."""
    tickets = list(
        _questions(start, end)
        .filter(kb_answered=False)
        .select_related("sales_channel")
        .order_by("-opened_at", "-id")[:limit]
    )
    first = {}
    for message in TicketMessage.objects.filter(
        ticket__in=tickets, kind=TicketMessage.Kind.CUSTOMER
    ).order_by("-created_at", "-id"):
        first[message.ticket_id] = message.body  # the earliest wins: read newest to oldest
    return [{"ticket": ticket, "question": first.get(ticket.pk) or ticket.subject} for ticket in tickets]


def kb_ticket_suggestions(*, ticket: Ticket, limit: int = 5) -> dict:
    """The context of `service/knowledge/_suggestions.html` for a ticket: the answers matching the
    customer's latest message (else the subject)."""
    from service.services.knowledge import kb_suggest

    last = (
        TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.CUSTOMER)
        .order_by("-created_at", "-id")
        .first()
    )
    text = last.body if last is not None and last.body else ticket.subject
    return {"ticket": ticket, "suggestions": kb_suggest(text=text, limit=limit), "suggest_text": text}
