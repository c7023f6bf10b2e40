"""CSAT and NPS surveys: the CSAT request of a resolved ticket, the nightly NPS scheduling 3-7 days after
delivery, and the customer's answer (public page or API).

Answer refusals, for the API and the public page to tell apart:
- an unknown token raises `SurveyNotFound` (the API answers 404);
- an expired or already answered survey raises `SurveyClosed` (`code` "expired" / "answered"; the API
  answers 409);
- a score out of range or a comment too long raises a plain ValidationError with field errors (400).
Both subclasses are ValidationErrors, so a caller that only catches ValidationError still refuses them."""

import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DecimalField, Exists, ExpressionWrapper, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Order, OrderLine
from service.models import ServiceSettings, Survey, Ticket
from service.services.feedback import feedback_record
from shopops.common.dates import day_range, shop_today

SURVEY_VALID_DAYS = 14
COMMENT_MAX_LENGTH = 2000
SCORE_RANGE = {Survey.Kind.CSAT: (1, 5), Survey.Kind.NPS: (0, 10)}
# Scores whose comment is a complaint worth reading with the rest of the feedback.
NPS_DETRACTOR_MAX = 6
CSAT_UNHAPPY_MAX = 2


class SurveyNotFound(ValidationError):
    def __init__(self):
        super().__init__({"token": _("No survey with this link.")})


class SurveyClosed(ValidationError):
    """The survey can no longer be answered; `code` is "expired" or "answered"."""

    def __init__(self, code: str, message: str):
        super().__init__({"token": ValidationError(message, code=code)})
        self.code = code
        self.detail = message


def _new_token() -> str:
    return secrets.token_urlsafe(24)


def _ticket_channel(ticket: Ticket):
    """The store the survey is counted under: where the customer wrote from, else the order's store."""
    if ticket.sales_channel_id:
        return ticket.sales_channel_id
    if ticket.order_id:
        return Order.objects.filter(pk=ticket.order_id).values_list("channel_id", flat=True).first()
    return None


@transaction.atomic
def csat_survey_create(*, ticket: Ticket, at=None) -> Survey:
    """The CSAT request of a resolved ticket (one per ticket: a second call returns the first request,
    so resolving, reopening and resolving again asks once). The ticket's status is not checked: the
    tickets service calls this when it resolves."""
    at = at or timezone.now()
    category_id = None
    if ticket.sku_id:
        category_id = ticket.sku.product.category_id
    survey, _created = Survey.objects.get_or_create(
        kind=Survey.Kind.CSAT,
        ticket=ticket,
        defaults={
            "token": _new_token(),
            "order_id": None,
            "customer_id": ticket.customer_id,
            "channel_id": _ticket_channel(ticket),
            "category_id": category_id,
            "created_at": at,
            "expires_at": at + timedelta(days=SURVEY_VALID_DAYS),
        },
    )
    return survey


def _main_line_categories(order_ids: list[int]) -> dict[int, int | None]:
    """Per order, the category of its highest-value line (net amount; the lowest line id on a tie)."""
    value = ExpressionWrapper(
        F("quantity") * F("unit_price") - F("discount"),
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )
    best: dict[int, tuple] = {}
    rows = (
        OrderLine.objects.filter(order_id__in=order_ids)
        .annotate(value=value)
        .values_list("order_id", "id", "value", "sku__product__category_id")
        .order_by("order_id", "id")
    )
    for order_id, _line_id, amount, category_id in rows:
        current = best.get(order_id)
        if current is None or amount > current[0]:
            best[order_id] = (amount, category_id)
    return {order_id: category for order_id, (_amount, category) in best.items()}


@transaction.atomic
def nps_surveys_schedule(*, today=None) -> int:
    """Create NPS requests for delivered orders whose delivery day (shop time) is between
    `nps_delay_max_days` and `nps_delay_min_days` days before `today` (both included; 3-7 by default)
    and that have none yet; returns how many were created. Idempotent: the (kind, order) constraint and
    the existence check make a second run create nothing."""
    settings = ServiceSettings.load()
    today = today or shop_today()
    lo, hi = day_range(
        today - timedelta(days=settings.nps_delay_max_days),
        today - timedelta(days=settings.nps_delay_min_days - 1),
    )
    has_survey = Survey.objects.filter(kind=Survey.Kind.NPS, order=OuterRef("pk"))
    orders = list(
        Order.objects.filter(status=Order.Status.DELIVERED, delivered_at__gte=lo, delivered_at__lt=hi)
        .filter(~Exists(has_survey))
        .values_list("id", "channel_id", "customer_id")
        .order_by("id")
    )
    if not orders:
        return 0
    categories = _main_line_categories([order_id for order_id, _c, _u in orders])
    now = timezone.now()
    surveys = [
        Survey(
            kind=Survey.Kind.NPS,
            token=_new_token(),
            order_id=order_id,
            channel_id=channel_id,
            customer_id=customer_id,
            category_id=categories.get(order_id),
            created_at=now,
            expires_at=now + timedelta(days=SURVEY_VALID_DAYS),
        )
        for order_id, channel_id, customer_id in orders
    ]
    # A concurrent run may have inserted some of them meanwhile; the constraint keeps one per order (the
    # count returned then includes the ones the other run created).
    Survey.objects.bulk_create(surveys, batch_size=1000, ignore_conflicts=True)
    return len(surveys)


def _validate_answer(survey: Survey, score, comment: str) -> None:
    errors = {}
    low, high = SCORE_RANGE[survey.kind]
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        errors["score"] = _("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = _("Keep the comment under %(max)s characters.") % {"max": COMMENT_MAX_LENGTH}
    if errors:
        raise ValidationError(errors)


def survey_is_unhappy(survey: Survey) -> bool:
    """A detractor (NPS 0-6) or an unhappy CSAT (1-2)."""
    if survey.score is None:
        return False
    if survey.kind == Survey.Kind.NPS:
        return survey.score <= NPS_DETRACTOR_MAX
    return survey.score <= CSAT_UNHAPPY_MAX


def _comment_to_feedback(survey: Survey, at: datetime) -> None:
    """An unhappy comment joins the feedback stream (sentiment, keywords, a ticket if strongly negative,
    its clock starting when the answer came in)."""
    try:
        feedback_record(
            source="survey",
            text=survey.comment,
            occurred_at=at,
            received_at=at,
            channel=survey.channel,
            external_id=f"survey-{survey.pk}",
            order=survey.order,
            customer=survey.customer,
            rating=survey.score if survey.kind == Survey.Kind.CSAT else None,
        )
    except ValidationError:
        # The answer stands even when its comment cannot join the feedback stream.
        return


@transaction.atomic
def survey_answer(*, token: str, score: int, comment: str = "", now=None) -> Survey:
    """Record an answer, once. Refusals: SurveyNotFound (unknown token), SurveyClosed (expired or already
    answered), ValidationError with field errors (score out of range, comment too long). The row is
    locked so that two answers at the same moment record one."""
    now = now or timezone.now()
    comment = (comment or "").strip()
    survey = (
        Survey.objects.select_for_update(of=("self",))
        .select_related("channel", "order", "customer")
        .filter(token=token or "")
        .first()
    )
    if survey is None:
        raise SurveyNotFound()
    if survey.answered_at is not None:
        raise SurveyClosed("answered", _("This survey has already been answered. Thank you!"))
    if survey.expires_at <= now:
        raise SurveyClosed("expired", _("This survey has expired."))
    _validate_answer(survey, score, comment)
    survey.score = score
    survey.comment = comment
    survey.answered_at = now
    survey.save(update_fields=["score", "comment", "answered_at"])
    if comment and survey_is_unhappy(survey):
        _comment_to_feedback(survey, now)
    return survey
