"""The alert webhook: a receiver can verify the signature; a row is sent once, failures are recorded and
retried, and the delivery runs after the alert's transaction commits."""

import hashlib
import hmac
import json
from datetime import date
from decimal import Decimal as D

import pytest

from finance import webhooks
from finance.models import FinanceSettings, WebhookDelivery
from finance.services import alerts as service
from finance.tasks import webhook_deliver_task
from finance.tests.factories_alerts import snapshot

pytestmark = pytest.mark.django_db
DAY = date(2024, 10, 7)


def test_signature_is_verifiable_by_a_receiver():
    body = webhooks.webhook_body({"b": 1, "a": "现金"})
    assert body == '{"a":"现金","b":1}'
    headers = webhooks.webhook_headers(secret="top-secret", body=body, timestamp="1700000000")
    expected = hmac.new(b"top-secret", f"1700000000.{body}".encode(), hashlib.sha256).hexdigest()
    assert headers["X-ShopOps-Signature"] == f"sha256={expected}"
    assert headers["X-ShopOps-Timestamp"] == "1700000000"
    assert webhooks.webhook_signature_valid("top-secret", "1700000000", body, headers["X-ShopOps-Signature"])
    assert not webhooks.webhook_signature_valid("other", "1700000000", body, headers["X-ShopOps-Signature"])
    assert not webhooks.webhook_signature_valid(
        "top-secret", "1700000001", body, headers["X-ShopOps-Signature"]
    )


class Receiver:
    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.calls = []

    def __call__(self, url, data, headers, timeout):
        self.calls.append((url, data, headers, timeout))
        status = self.statuses.pop(0)
        if isinstance(status, Exception):
            raise status
        return status


@pytest.fixture
def delivery():
    FinanceSettings.objects.filter(pk=1).update(webhook_url="https://hooks.example.com/x", webhook_secret="k")
    snapshot(DAY, runway_months=D("5.0"), weekly_net_burn=D("1.00"))
    service.alerts_evaluate(business_date=DAY)
    return WebhookDelivery.objects.get()


def test_a_delivery_is_sent_once_signed_and_recorded(delivery):
    receiver = Receiver([200])
    assert webhooks.webhook_deliver(delivery.pk, sender=receiver) == "sent"
    assert webhooks.webhook_deliver(delivery.pk, sender=receiver) == "skipped"
    assert len(receiver.calls) == 1
    url, data, headers, timeout = receiver.calls[0]
    assert (url, timeout) == ("https://hooks.example.com/x", 5)
    assert webhooks.webhook_signature_valid(
        "k", headers["X-ShopOps-Timestamp"], data.decode(), headers["X-ShopOps-Signature"]
    )
    assert json.loads(data)["event"] == "alert.raised"
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status, delivery.sent_at is not None) == (1, "HTTP 200", True)
    assert webhooks.webhook_pending_ids() == []


def test_failures_are_recorded_and_retried_until_given_up(delivery):
    receiver = Receiver([ConnectionRefusedError("refused"), 500])
    assert webhooks.webhook_deliver(delivery.pk, sender=receiver) == "failed"
    assert webhooks.webhook_deliver(delivery.pk, sender=receiver) == "failed"
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status, delivery.sent_at) == (2, "HTTP 500", None)
    assert webhooks.webhook_pending_ids() == [delivery.pk]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=webhooks.MAX_ATTEMPTS)
    assert webhooks.webhook_deliver(delivery.pk, sender=receiver) == "skipped"
    assert webhooks.webhook_pending_ids() == []
    assert [webhooks.backoff_seconds(n) for n in range(3)] == [30, 60, 120]


def test_the_task_runs_after_commit_and_a_failed_row_goes_again_with_the_next_evaluation(
    monkeypatch, django_capture_on_commit_callbacks
):
    calls = Receiver([OSError("down"), 204, 204])
    monkeypatch.setattr(webhooks, "http_post", calls)
    FinanceSettings.objects.filter(pk=1).update(webhook_url="https://hooks.example.com/x")
    snapshot(DAY, runway_months=D("3.5"), weekly_net_burn=D("1.00"))
    with django_capture_on_commit_callbacks(execute=True):
        service.alerts_evaluate(business_date=DAY)
    # Two alerts (watch, warning): in process each row gets one attempt; the first failed.
    rows = list(WebhookDelivery.objects.order_by("id"))
    assert [(r.attempts, r.sent_at is None) for r in rows] == [(1, True), (1, False)]
    with django_capture_on_commit_callbacks(execute=True):
        assert service.alerts_evaluate(business_date=DAY)["raised"] == 0
    rows = list(WebhookDelivery.objects.order_by("id"))
    assert [(r.attempts, r.sent_at is None) for r in rows] == [(2, False), (1, False)]
    assert len(calls.calls) == 3
    assert webhook_deliver_task.apply(args=[rows[0].pk]).get() == "skipped"


def test_on_a_worker_a_failure_is_retried_with_backoff(delivery, monkeypatch):
    monkeypatch.setattr(webhooks, "http_post", Receiver([OSError("down")]))
    retried = []

    def fake_retry(*, countdown):
        retried.append(countdown)
        return RuntimeError("retry")

    monkeypatch.setattr(webhook_deliver_task, "retry", fake_retry)
    task_request = webhook_deliver_task.request
    monkeypatch.setattr(task_request, "is_eager", False, raising=False)
    monkeypatch.setattr(task_request, "retries", 1, raising=False)
    with pytest.raises(RuntimeError):
        webhook_deliver_task.run(delivery.pk)
    assert retried == [60]
