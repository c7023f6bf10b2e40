"""Request and error logs never contain API keys, phone numbers, emails or addresses
(shopops.common.logscrub.ScrubFilter on the root handlers; gunicorn.conf.py for the access log)."""

import io
import logging
import os
import socket
import subprocess
import sys
import time
from http.client import HTTPConnection
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from catalog.tests.factories import SKUFactory
from orders.tests.factories import ChannelFactory
from shopops.common.logscrub import REDACTED, ScrubFilter, scrub
from shopops.common.models import ApiClient

PHONE = "13912345678"
ADDRESS = "上海市浦东新区世纪大道1000号8楼"
EMAIL = "wang.fang@example.com"

# --- the scrubber ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, secret",
    [
        (
            "Authorization: Api-Key Ab3dEf9h.abcdefghijklmnopqrstuvwxyz012345",
            "Ab3dEf9h.abcdefghijklmnopqrstuvwxyz012345",
        ),
        ("{'HTTP_AUTHORIZATION': 'Api-Key Ab3dEf9h.abcdefghij'}", "Ab3dEf9h.abcdefghij"),
        ("authorization=Bearer s3cr3t-token", "s3cr3t-token"),
        ("used Ab3dEf9h.abcdefghijklmnopqrstuvwxyz012345 twice", "abcdefghijklmnopqrstuvwxyz012345"),
        ("Api-Key zz.short", "zz.short"),
        ("call 13912345678 now", "13912345678"),
        ("call +86 139 1234 5678 now", "139 1234 5678"),
        ("call +86-139-1234-5678 now", "139-1234-5678"),
        ("call 8613912345678 now", "13912345678"),
        ("Not Found: /orders/customers/13912345678/", "13912345678"),
        ("GET /orders/?q=13912345678&page=2", "13912345678"),
        ("GET /orders/?q=139%2012345678", "139%2012345678"),
        (f"GET /service/tickets/?q={quote(ADDRESS)}", quote(ADDRESS)),
        ("mail wang.fang+vip@example.com.cn", "wang.fang+vip@example.com.cn"),
        (f'{{"receiver_address": "{ADDRESS}", "qty": 2}}', ADDRESS),
        ('{"address": "No. 5, Lane 100, Some Road"}', "Lane 100"),
        ("{'contact_phone': '021-5555 1234'}", "5555 1234"),
        ("?mobile=021-55551234&x=1", "55551234"),
        (f"bad address {ADDRESS} in order T1", "世纪大道1000号"),
        ("北京市朝阳区建国路88号SOHO现代城5号楼", "建国路88号"),
        ("广东省深圳市南山区粤海街道科技园8栋", "科技园8栋"),
        ("浙江省杭州市西湖区文三路 478 号", "文三路"),
    ],
)
def test_scrub_removes_the_secret(text, secret):
    scrubbed = scrub(text)
    assert secret not in scrubbed, scrubbed
    assert REDACTED in scrubbed


@pytest.mark.parametrize(
    "text",
    [
        "order T100023 synced: created 1, updated 0 in 12.5 ms",
        "SKU-0001 quantity 2 unit price 129.00 total 218.00 on 2026-06-18T10:21:00+08:00",
        "job nightly for 2026-11-23 took 1732329153123 µs (run 202611230001234)",
        "Province 上海, channel tmall, 3 warehouses",
        "GET /api/v1/orders?channel=tmall&page_size=100",
    ],
)
def test_scrub_leaves_ordinary_lines_alone(text):
    assert scrub(text) == text


def test_the_filter_scrubs_arguments_and_the_exception_once():
    record_filter = ScrubFilter()
    try:
        raise ValueError(f"cannot ship to {ADDRESS}, phone {PHONE}")
    except ValueError:
        import sys as _sys

        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "customer %s wrote from %s", (PHONE, EMAIL), _sys.exc_info()
        )
    assert record_filter.filter(record) is True
    text = logging.Formatter().format(record)
    for secret in (PHONE, EMAIL, ADDRESS):
        assert secret not in text
    assert "ValueError: cannot ship to [redacted], phone [redacted]" in text
    assert record_filter.filter(record) is True  # a second handler: unchanged
    assert logging.Formatter().format(record) == text


def test_every_handler_of_the_logging_settings_scrubs():
    assert settings.LOGGING["filters"]["scrub"]["()"] == "shopops.common.logscrub.ScrubFilter"
    for name, handler in settings.LOGGING["handlers"].items():
        assert "scrub" in handler.get("filters", []), name
    root = logging.getLogger()
    configured = [h for h in root.handlers if any(isinstance(f, ScrubFilter) for f in h.filters)]
    assert configured, "the root logger has no scrubbing handler"
    # Django's own logger adds no handler that would skip the filter
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django").propagate is True


# --- requests through the whole stack --------------------------------------------------------------------


def _order(external_id: str, **extra) -> dict:
    return {
        "external_id": external_id,
        "placed_at": "2026-06-18T10:21:00+08:00",
        "updated_at": "2026-06-18T10:25:00+08:00",
        "status": "paid",
        "currency": "CNY",
        "payment_method": "alipay",
        "customer": {
            "external_id": f"C-{external_id}",
            "name": "王芳",
            "phone": PHONE,
            "email": EMAIL,
            "province": "上海",
        },
        "address": ADDRESS,
        "shipping_fee": "0.00",
        "tax": "0.00",
        "order_discount": "0.00",
        "total": "258.00",
        "lines": [{"sku": "LOG-SKU-1", "quantity": 2, "unit_price": "129.00", "discount": "0.00"}],
        **extra,
    }


@pytest.fixture
def console_output():
    """What the root's scrubbing handler really writes (its stream swapped for a buffer)."""
    root = logging.getLogger()
    [handler] = [
        h
        for h in root.handlers
        if isinstance(h, logging.StreamHandler) and any(isinstance(f, ScrubFilter) for f in h.filters)
    ]
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(old)


@pytest.mark.django_db
def test_request_and_error_logs_carry_no_key_phone_or_address(
    client, client_for, caplog, console_output, monkeypatch
):
    cache.clear()
    caplog.set_level(logging.DEBUG)  # the root logger, every logger propagating to it
    ChannelFactory(code="tmall")
    SKUFactory(code="LOG-SKU-1")
    _api_client, key = ApiClient.objects.create_key(
        name="log test", scopes=["orders:write", "orders:read", "personal:read"]
    )
    prefix, _dot, secret = key.partition(".")
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    sync = reverse("api-order-sync")

    def post(body, headers=auth):
        return client.post(sync, body, content_type="application/json", **headers)

    # normal: the order (with its phone, email and address) is applied, then read back
    assert post({"channel": "tmall", "orders": [_order("LOG-1")]}).status_code == 200
    assert client.get(reverse("api-order-list"), **auth).status_code == 200
    # bad requests (400): malformed JSON quoting the phone; a rejected order; a body that is not an object
    assert post(f'{{"channel": "tmall", "phone": "{PHONE}", "address": "{ADDRESS}"').status_code == 400
    assert post({"channel": "", "orders": [_order("LOG-2")]}).status_code == 400
    assert post([PHONE, ADDRESS]).status_code == 400
    # unauthorised (401): a wrong secret for the real prefix, and the real key revoked later
    wrong = {"HTTP_AUTHORIZATION": f"Api-Key {prefix}.{'x' * len(secret)}"}
    assert post({"channel": "tmall", "orders": [_order("LOG-3")]}, wrong).status_code == 401
    # a server error whose exception quotes the payload and the request's headers
    import orders.api.views as order_views

    def explode(**kwargs):
        raise RuntimeError(f"sync failed for {kwargs['orders']!r} sent with {dict(auth)}")

    monkeypatch.setattr(order_views, "order_sync", explode)
    assert post({"channel": "tmall", "orders": [_order("LOG-4")]}).status_code == 500
    monkeypatch.undo()
    ApiClient.objects.filter(prefix=prefix).update(revoked=True)
    assert post({"channel": "tmall", "orders": [_order("LOG-5")]}).status_code == 401
    # pages searched by phone, and a path holding one (404 is logged with its path)
    staff = client_for("operations")
    assert staff.get(reverse("orders:overview"), {"q": PHONE}).status_code == 200
    assert staff.get(f"/orders/customers/{PHONE}/").status_code == 404
    assert staff.get(reverse("orders:overview"), {"q": ADDRESS}).status_code == 200

    messages = [record.getMessage() for record in caplog.records]
    # the requests were logged: a test that captured nothing would prove nothing
    assert any(m.startswith("Bad Request: /api/v1/orders/sync") for m in messages), messages
    assert any(m.startswith("Unauthorized: /api/v1/orders/sync") for m in messages), messages
    assert any(m.startswith("Internal Server Error: /api/v1/orders/sync") for m in messages), messages
    assert any(m.startswith("Not Found: /orders/customers/") for m in messages), messages
    assert any(
        record.exc_text and "RuntimeError: sync failed" in record.exc_text for record in caplog.records
    )

    written = console_output.getvalue()
    assert "Internal Server Error: /api/v1/orders/sync" in written and "RuntimeError" in written
    secrets = [key, secret, PHONE, ADDRESS, EMAIL, "世纪大道"]
    for record in caplog.records:
        text = f"{record.getMessage()}\n{record.exc_text or ''}\n{record.stack_info or ''}"
        for value in secrets:
            assert value not in text, (record.name, text)
    for value in secrets:
        assert value not in caplog.text
        assert value not in written


# --- gunicorn's access log ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, headers=None) -> int:
    connection = HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path, headers={"Host": "localhost", **(headers or {})})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_gunicorn_access_log_has_no_query_string_or_phone(tmp_path):
    """The real gunicorn with gunicorn.conf.py: a request whose query string and path carry a phone, an
    address and a key leaves an access line with neither."""
    port = _free_port()
    log_path = tmp_path / "gunicorn.log"
    # healthz only needs a database that answers: SQLite in memory, whatever DATABASE_URL names (the test
    # database lives in this process's transaction; the server needs none of it)
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "shopops.settings.test",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            # a long timeout: on a busy machine the worker may take more than gunicorn's 30 s to load the app
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--timeout", "300"]
            + ["shopops.wsgi:application"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 180  # the app loads in the worker: slow on a busy machine
            while True:
                try:
                    status = _get(port, "/healthz")
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(log_path.read_text())
                    time.sleep(0.2)
            assert status == 200, log_path.read_text()
            query = f"q={PHONE}&address={quote(ADDRESS)}&key=Ab3dEf9h.abcdefghijklmnopqrstuvwxyz012345"
            headers = {
                "Referer": f"http://localhost/orders/?q={PHONE}",
                "Authorization": "Api-Key Ab3dEf9h.x",
            }
            assert _get(port, f"/healthz?{query}", headers) == 200, log_path.read_text()
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = log_path.read_text()
    access = [line for line in text.splitlines() if '"GET /healthz HTTP/1.1" 200' in line]
    assert len(access) >= 2, text
    for value in (PHONE, quote(ADDRESS), ADDRESS, "Ab3dEf9h", "q=", "/orders/"):
        assert value not in text, text
