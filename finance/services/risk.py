"""Order risk writes: score new orders (the beat task `finance.order_risk_score`, every 5 minutes) and put
the risky ones on hold through the orders service; the review queue releases or cancels them.

Scoring is idempotent: an order is scored once (one OrderRisk per order, inserted ignoring conflicts), so
a re-run or an overlapping run scores nothing twice.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from finance import risk as rules
from finance.models import FinanceSettings, OrderRisk
from finance.selectors import risk as selectors
from orders import services as order_services

CHUNK = 500  # orders scored per transaction


def _hold_reason(assessment: rules.Assessment) -> str:
    labels = ", ".join(str(rules.RULE_LABELS[r.rule]) for r in assessment.results if r.fired)
    return f"{_('Risk score')} {assessment.score}: {labels}"[:300]


def orders_risk_score(*, now=None, lookback_days: int = 3) -> dict:
    """Score every order placed in the last `lookback_days` that is still pending or paid and has no score
    yet; hold those at or over the settings' hold score. Returns {"scored", "held", "clear", "missed"}
    ("missed": over the hold score but shipped or closed before the hold could be put on)."""
    now = now or timezone.now()
    ids = selectors.orders_to_score(since=now - timedelta(days=lookback_days), until=now)
    totals = {"scored": 0, "held": 0, "clear": 0, "missed": 0}
    for start in range(0, len(ids), CHUNK):
        counts = _score_chunk(ids[start : start + CHUNK], now)
        for key, value in counts.items():
            totals[key] += value
    return totals


def _score_chunk(order_ids: list[int], now) -> dict:
    """Score a chunk: the clear ones are written together; each held one is held and recorded in its own
    short transaction, so a scoring run holds at most one order's sync lock at a time (a sync batch waiting
    on it can never wait in a cycle with the run). A concurrent run writes nothing twice: rows are
    inserted ignoring conflicts on the one-score-per-order key, and a second hold is a no-op."""
    settings = FinanceSettings.get()
    facts = selectors.risk_facts(order_ids=order_ids, now=now)
    counts = {"scored": 0, "held": 0, "clear": 0, "missed": 0}
    clear, to_hold = [], []
    for order_id in order_ids:
        fact = facts.get(order_id)
        if fact is None:
            continue
        assessment = rules.risk_assess(
            fact, cod_high_value=settings.risk_cod_high_value, hold_score=settings.risk_hold_score
        )
        if assessment.hold:
            to_hold.append((order_id, assessment))
        else:
            clear.append(_risk_row(order_id, assessment, OrderRisk.Status.CLEAR, now))
    with transaction.atomic():
        OrderRisk.objects.bulk_create(clear, batch_size=CHUNK, ignore_conflicts=True)
    counts["clear"] = len(clear)
    for order_id, assessment in to_hold:
        counts["held" if _hold_one(order_id, assessment, now) else "missed"] += 1
    counts["scored"] = counts["clear"] + counts["held"] + counts["missed"]
    return counts


def _risk_row(order_id: int, assessment: rules.Assessment, status: str, now, note: str = "") -> OrderRisk:
    return OrderRisk(
        order_id=order_id,
        score=assessment.score,
        reasons=assessment.reasons,
        status=status,
        scored_at=now,
        review_note=note,
    )


@transaction.atomic
def _hold_one(order_id: int, assessment: rules.Assessment, now) -> bool:
    try:
        order_services.order_hold(order_id=order_id, reason=_hold_reason(assessment), source="risk")
    except ValidationError:
        # The order moved on (shipped, closed) between the listing and the hold.
        note = _("Not held: the order had already moved on when it was scored.")
        row = _risk_row(order_id, assessment, OrderRisk.Status.CLEAR, now, note)
        OrderRisk.objects.bulk_create([row], ignore_conflicts=True)
        return False
    row = _risk_row(order_id, assessment, OrderRisk.Status.HELD, now)
    OrderRisk.objects.bulk_create([row], ignore_conflicts=True)
    return True


def _note_required(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say why (a note is required).")})
    return note


def _risk_review(*, risk: OrderRisk, user, note: str, order_action, status: str) -> OrderRisk:
    """Close a held order's review: `order_action(order_id=, note=, user=)` on the order, then `status`."""
    note = _note_required(note)
    risk = OrderRisk.objects.select_for_update().get(pk=risk.pk)
    if risk.status != OrderRisk.Status.HELD:
        raise ValidationError(
            _("This order is not waiting for review (it is %(status)s).")
            % {"status": risk.get_status_display()}
        )
    order_action(order_id=risk.order_id, note=note, user=user)
    risk.status = status
    risk.reviewed_at = timezone.now()
    risk.reviewed_by = user
    risk.review_note = note
    risk.save(update_fields=["status", "reviewed_at", "reviewed_by", "review_note"])
    return risk


@transaction.atomic
def risk_release(*, risk: OrderRisk, user, note: str) -> OrderRisk:
    """The reviewer finds the order genuine: the hold is lifted and the order may ship."""
    return _risk_review(
        risk=risk,
        user=user,
        note=note,
        order_action=order_services.order_release,
        status=OrderRisk.Status.RELEASED,
    )


@transaction.atomic
def risk_cancel(*, risk: OrderRisk, user, note: str) -> OrderRisk:
    """The reviewer finds the order fraudulent: it is cancelled and its stock reservations released."""
    return _risk_review(
        risk=risk,
        user=user,
        note=note,
        order_action=order_services.order_hold_cancel,
        status=OrderRisk.Status.CANCELLED,
    )


@transaction.atomic
def customer_personal_erase(*, customer_id: int, personal_values: list[str]) -> dict:
    """Finance's part of erasing a customer: the reviewers' notes on their orders keep their content with
    the customer's personal data scrubbed out; scores, reasons and decisions stay."""
    from shopops.common.privacy import scrub

    risks = list(OrderRisk.objects.filter(order__customer_id=customer_id).exclude(review_note=""))
    for risk in risks:
        risk.review_note = scrub(risk.review_note, personal_values)
    OrderRisk.objects.bulk_update(risks, ["review_note"], batch_size=500)
    return {"order_risk_notes": len(risks)}
