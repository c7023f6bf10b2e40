"""POST and GET /api/v1/feedback: exact shapes, 400s with nothing written, scopes."""

import json

import pytest
from django.core.cache import cache

from catalog.tests.factories import SKUFactory
from orders.tests.factories import ChannelFactory, OrderFactory
from service.models import Feedback, Ticket
from service.tests.factories_feedback import FeedbackFactory
from shopops.common.models import ApiClient

pytestmark = pytest.mark.django_db
URL = "/api/v1/feedback"

NEGATIVE = "衣服洗了一次就起球了，质量太差了，非常失望，再也不买了"
POSITIVE = "Love it! Great quality and fast delivery, highly recommend."


@pytest.fixture(autouse=True)
def _clear_throttles():
    cache.clear()


@pytest.fixture
def shop(db):
    channel = ChannelFactory(code="tmall")
    sku = SKUFactory(code="SKU-0001")
    order = OrderFactory(channel=channel, external_id="TB001")
    return channel, sku, order


def key_for(*scopes):
    _, key = ApiClient.objects.create_key(name="connector", scopes=list(scopes))
    return f"Api-Key {key}"


def post(client, body, auth):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL, raw, content_type="application/json", HTTP_AUTHORIZATION=auth)


def item(**overrides):
    return {
        "source": "review",
        "channel": "tmall",
        "external_id": "RV-1",
        "sku": "SKU-0001",
        "order": "TB001",
        "text": NEGATIVE,
        "rating": 1,
        "occurred_at": "2026-11-20T21:14:00+08:00",
        "author": "tb_wangfang",
    } | overrides


def test_one_item_201_with_the_documented_shape(client, shop):
    response = post(client, item(), key_for("service:write"))
    assert response.status_code == 201
    body = response.json()
    feedback = Feedback.objects.get()
    ticket = Ticket.objects.get()
    assert body == {
        "id": feedback.pk,
        "sentiment": f"{feedback.sentiment:.4f}",
        "urgency": "high",
        "ticket": ticket.number,
        "created": True,
    }
    assert len(body["sentiment"].split(".")[1]) == 4
    channel, sku, order = shop
    assert (feedback.channel, feedback.sku, feedback.order, feedback.customer_id) == (
        channel,
        sku,
        order,
        order.customer_id,
    )
    assert feedback.occurred_at.isoformat() == "2026-11-20T13:14:00+00:00"


def test_posting_twice_keeps_one_item_and_one_ticket(client, shop):
    auth = key_for("service:write")
    first = post(client, item(), auth).json()
    second = post(client, item(), auth)
    assert second.status_code == 201
    assert second.json() == first | {"created": False}
    assert (Feedback.objects.count(), Ticket.objects.count()) == (1, 1)


def test_a_batch_answers_per_item_in_order(client, shop):
    body = {
        "items": [
            item(),
            item(
                external_id="RV-2",
                text=POSITIVE,
                rating=5,
                order={"channel": "tmall", "external_id": "TB001"},
            ),
            {"source": "social", "text": "还行吧", "occurred_at": "2026-11-21 09:30"},
        ]
    }
    response = post(client, body, key_for("service:write"))
    assert response.status_code == 201
    answers = response.json()["items"]
    assert [a["urgency"] for a in answers] == ["high", "low", "low"]
    assert [a["created"] for a in answers] == [True, True, True]
    assert answers[0]["ticket"] is not None
    assert answers[1]["ticket"] is None and answers[2]["ticket"] is None
    assert Feedback.objects.get(pk=answers[2]["id"]).occurred_at.isoformat() == "2026-11-21T01:30:00+00:00"


def test_a_batch_with_errors_writes_nothing_and_names_each_item(client, shop):
    body = {
        "items": [
            item(),
            item(external_id="RV-2", sku="SKU-9999", rating=9),
            item(external_id="RV-3", order="TB404"),
            item(external_id="RV-4", source="blog", occurred_at="yesterday", text=""),
        ]
    }
    response = post(client, body, key_for("service:write"))
    assert response.status_code == 400
    assert response.json() == {
        "items[1].rating": ["A whole number of stars from 1 to 5, or null."],
        "items[3].source": ["Choose one of: review, rating, social, survey, ticket."],
        "items[3].text": ["This field is required."],
        "items[3].occurred_at": ["Enter a date and time, e.g. 2026-11-20T21:14:00+08:00."],
    }
    assert (Feedback.objects.count(), Ticket.objects.count()) == (0, 0)

    body["items"][1]["rating"] = 2
    body["items"][3] = item(external_id="RV-4")
    response = post(client, body, key_for("service:write"))
    assert response.status_code == 400
    assert response.json() == {
        "items[1].sku": ["Unknown SKU: SKU-9999."],
        "items[2].order": ["No order TB404 on channel tmall."],
    }
    assert (Feedback.objects.count(), Ticket.objects.count()) == (0, 0)


def test_one_item_errors_are_keyed_by_field(client, shop):
    response = post(client, item(channel="nowhere", order=None), key_for("service:write"))
    assert response.status_code == 400
    assert response.json() == {"channel": ["Unknown channel: nowhere."]}
    response = post(client, item(order={"channel": "jd"}, unknown=1), key_for("service:write"))
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Unknown field(s): unknown."],
        "order.external_id": ["This field is required."],
    }


def test_batch_limits_and_malformed_bodies(client, shop):
    auth = key_for("service:write")
    too_many = post(client, {"items": [item(external_id=str(i)) for i in range(501)]}, auth)
    assert too_many.status_code == 400
    assert too_many.json() == {"items": ["At most 500 items per call; got 501."]}
    assert post(client, {"items": []}, auth).status_code == 400
    assert post(client, "[1, 2]", auth).json() == {"non_field_errors": ["Expected a JSON object."]}
    assert post(client, "{oops", auth).status_code == 400
    assert Feedback.objects.count() == 0


def test_scopes(client, shop):
    assert post(client, item(), key_for("service:read")).status_code == 403
    assert post(client, item(), "").status_code == 401
    assert client.get(URL, HTTP_AUTHORIZATION=key_for("orders:read")).status_code == 403
    assert client.get(URL, HTTP_AUTHORIZATION=key_for("service:write")).status_code == 200


def test_list_is_cursor_paginated_and_filtered(client, shop):
    channel, sku, _order = shop
    low = FeedbackFactory(text="好", sentiment="0.9000", urgency="low", channel=channel)
    bad = FeedbackFactory(text="差", sentiment="-0.8000", urgency="high", sku=sku, rating=1)
    mid = FeedbackFactory(text="还行", sentiment="0.0000", urgency="normal", source="social")
    auth = key_for("service:read")

    body = client.get(URL, {"page_size": 2}, HTTP_AUTHORIZATION=auth).json()
    assert [r["id"] for r in body["results"]] == [low.pk, bad.pk]
    assert body["next"] is not None
    rest = client.get(body["next"], HTTP_AUTHORIZATION=auth).json()
    assert [r["id"] for r in rest["results"]] == [mid.pk]

    def ids(**params):
        response = client.get(URL, params, HTTP_AUTHORIZATION=auth)
        assert response.status_code == 200
        return [r["id"] for r in response.json()["results"]]

    assert ids(sentiment="negative") == [bad.pk]
    assert ids(sentiment="neutral") == [mid.pk]
    assert ids(sentiment="positive") == [low.pk]
    assert ids(urgency="high") == [bad.pk]
    assert ids(source="social") == [mid.pk]
    assert ids(channel="tmall") == [low.pk]
    assert ids(sku="SKU-0001") == [bad.pk]
    assert ids(since="2026-10-16T00:00:00+08:00") == []

    row = client.get(URL, {"sku": "SKU-0001"}, HTTP_AUTHORIZATION=auth).json()["results"][0]
    assert row == {
        "id": bad.pk,
        "source": "review",
        "channel": None,
        "external_id": bad.external_id,
        "sku": "SKU-0001",
        "order": None,
        "author": "",
        "text": "差",
        "rating": 1,
        "occurred_at": "2026-10-15T04:00:00+00:00",
        "language": "zh",
        "sentiment": "-0.8000",
        "urgency": "high",
        "keywords": [],
        "ticket": None,
        "created_at": row["created_at"],
    }
    bad_filter = client.get(URL, {"sentiment": "angry", "since": "soon"}, HTTP_AUTHORIZATION=auth)
    assert bad_filter.status_code == 400
    assert set(bad_filter.json()) == {"sentiment", "since"}
