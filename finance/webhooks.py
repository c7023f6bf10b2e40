"""The alert webhook: a signed JSON POST per outbox row (WebhookDelivery), sent once.

The receiver checks the signature: ``X-ShopOps-Signature: sha256=<hex>`` where hex is HMAC-SHA256 with the
shared secret (FinanceSettings.webhook_secret) over ``f"{timestamp}.{body}"``, the timestamp being the
``X-ShopOps-Timestamp`` header (Unix seconds) and body the raw request body. Rejecting old timestamps
protects the receiver against replays.

A delivery is attempted by the task ``finance.webhook_deliver`` after the alert's transaction commits; a
failure (network error, non-2xx answer) is recorded on the row (attempts, last result) and retried with
backoff. The row is locked while it is sent and marked sent in the same transaction, so two tasks never
send the same row twice."""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from finance.models import FinanceSettings, WebhookDelivery

TIMEOUT_SECONDS = 5
MAX_ATTEMPTS = 6  # the first try and 5 retries
BACKOFF_SECONDS = 30  # 30 s, 1 min, 2 min, 4 min, 8 min
USER_AGENT = "ShopOps-Webhook/1"

Sender = Callable[[str, bytes, dict[str, str], float], int]


def webhook_body(payload: dict) -> str:
    """The exact text sent (and signed): compact JSON with sorted keys, non-ASCII kept."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def webhook_signature(secret: str, timestamp: str, body: str) -> str:
    """The X-ShopOps-Signature header value for `body` sent at `timestamp`."""
    message = f"{timestamp}.{body}".encode()
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_signature_valid(secret: str, timestamp: str, body: str, header: str | None) -> bool:
    """What a receiver does: recompute the signature and compare in constant time."""
    if not header:
        return False
    return hmac.compare_digest(webhook_signature(secret, timestamp, body), header)


def webhook_headers(*, secret: str, body: str, timestamp: str | None = None) -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-ShopOps-Timestamp": timestamp,
    }
    if secret:
        headers["X-ShopOps-Signature"] = webhook_signature(secret, timestamp, body)
    return headers


def http_post(url: str, data: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST and return the HTTP status (an HTTP error's status too); network errors raise OSError."""
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def backoff_seconds(retries: int) -> int:
    return BACKOFF_SECONDS * 2**retries


def webhook_deliver(delivery_id: int, *, sender: Sender | None = None) -> str:
    """Try to send one outbox row. Returns "sent", "failed" (recorded; retry later) or "skipped" (already
    sent, given up, gone, or being sent by another task right now)."""
    sender = sender or http_post
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update(skip_locked=True).filter(pk=delivery_id).first()
        if delivery is None or delivery.sent_at is not None or delivery.attempts >= MAX_ATTEMPTS:
            return "skipped"
        body = webhook_body(delivery.payload)
        headers = webhook_headers(secret=FinanceSettings.get().webhook_secret, body=body)
        delivery.attempts += 1
        try:
            status = sender(delivery.url, body.encode(), headers, TIMEOUT_SECONDS)
        except (OSError, ValueError) as exc:  # connection refused, timeout, DNS, bad URL
            delivery.last_status = f"error: {exc}"[:200]
            delivery.save(update_fields=["attempts", "last_status", "updated_at"])
            return "failed"
        delivery.last_status = f"HTTP {status}"
        if 200 <= status < 300:
            delivery.sent_at = timezone.now()
            delivery.save(update_fields=["attempts", "last_status", "sent_at", "updated_at"])
            return "sent"
        delivery.save(update_fields=["attempts", "last_status", "updated_at"])
        return "failed"


def webhook_pending_ids() -> list[int]:
    """Outbox rows not sent yet and not given up (re-enqueued by each evaluation, in case a worker died
    before sending them)."""
    return list(
        WebhookDelivery.objects.filter(sent_at=None, attempts__lt=MAX_ATTEMPTS)
        .order_by("id")
        .values_list("id", flat=True)
    )
