"""Feedback: record (API, CSV import), sentiment and urgency, tickets for strongly negative items."""

import re
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from service import nlp
from service.models import Feedback, ServiceSettings, Ticket
from service.services.keywords import text_keywords
from service.services.tickets import ticket_create

LOW_RATING = 2  # 1-2 stars
TEXT_MAX_LENGTH = 10_000
SUBJECT_TEXT_LENGTH = 60

# Words that put the shop at risk whatever the tone: safety, the law, regulators, the press. English words
# with an everyday sense ("hurt", "shocked", "press") are left out: they would flood the queue.
CRITICAL_WORDS_ZH = (
    "12315",
    "工商",
    "市场监管",
    "消协",
    "消费者协会",
    "律师",
    "起诉",
    "法院",
    "报警",
    "曝光",
    "媒体",
    "记者",
    "受伤",
    "烫伤",
    "割伤",
    "起火",
    "着火",
    "冒烟",
    "爆炸",
    "漏电",
    "触电",
    "过敏",
    "中毒",
    "送医",
    "住院",
)
# Words that mean a complaint or a loss the customer will escalate if nobody acts.
HIGH_WORDS_ZH = (
    "投诉",
    "举报",
    "维权",
    "假货",
    "假冒",
    "仿冒",
    "山寨",
    "骗子",
    "欺诈",
    "诈骗",
    "退款不到账",
    "不退款",
    "拒绝退款",
    "差评",
    "发霉",
    "过期",
    "变质",
)
CRITICAL_WORDS_EN = (
    r"injur(?:y|ies|ed)",
    r"burn(?:s|ed|t)?",
    r"fire",
    r"smok(?:e|ing)",
    r"explod(?:e|ed|es)",
    r"explosion",
    r"electric shock",
    r"allerg(?:y|ic|ies)",
    r"rash",
    r"poison(?:ed|ing)?",
    r"hospital",
    r"lawyers?",
    r"lawsuit",
    r"sue",
    r"police",
    r"journalists?",
)
HIGH_WORDS_EN = (
    r"fraud(?:ulent)?",
    r"fake",
    r"counterfeit",
    r"scam(?:med|mer)?",
    r"rip[- ]?off",
    r"complain(?:t|ts|ed|ing)?",
    r"report(?:ing)? you",
    r"chargeback",
    r"refund (?:not|never) (?:received|arrived)",
    r"no refund",
    r"mou?ld(?:y)?",
    r"expired",
)
_CRITICAL_EN = re.compile(r"\b(?:" + "|".join(CRITICAL_WORDS_EN) + r")\b", re.IGNORECASE)
_HIGH_EN = re.compile(r"\b(?:" + "|".join(HIGH_WORDS_EN) + r")\b", re.IGNORECASE)

DEFAULT_NEGATIVE = Decimal("-0.3000")
DEFAULT_STRONG = Decimal("-0.6000")

# The ticket channel of a feedback source; feedback that came from a ticket opens none.
TICKET_CHANNELS = {
    Feedback.Source.REVIEW: Ticket.Channel.REVIEW,
    Feedback.Source.RATING: Ticket.Channel.REVIEW,
    Feedback.Source.SURVEY: Ticket.Channel.REVIEW,
    Feedback.Source.SOCIAL: Ticket.Channel.SOCIAL,
}
TICKET_PRIORITIES = {
    Feedback.Urgency.CRITICAL: Ticket.Priority.MAJOR,
    Feedback.Urgency.HIGH: Ticket.Priority.URGENT,
}


def risk_words(text: str) -> tuple[list[str], list[str]]:
    """(critical words, high words) found in the text, Chinese by substring, English as whole words."""
    text = text or ""
    critical = [w for w in CRITICAL_WORDS_ZH if w in text]
    critical += [m.group(0).lower() for m in _CRITICAL_EN.finditer(text)]
    high = [w for w in HIGH_WORDS_ZH if w in text]
    high += [m.group(0).lower() for m in _HIGH_EN.finditer(text)]
    return critical, high


def urgency_grade(
    *,
    sentiment: Decimal,
    rating: int | None,
    text: str,
    negative: Decimal = DEFAULT_NEGATIVE,
    strong: Decimal = DEFAULT_STRONG,
) -> str:
    """How soon a person must look at one feedback item: critical, high, normal or low.

    `negative` and `strong` are ServiceSettings.negative_sentiment (-0.30) and ticket_sentiment (-0.60);
    "clearly positive" is the mirror of `negative` (sentiment >= 0.30) with no rating below 4 stars.

    - critical: a safety, legal, regulator or press word (起火, 漏电, 过敏, 受伤, 12315, 工商, 律师, 曝光,
      injury, fire, allergic, lawyer, ...), unless the item is clearly positive ("宝宝用了不过敏，很好").
    - high: a complaint or fraud word (投诉, 假货, 骗子, 退款不到账, fraud, fake, scam, ...) in an item that
      is not clearly positive; or sentiment below `strong`; or a low rating (1-2 stars) with sentiment
      below `negative`.
    - normal: anything else that is not good news: sentiment below 0, a rating of 3 stars or less, or a
      risk word in a clearly positive item.
    - low: neutral or positive text with no rating or a rating of 4-5 stars.
    """
    critical, high = risk_words(text)
    low_rating = rating is not None and rating <= LOW_RATING
    clearly_positive = sentiment >= -negative and (rating is None or rating >= 4)
    if critical and not clearly_positive:
        return Feedback.Urgency.CRITICAL
    if (high and not clearly_positive) or sentiment < strong or (low_rating and sentiment < negative):
        return Feedback.Urgency.HIGH
    if sentiment < 0 or (rating is not None and rating <= 3) or critical or high:
        return Feedback.Urgency.NORMAL
    return Feedback.Urgency.LOW


def _validate(*, source, text, occurred_at, rating, external_id, author, channel, order) -> dict[str, str]:
    errors = {}
    if source not in Feedback.Source.values:
        errors["source"] = _("Choose one of: %(choices)s.") % {"choices": ", ".join(Feedback.Source.values)}
    if not (text or "").strip():
        errors["text"] = _("The text is required.")
    elif len(text) > TEXT_MAX_LENGTH:
        errors["text"] = _("At most %(count)s characters.") % {"count": TEXT_MAX_LENGTH}
    if not isinstance(occurred_at, datetime):
        errors["occurred_at"] = _("A date and time is required.")
    elif timezone.is_naive(occurred_at):
        errors["occurred_at"] = _("The time needs a time zone.")
    if rating is not None and (
        isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5
    ):
        errors["rating"] = _("A whole number of stars from 1 to 5.")
    if len(external_id or "") > 100:
        errors["external_id"] = _("At most %(count)s characters.") % {"count": 100}
    if len(author or "") > 200:
        errors["author"] = _("At most %(count)s characters.") % {"count": 200}
    if order is not None and channel is not None and order.channel_id != channel.pk:
        errors["order"] = _("The order belongs to another channel.")
    return errors


def _subject(feedback: Feedback) -> str:
    text = " ".join(feedback.text.split())
    if len(text) > SUBJECT_TEXT_LENGTH:
        text = text[: SUBJECT_TEXT_LENGTH - 1] + "…"
    stars = f" {feedback.rating}★" if feedback.rating else ""
    about = f" · {feedback.sku.code}" if feedback.sku_id else ""
    subject = _("Negative %(source)s%(stars)s%(about)s: %(text)s") % {
        "source": feedback.get_source_display().lower(),
        "stars": stars,
        "about": about,
        "text": text,
    }
    return subject[:200]


def _ticket_open(feedback: Feedback, received_at=None) -> Ticket:
    # The SLA clock starts when the shop learns of the item (now, or `received_at` for a replay), not when
    # it was written: an imported month-old review must not arrive already breached and escalated.
    return ticket_create(
        opened_at=received_at,
        channel=TICKET_CHANNELS[feedback.source],
        type=Ticket.Type.COMPLAINT,
        priority=TICKET_PRIORITIES.get(feedback.urgency, Ticket.Priority.URGENT),
        source=Ticket.Source.FEEDBACK,
        external_id=f"feedback-{feedback.pk}",
        subject=_subject(feedback),
        body=feedback.text,
        customer=feedback.customer,
        order=feedback.order,
        sku=feedback.sku,
        sales_channel=feedback.channel,
        author_name=feedback.author,
    )


def feedback_needs_ticket(
    *, sentiment: Decimal, urgency: str, source: str, settings: ServiceSettings
) -> bool:
    """Strongly negative (below ticket_sentiment) or critical feedback opens a complaint ticket, except
    feedback that came from a ticket."""
    if source not in TICKET_CHANNELS:
        return False
    return sentiment < settings.ticket_sentiment or urgency == Feedback.Urgency.CRITICAL


def _existing(source: str, channel, external_id: str) -> Feedback | None:
    if not external_id:
        return None
    return (
        Feedback.objects.select_related("ticket")
        .filter(source=source, channel=channel, external_id=external_id)
        .first()
    )


@transaction.atomic
def feedback_record(
    *,
    source: str,
    text: str,
    occurred_at,
    channel=None,
    external_id: str = "",
    sku=None,
    order=None,
    customer=None,
    rating: int | None = None,
    author: str = "",
    received_at=None,
) -> tuple[Feedback, bool]:
    """Score and grade one item; an item whose sentiment is below the settings' threshold opens exactly one
    complaint ticket. A known (source, channel, external_id) returns the existing item and False.

    Language and sentiment come from `service.nlp`, urgency from `urgency_grade`, the item's keywords from
    `service.services.keywords.text_keywords`. The order's channel stands for a missing channel, and its
    customer for a missing customer. `received_at` (default now) is when the shop learnt of the item: a
    ticket it opens starts its clocks then. Bad input raises ValidationError keyed by field."""
    external_id = (external_id or "").strip()
    author = (author or "").strip()
    if channel is None and order is not None:
        channel = order.channel
    errors = _validate(
        source=source,
        text=text,
        occurred_at=occurred_at,
        rating=rating,
        external_id=external_id,
        author=author,
        channel=channel,
        order=order,
    )
    if errors:
        raise ValidationError(errors)
    existing = _existing(source, channel, external_id)
    if existing is not None:
        return existing, False

    text = text.strip()
    settings = ServiceSettings.load()
    language = nlp.language_of(text)
    score = nlp.sentiment(text)
    urgency = urgency_grade(
        sentiment=score,
        rating=rating,
        text=text,
        negative=settings.negative_sentiment,
        strong=settings.ticket_sentiment,
    )
    if customer is None and order is not None:
        customer = order.customer
    feedback = Feedback(
        source=source,
        channel=channel,
        external_id=external_id,
        sku=sku,
        order=order,
        customer=customer,
        author=author,
        text=text,
        rating=rating,
        occurred_at=occurred_at,
        language=language,
        sentiment=score,
        urgency=urgency,
        keywords=text_keywords(text, language=language),
    )
    try:
        with transaction.atomic():
            feedback.save()
    except IntegrityError:
        # The same item arrived concurrently: the other request recorded it (and its ticket).
        existing = _existing(source, channel, external_id)
        if existing is None:
            raise
        return existing, False
    if feedback_needs_ticket(sentiment=score, urgency=urgency, source=source, settings=settings):
        feedback.ticket = _ticket_open(feedback, received_at)
        feedback.save(update_fields=["ticket"])
    return feedback, True
