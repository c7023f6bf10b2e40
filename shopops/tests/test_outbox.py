"""The task outbox (shopops.common.outbox): the row is written in the caller's transaction (and gone with
it on rollback), published on commit without ever waiting for a broker that is away, and published later
by the drain. Broker cases use a real Redis (REDIS_URL) and a closed port / a server that never answers."""

import json
import socket
import time
import uuid

import pytest
from celery import shared_task
from django.db import transaction

from shopops.common import outbox
from shopops.common.models import TaskOutbox
from tests.celery_helpers import REDIS_URL, broker, closed_port, redis_client

calls: list = []


@shared_task(name="tests.outbox_probe")
def outbox_probe(value, *, label=""):
    calls.append((value, label))


@pytest.fixture(autouse=True)
def _clean():
    calls.clear()
    outbox._paused_until = 0.0
    yield
    outbox._paused_until = 0.0


@pytest.mark.django_db(transaction=True)
def test_the_row_is_written_in_the_transaction_and_the_task_runs_after_commit():
    with transaction.atomic():
        row = outbox.enqueue("tests.outbox_probe", 7, label="x")
        assert TaskOutbox.objects.filter(pk=row.pk, sent_at=None).exists()
        assert calls == []  # nothing runs before the commit
    assert calls == [(7, "x")]
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 1
    assert (row.task_name, row.args, row.kwargs) == ("tests.outbox_probe", [7], {"label": "x"})


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_no_row_and_runs_no_task():
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue("tests.outbox_probe", 8)
        raise RuntimeError("the change failed")
    assert not TaskOutbox.objects.exists()
    assert calls == []


@pytest.mark.django_db(transaction=True)
def test_publish_failure_leaves_the_row_pending_and_the_drain_publishes_it():
    client = redis_client()
    queue = f"shopops-test-{uuid.uuid4().hex[:8]}"
    try:
        with broker(f"redis://127.0.0.1:{closed_port()}/0"):
            started = time.monotonic()
            with transaction.atomic():
                first = outbox.enqueue_task("tests.outbox_probe", args=[1], queue=queue)
            elapsed = time.monotonic() - started
            # this process now leaves new rows to the drain for a few seconds: no second wait
            with transaction.atomic():
                second = outbox.enqueue_task("tests.outbox_probe", args=[2], queue=queue)
            assert time.monotonic() - started < 1.5, elapsed
            first.refresh_from_db(), second.refresh_from_db()
            assert first.sent_at is None and first.attempts == 1 and "Error" in first.last_error
            assert second.sent_at is None and second.attempts == 0
            assert outbox.outbox_drain()["broker_down"] is True
            assert outbox.outbox_pending_count() == 2
        assert client.llen(queue) == 0

        with broker(REDIS_URL):
            result = outbox.outbox_drain()
        assert (result["sent"], result["pending"], result["broker_down"]) == (2, 0, False)
        messages = [json.loads(m) for m in client.lrange(queue, 0, -1)]
        assert sorted(m["headers"]["id"] for m in messages) == sorted([first.task_id, second.task_id])
        assert {m["headers"]["task"] for m in messages} == {"tests.outbox_probe"}
        assert TaskOutbox.objects.filter(sent_at=None).count() == 0
        assert calls == []  # published, not run here: a worker runs them
    finally:
        client.delete(queue)


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_never_answers_costs_at_most_the_socket_timeout():
    with socket.socket() as server:  # accepts connections (kernel backlog) and never says a word
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        with broker(f"redis://127.0.0.1:{server.getsockname()[1]}/0"):
            started = time.monotonic()
            with transaction.atomic():
                row = outbox.enqueue_task("tests.outbox_probe", args=[3])
            elapsed = time.monotonic() - started
    row.refresh_from_db()
    assert row.sent_at is None and row.attempts == 1
    assert elapsed < 3.0, elapsed


@pytest.mark.django_db(transaction=True)
def test_a_signature_goes_through_the_outbox_whole():
    from celery import chain

    with transaction.atomic():
        outbox.enqueue_signature(chain(outbox_probe.si(1, label="a"), outbox_probe.si(2, label="b")))
    assert calls == [(1, "a"), (2, "b")]
    assert TaskOutbox.objects.get().sent_at is not None
