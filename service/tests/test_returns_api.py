"""POST /api/v1/returns and GET /api/v1/returns/{number}: shapes, scopes, field errors, idempotency."""

import json
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache

from catalog.tests.factories import SKUFactory
from service.models import ReturnRequest
from service.tests.factories_returns import delivered_order, shanghai
from shopops.common.models import ApiClient

pytestmark = pytest.mark.django_db
URL = "/api/v1/returns"


@pytest.fixture(autouse=True)
def _clear_throttles():
    cache.clear()


def key_for(*scopes):
    _, key = ApiClient.objects.create_key(name="connector", scopes=list(scopes))
    return f"Api-Key {key}"


def post(client, body, auth):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL, raw, content_type="application/json", HTTP_AUTHORIZATION=auth)


@pytest.fixture
def order():
    exempt = SKUFactory(code="UW-1", return_exempt=True, return_exempt_reason="Intimate apparel")
    return delivered_order(
        external_id="T-API-1",
        lines=[
            (SKUFactory(code="MUG-1"), 2, Decimal("100.00"), Decimal("20.00")),
            (exempt, 1, Decimal("50.00"), Decimal("0.00")),
        ],
    )


def body(**over):
    data = {
        "order": {"channel": "tmall", "external_id": "T-API-1"},
        "lines": [{"sku": "MUG-1", "quantity": 1}],
        "reason": "no_reason",
        "note": "不喜欢颜色",
        "external_id": "RMA-1",
    }
    data.update(over)
    return data


@time_machine.travel(shanghai(2026, 11, 5, 10, 0), tick=False)
def test_create_201_with_the_documented_shape(client, order):
    response = post(client, body(), key_for("service:write"))
    assert response.status_code == 201, response.content
    request = ReturnRequest.objects.get()
    assert response.json() == {
        "number": request.number,
        "status": "requested",
        "reason": "no_reason",
        "order": {"channel": "tmall", "external_id": "T-API-1"},
        "lines": [{"sku": "MUG-1", "quantity": 1, "restocked": 0, "scrapped": 0}],
        "external_id": "RMA-1",
        "requested_at": "2026-11-05T10:00:00+08:00",
        "received_at": None,
        "refund_amount": None,
        "refund_method": "",
        "refunded_at": None,
        "rejection_reason": "",
        "eligibility": {
            "delivered_at": "2026-11-01T10:00:00+08:00",
            "no_reason_deadline": "2026-11-08",
            "no_reason_open": True,
            "exempt_skus": [{"sku": "UW-1", "reason": "Intimate apparel"}],
        },
    }
    assert (request.source, request.note, request.number) == ("api", "不喜欢颜色", f"R-{request.pk:06d}")

    again = post(client, body(lines=[{"sku": "MUG-1", "quantity": 2}]), key_for("service:write"))
    assert again.status_code == 200 and again.json()["number"] == request.number
    assert ReturnRequest.objects.count() == 1

    got = client.get(f"{URL}/{request.number}", HTTP_AUTHORIZATION=key_for("service:read"))
    assert got.status_code == 200 and got.json() == response.json()
    assert client.get(f"{URL}/R-999999", HTTP_AUTHORIZATION=key_for("service:read")).status_code == 404


@time_machine.travel(shanghai(2026, 11, 9, 0, 0), tick=False)
def test_field_errors_400_and_nothing_written(client, order):
    auth = key_for("service:write")
    cases = [
        (
            body(),
            {
                "reason": [
                    "The 7-day no-reason return window closed at the end of 2026-11-08; "
                    "choose another reason."
                ]
            },
        ),
        (
            body(reason="defective", lines=[{"sku": "MUG-1", "quantity": 3}]),
            {"lines": ["MUG-1: at most 2 of 2 units can still be returned, not 3."]},
        ),
        (
            body(reason="defective", lines=[{"sku": "NOPE", "quantity": 1}]),
            {"lines": ["SKU NOPE is not on this order."]},
        ),
        (
            body(order={"channel": "tmall", "external_id": "nope"}),
            {"order": ["No such order on this channel."]},
        ),
    ]
    for payload, errors in cases:
        response = post(client, payload, auth)
        assert (response.status_code, response.json()) == (400, errors)
    bad = post(client, body(lines=[], reason="whim"), auth)
    assert bad.status_code == 400 and set(bad.json()) == {"lines", "reason"}
    assert post(client, "[1]", auth).status_code == 400
    assert not ReturnRequest.objects.exists()
    ok = post(client, body(reason="defective", lines=[{"sku": "UW-1", "quantity": 1}]), auth)
    assert ok.status_code == 201 and ok.json()["eligibility"]["no_reason_open"] is False


def test_exempt_sku_refused_without_reason(client, order):
    with time_machine.travel(shanghai(2026, 11, 2, 10, 0), tick=False):
        response = post(client, body(lines=[{"sku": "UW-1", "quantity": 1}]), key_for("service:write"))
    assert (response.status_code, response.json()) == (
        400,
        {"reason": ["UW-1 is exempt from no-reason return: Intimate apparel"]},
    )


def test_scopes(client, order):
    assert post(client, body(), "").status_code == 401
    assert post(client, body(), key_for("service:read")).status_code == 403
    assert client.get(f"{URL}/R-000001", HTTP_AUTHORIZATION=key_for("orders:read")).status_code == 403
    assert client.get(f"{URL}/R-000001", HTTP_AUTHORIZATION=key_for("service:write")).status_code == 404
