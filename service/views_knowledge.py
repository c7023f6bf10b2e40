"""Knowledge-base pages: the article list with live suggestions (htmx) and coverage against the target,
an article, the article form, the coverage report (weekly chart, per channel, unanswered questions) and
inserting an answer into a ticket."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal, InvalidOperation

import plotly.graph_objects as go
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from service.forms_knowledge import ArticleForm
from service.models import Ticket
from service.selectors import knowledge as selectors
from service.services import knowledge as services
from shopops.common import roles
from shopops.common.dates import day_start, shop_today
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.forms import errors_to_form
from shopops.common.pagination import paginate, querystring_without_page

ADD_PERMISSION = "service.add_article"
CHANGE_PERMISSION = "service.change_article"
INSERT_PERMISSION = "service.change_ticket"
COVERAGE_DAYS = 30
COVERAGE_WEEKS = 12
SUGGESTION_LIMIT = 5
UNANSWERED_MAX = 500
UNANSWERED_PER_PAGE = 25
CHART_COLORS = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#d63384"]


def _recent_range(days: int):
    today = shop_today()
    return day_start(today - timedelta(days=days - 1)), day_start(today + timedelta(days=1))


# ---------------------------------------------------------------------------------------------
# Articles
# ---------------------------------------------------------------------------------------------
@roles.area_required(roles.SERVICE)
@roles.reading_page
def kb_list(request):
    """Articles by category with their use counts (filter by text and category, export), a search box
    that suggests answers as one types, the most used answers and coverage of the last 30 days."""
    params = request.GET
    articles = selectors.article_list(q=params.get("q", ""), category=params.get("category", ""))
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="knowledge-base",
            fmt=fmt,
            headers=[_("Code"), _("Category"), _("Title (Chinese)"), _("Title (English)"), _("Questions"),
                     _("Uses"), _("Active")],
            rows=(
                (a.code, a.category.name, a.title_zh, a.title_en, a.question_count, a.use_count,
                 _("yes") if a.active else _("no"))
                for a in articles
            ),
        )  # fmt: skip
    start, end = _recent_range(COVERAGE_DAYS)
    return render(
        request,
        "service/knowledge/list.html",
        {
            "page_obj": paginate(request, articles),
            "query": querystring_without_page(request),
            "filters": params,
            "categories": selectors.article_category_list(),
            "top_used": selectors.article_top_used(limit=5),
            "coverage": selectors.kb_coverage(start=start, end=end),
            "coverage_days": COVERAGE_DAYS,
            "can_write": request.user.has_perm(ADD_PERMISSION),
        },
    )


@roles.area_required(roles.SERVICE)
@roles.reading_page
def kb_suggest(request):
    """htmx: the answers matching the typed text, with their scores (on a ticket: with Insert buttons)."""
    text = request.GET.get("text", "").strip()[:1000]
    ticket = None
    if request.GET.get("ticket"):
        ticket = Ticket.objects.filter(number=request.GET["ticket"]).first()
    suggestions = services.kb_suggest(text=text, limit=SUGGESTION_LIMIT) if text else []
    return render(
        request,
        "service/knowledge/_suggestions.html",
        {"ticket": ticket, "suggestions": suggestions, "suggest_text": text},
    )


@roles.area_required(roles.SERVICE)
@roles.reading_page
def kb_detail(request, code: str):
    """An article: its answers in Chinese and English, the questions that find it, its latest uses."""
    article = selectors.article_get(code=code)
    if article is None:
        raise Http404
    return render(
        request,
        "service/knowledge/detail.html",
        {
            "article": article,
            "questions": list(article.questions.all()),
            "uses": selectors.article_use_list(article=article),
            "can_write": request.user.has_perm(CHANGE_PERMISSION),
        },
    )


def _form_errors(form: ArticleForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict") and "questions" in exc.error_dict:
        for message in exc.message_dict["questions"]:
            form.add_error("questions_zh", message)
        exc = ValidationError({k: v for k, v in exc.error_dict.items() if k != "questions"})
        if not exc.error_dict:
            return
    errors_to_form(form, exc)


def _article_values(form: ArticleForm) -> dict:
    data = form.cleaned_data
    return {
        "code": data["code"],
        "category": data["category"],
        "title_zh": data["title_zh"],
        "title_en": data["title_en"],
        "answer_zh": data["answer_zh"],
        "answer_en": data["answer_en"],
        "questions": form.questions_value(),
        "active": data["active"],
    }


@roles.permission_required(roles.SERVICE, ADD_PERMISSION)
def kb_create(request):
    """A new article with its answers and the questions customers ask."""
    form = ArticleForm(request.POST or None, initial={"category": request.GET.get("category", "")})
    if request.method == "POST" and form.is_valid():
        try:
            article = services.article_create(**_article_values(form), user=request.user)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Article %(code)s created.") % {"code": article.code})
            return redirect("service:kb-detail", code=article.code)
    return render(
        request,
        "service/knowledge/form.html",
        {"form": form, "article": None},
        status=400 if request.method == "POST" else 200,
    )


@roles.permission_required(roles.SERVICE, CHANGE_PERMISSION)
def kb_edit(request, code: str):
    """Edit an article; the question variants are replaced by the lines given."""
    article = selectors.article_get(code=code)
    if article is None:
        raise Http404
    form = ArticleForm(request.POST or None, initial=ArticleForm.initial_for(article))
    if request.method == "POST" and form.is_valid():
        try:
            article = services.article_update(article=article, **_article_values(form), user=request.user)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Article %(code)s saved.") % {"code": article.code})
            return redirect("service:kb-detail", code=article.code)
    return render(
        request,
        "service/knowledge/form.html",
        {"form": form, "article": article},
        status=400 if request.method == "POST" else 200,
    )


# ---------------------------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------------------------
def _coverage_figure(weekly: list[dict]) -> dict:
    figure = go.Figure()
    weeks = [row["week"].isoformat() for row in weekly]
    labels = dict(Ticket.Channel.choices)
    channels = sorted({c["channel"] for row in weekly for c in row["channels"]})
    for index, channel in enumerate(channels):
        rates = []
        for row in weekly:
            found = next((c for c in row["channels"] if c["channel"] == channel), None)
            rates.append(float(found["rate"]) if found else None)
        figure.add_trace(
            go.Scatter(
                x=weeks,
                y=rates,
                mode="lines+markers",
                name=str(labels.get(channel, channel)),
                line={"color": CHART_COLORS[index % len(CHART_COLORS)], "width": 1.5},
                connectgaps=False,
                hovertemplate="%{x}: %{y:.0%}<extra>" + str(labels.get(channel, channel)) + "</extra>",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=weeks,
            y=[float(row["rate"]) if row["questions"] else None for row in weekly],
            mode="lines+markers",
            name=_("All channels"),
            line={"color": "#212529", "width": 3},
            hovertemplate="%{x}: %{y:.0%}<extra>" + _("All channels") + "</extra>",
        )
    )
    target = float(weekly[-1]["target"]) if weekly else 0.6
    figure.update_layout(
        template="plotly_white",
        height=360,
        margin={"l": 50, "r": 20, "t": 30, "b": 40},
        yaxis={"tickformat": ".0%", "range": [0, 1.05], "title": _("Questions answered")},
        xaxis={"type": "date", "title": _("Week starting")},
        legend={"orientation": "h", "y": -0.2},
        shapes=[
            {
                "type": "line",
                "xref": "paper",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": target,
                "y1": target,
                "line": {"color": "#dc3545", "dash": "dot"},
            }
        ],
        annotations=[
            {
                "xref": "paper",
                "yref": "y",
                "x": 1,
                "y": target,
                "xanchor": "right",
                "yanchor": "bottom",
                "showarrow": False,
                "text": _("Target %(pct)s %%") % {"pct": f"{target * 100:.0f}"},
                "font": {"color": "#dc3545", "size": 11},
            }
        ],
    )
    return json.loads(figure.to_json())


@roles.area_required(roles.SERVICE)
@roles.reading_page
def kb_coverage(request):
    """Coverage of the last 12 weeks: the weekly rate overall and per channel against the target, the
    period's figures per channel, and the questions no answer was used for (what to write next)."""
    weekly = selectors.kb_coverage_weekly(weeks=COVERAGE_WEEKS)
    start, end = weekly[0]["start"], weekly[-1]["end"]
    period = selectors.kb_coverage(start=start, end=end)
    unanswered = selectors.unanswered_questions(start=start, end=end, limit=UNANSWERED_MAX)
    return render(
        request,
        "service/knowledge/coverage.html",
        {
            "weekly": weekly,
            "period": period,
            "chart": _coverage_figure(weekly),
            "page_obj": paginate(request, unanswered, per_page=UNANSWERED_PER_PAGE),
            "query": querystring_without_page(request),
            "weeks": COVERAGE_WEEKS,
        },
    )


# ---------------------------------------------------------------------------------------------
# Using an answer
# ---------------------------------------------------------------------------------------------
@roles.permission_required(roles.SERVICE, INSERT_PERMISSION)
@require_POST
def kb_insert(request, number: str, code: str):
    """Reply on the ticket with the article's answer (in the ticket's language), then back to the
    ticket."""
    ticket = get_object_or_404(Ticket, number=number)
    article = selectors.article_get(code=code)
    if article is None:
        raise Http404
    score = request.POST.get("score") or None
    try:
        services.kb_answer_insert(
            ticket=ticket, article=article, user=request.user, language=request.POST.get("language", ""),
            score=_score(score),
        )  # fmt: skip
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Answer “%(title)s” sent to the customer.") % {"title": article.title_zh})
    return redirect(reverse("service:ticket-detail", args=[ticket.number]))


def _score(value):
    if value is None:
        return None
    try:
        score = Decimal(value)
    except InvalidOperation:
        return None
    return score if Decimal(0) <= score <= Decimal(1) else None
