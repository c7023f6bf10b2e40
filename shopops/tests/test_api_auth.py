"""API keys, scopes and rate limits (shopops.common.api), the create_api_client command and the admin."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from conftest import login_verified
from shopops.common.api import ApiClientThrottle, parse_rate, scope_required
from shopops.common.models import ApiClient

SKUS = "/api/v1/skus"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_key(db):
    def make(scopes=("catalog:read",), rate="600/min", **fields):
        client, key = ApiClient.objects.create_key(
            name="connector", scopes=list(scopes), rate_limit=rate, **fields
        )
        return client, key

    return make


def get(client, key=None, path=SKUS, header=None):
    headers = {}
    if header is not None:
        headers["HTTP_AUTHORIZATION"] = header
    elif key is not None:
        headers["HTTP_AUTHORIZATION"] = f"Api-Key {key}"
    return client.get(path, **headers)


def assert_json_error(response, status, detail):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": detail}


# --- 401 -----------------------------------------------------------------------------------------------


def test_no_key_is_401_with_www_authenticate_not_a_login_redirect(client, db):
    response = get(client)
    assert_json_error(response, 401, "Authentication credentials were not provided.")
    assert response["WWW-Authenticate"] == "Api-Key"


def test_another_scheme_is_401(client, make_key):
    _api_client, key = make_key()
    response = get(client, header=f"Bearer {key}")
    assert_json_error(response, 401, "Authentication credentials were not provided.")
    assert response["WWW-Authenticate"] == "Api-Key"


@pytest.mark.parametrize(
    "header, detail",
    [
        ("Api-Key", "Invalid API key header: use 'Authorization: Api-Key <key>'."),
        ("Api-Key not-a-key", "Invalid API key header: use 'Authorization: Api-Key <key>'."),
        ("Api-Key abc.def ghi", "Invalid API key header: use 'Authorization: Api-Key <key>'."),
        ("Api-Key abc\x00def.x", "Invalid API key header: use 'Authorization: Api-Key <key>'."),
        ("Api-Key Zz9Zz9Zz.abcdefghijklmnopqrstuvwxyz012345", "Invalid API key."),
    ],
)
def test_a_malformed_or_unknown_key_is_401(client, make_key, header, detail):
    make_key()
    response = get(client, header=header)
    assert_json_error(response, 401, detail)
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_wrong_secret_for_an_existing_prefix_is_401(client, make_key):
    api_client, key = make_key()
    prefix, _dot, secret = key.partition(".")
    wrong = f"{prefix}.{'x' * len(secret)}"
    response = get(client, wrong)
    assert_json_error(response, 401, "Invalid API key.")
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_revoked_key_is_401(client, make_key):
    api_client, key = make_key()
    api_client.revoked = True
    api_client.save()
    response = get(client, key)
    assert_json_error(response, 401, "This API key has been revoked.")
    assert response["WWW-Authenticate"] == "Api-Key"


def test_an_expired_key_is_401(client, make_key):
    _api_client, key = make_key(expiry_date=timezone.now() - timedelta(seconds=1))
    response = get(client, key)
    assert_json_error(response, 401, "This API key has expired.")
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_session_login_is_not_an_api_key(client, db):
    client.force_login(User.objects.create_superuser("root", password="pw-123456789"))
    response = get(client)
    assert_json_error(response, 401, "Authentication credentials were not provided.")


# --- 403 and 200 ---------------------------------------------------------------------------------------


def test_a_key_without_the_scope_is_403(client, make_key):
    _api_client, key = make_key(scopes=["stock:read", "orders:read"])
    response = get(client, key)
    assert_json_error(response, 403, "This API key lacks the scope 'catalog:read'.")


def test_a_key_with_the_scope_is_200_and_json(client, make_key):
    _api_client, key = make_key(scopes=["stock:read", "catalog:read"])
    response = get(client, key)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"next": None, "previous": None, "results": []}


def test_scope_required_refuses_an_unknown_scope():
    with pytest.raises(ValueError, match="Unknown scope 'orders:delete'"):
        scope_required("orders:delete")
    with pytest.raises(ValueError, match="Unknown scope 'orders:delete'"):
        scope_required("orders:read", "orders:delete")
    with pytest.raises(ValueError, match="at least one scope"):
        scope_required()


def test_scope_required_with_alternatives_accepts_any_of_them():
    permission = scope_required("service:read", "service:write")()
    assert permission.message == "This API key lacks the scope 'service:read' (or 'service:write')."

    class Request:
        def __init__(self, scopes):
            self.auth = ApiClient(name="x", scopes=scopes)

    assert permission.has_permission(Request(["service:write"]), None)
    assert permission.has_permission(Request(["service:read"]), None)
    assert not permission.has_permission(Request(["orders:read"]), None)


# --- last_used_at --------------------------------------------------------------------------------------


def test_last_used_at_is_written_at_most_once_a_minute(client, make_key, time_machine):
    time_machine.move_to("2025-06-01 10:00:00+08:00", tick=False)
    api_client, key = make_key()
    assert api_client.last_used_at is None

    assert get(client, key).status_code == 200
    first = ApiClient.objects.get(pk=api_client.pk).last_used_at
    assert first == timezone.now()

    time_machine.move_to("2025-06-01 10:00:59+08:00", tick=False)
    assert get(client, key).status_code == 200
    assert ApiClient.objects.get(pk=api_client.pk).last_used_at == first

    time_machine.move_to("2025-06-01 10:01:00+08:00", tick=False)
    assert get(client, key).status_code == 200
    assert ApiClient.objects.get(pk=api_client.pk).last_used_at == timezone.now()


def test_a_request_within_the_minute_does_not_write(client, make_key, django_assert_num_queries):
    _api_client, key = make_key()
    assert get(client, key).status_code == 200
    # the key's row, the page of SKUs: no UPDATE of last_used_at
    with django_assert_num_queries(2):
        assert get(client, key).status_code == 200


# --- 429 -----------------------------------------------------------------------------------------------


def test_over_the_rate_limit_is_429_with_retry_after(client, make_key, time_machine):
    time_machine.move_to("2025-06-01 10:00:00+08:00", tick=False)
    _api_client, key = make_key(rate="2/min")
    other_client, other_key = make_key(rate="2/min")
    assert get(client, key).status_code == 200
    time_machine.move_to("2025-06-01 10:00:20+08:00", tick=False)
    assert get(client, key).status_code == 200

    response = get(client, key)
    assert response.status_code == 429
    assert response["Retry-After"] == "40"
    assert response.json() == {"detail": "Request was throttled. Expected available in 40 seconds."}
    # the limit is per client
    assert get(client, other_key).status_code == 200

    time_machine.move_to("2025-06-01 10:01:00+08:00", tick=False)
    assert get(client, key).status_code == 200
    assert get(client, key).status_code == 429


def test_a_lowered_limit_still_sends_retry_after(client, make_key, time_machine):
    time_machine.move_to("2025-06-01 10:00:00+08:00", tick=False)
    api_client, key = make_key(rate="5/min")
    for second in range(5):
        time_machine.move_to(f"2025-06-01 10:00:0{second}+08:00", tick=False)
        assert get(client, key).status_code == 200
    ApiClient.objects.filter(pk=api_client.pk).update(rate_limit="2/min")
    time_machine.move_to("2025-06-01 10:00:30+08:00", tick=False)
    response = get(client, key)
    assert response.status_code == 429
    # two of the five must expire: the 4th newest request (10:00:03) leaves the window at 10:01:03
    assert response["Retry-After"] == "33"


def test_an_unreadable_rate_limit_falls_back_to_the_default(make_key):
    api_client, _key = make_key(rate="lots")
    throttle = ApiClientThrottle()

    class Request:
        auth = api_client

    assert throttle.allow_request(Request(), None) is True
    assert (throttle.num_requests, throttle.duration) == (600, 60)


@pytest.mark.parametrize(
    "rate, parsed",
    [
        ("600/min", (600, 60)),
        ("20/s", (20, 1)),
        ("1000/hour", (1000, 3600)),
        ("10000/day", (10000, 86400)),
        ("100/5min", (100, 300)),
        ("30/minutes", (30, 60)),
        (" 60 / m ", (60, 60)),
    ],
)
def test_parse_rate(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["", "600", "600/fortnight", "x/min", "-1/min", "10/0min", "600/min/2"])
def test_parse_rate_refuses_nonsense(rate):
    with pytest.raises(ValueError, match="Not a rate"):
        parse_rate(rate)


# --- create_api_client ---------------------------------------------------------------------------------


def run_create(*args):
    out, err = StringIO(), StringIO()
    call_command("create_api_client", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_create_api_client_prints_a_key_that_works_and_stores_only_its_hash(client, db):
    SKUFactory(code="SKU-0001")
    key, summary = run_create("tmall connector", "--scopes", "orders:write,orders:read,catalog:read")

    api_client = ApiClient.objects.get()
    assert api_client.name == "tmall connector"
    assert api_client.scopes == ["orders:write", "orders:read", "catalog:read"]
    assert api_client.rate_limit == "600/min"
    assert key.startswith(f"{api_client.prefix}.")
    assert f"prefix {api_client.prefix}" in summary
    assert key not in summary
    # the database holds the prefix and a hash, never the key or its secret part
    secret = key.partition(".")[2]
    row = ApiClient.objects.filter(pk=api_client.pk).values().get()
    assert all(secret not in str(value) for value in row.values())
    assert api_client.hashed_key.startswith("sha512$$")

    response = get(client, key)
    assert response.status_code == 200
    assert [sku["code"] for sku in response.json()["results"]] == ["SKU-0001"]


def test_create_api_client_takes_a_rate(db):
    run_create("erp", "--scopes", "stock:read", "--rate", "20/s")
    assert ApiClient.objects.get().rate_limit == "20/s"


@pytest.mark.parametrize(
    "args, message",
    [
        (["x", "--scopes", "orders:read,orders:delete"], "Unknown scope(s): orders:delete"),
        (["x", "--scopes", " , "], "Give at least one scope"),
        (["x", "--scopes", "orders:read", "--rate", "fast"], "Not a rate: 'fast'"),
        (["x" * 51, "--scopes", "orders:read"], "The name must have 1 to 50 characters"),
    ],
)
def test_create_api_client_refuses_bad_input(db, args, message):
    with pytest.raises(CommandError) as error:
        run_create(*args)
    assert message in str(error.value)
    assert not ApiClient.objects.exists()


# --- admin ---------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client_(client, db):
    return login_verified(client, User.objects.create_superuser("root", password="pw-123456789"))


def test_the_admin_creates_a_client_and_shows_the_key_once(admin_client_):
    response = admin_client_.post(
        reverse("admin:common_apiclient_add"),
        {"name": "jd connector", "scopes": ["catalog:read", "stock:read"], "rate_limit": "120/min"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    api_client = ApiClient.objects.get()
    assert (api_client.scopes, api_client.rate_limit) == (["catalog:read", "stock:read"], "120/min")
    [message] = [m.message for m in get_messages(response.wsgi_request) if "The API key" in m.message]
    key = message.split("The API key for jd connector is: ")[1].split(". Please store it")[0]
    assert key.startswith(f"{api_client.prefix}.")
    # the API ignores the admin's session: the key alone authenticates
    assert get(admin_client_, key).status_code == 200

    # the page after saving shows the key in its message; no page shows it again
    first = admin_client_.get(reverse("admin:common_apiclient_changelist"))
    assert key in first.content.decode()
    page = admin_client_.get(reverse("admin:common_apiclient_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "jd connector" in text and api_client.prefix in text and "catalog:read, stock:read" in text
    assert key not in text
    change = admin_client_.get(reverse("admin:common_apiclient_change", args=[api_client.pk]))
    assert change.status_code == 200
    assert key not in change.content.decode()


def test_the_admin_refuses_a_bad_rate(admin_client_):
    response = admin_client_.post(
        reverse("admin:common_apiclient_add"),
        {"name": "x", "scopes": ["catalog:read"], "rate_limit": "fast"},
    )
    assert response.status_code == 200
    assert "Not a rate" in response.content.decode()
    assert not ApiClient.objects.exists()


def test_the_library_api_key_model_is_not_in_the_admin(admin_client_):
    from django.contrib import admin
    from rest_framework_api_key.models import APIKey

    assert not admin.site.is_registered(APIKey)
    assert admin.site.is_registered(ApiClient)


# --- the channel selector the composition root wires in ------------------------------------------------


def test_orders_channel_list_serves_as_the_channel_selector(client, make_key, settings):
    """settings.SHOPOPS_CHANNEL_LIST_SELECTOR = "orders.selectors.channel_list": active channels only."""
    from orders.tests.factories import ChannelFactory

    settings.SHOPOPS_CHANNEL_LIST_SELECTOR = "orders.selectors.channel_list"
    ChannelFactory(code="tmall")
    ChannelFactory(code="jd", name="JD", active=False)
    _api_client, key = make_key(scopes=["stock:read"])
    assert get(client, key, path="/api/v1/stock?channel=tmall").status_code == 200
    response = get(client, key, path="/api/v1/stock?channel=jd")
    assert response.status_code == 400
    assert response.json() == {"channel": ["Unknown or inactive channel 'jd'."]}


def test_revoking_in_the_admin_locks_the_key_out(admin_client_, make_key, client):
    api_client, key = make_key()
    assert admin_client_.get(reverse("admin:common_apiclient_add")).status_code == 200
    url = reverse("admin:common_apiclient_change", args=[api_client.pk])
    response = admin_client_.post(
        url, {"name": "connector", "scopes": ["catalog:read"], "rate_limit": "600/min", "revoked": "on"}
    )
    assert response.status_code == 302
    assert ApiClient.objects.get(pk=api_client.pk).revoked is True
    assert admin_client_.get(url).status_code == 200  # name, revoked and expiry are read-only now
    assert get(client, key).status_code == 401
