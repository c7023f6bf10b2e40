"""API keys as the admin sees them: the list shows each client's scopes, rate limit, revoked state, expiry and
last use. (Hashing, scopes, revocation, expiry, rate limits and last_used_at's writing are tested in
shopops/tests/test_api_auth.py.)"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import formats, timezone

from shopops.common.models import ApiClient

SKUS = "/api/v1/skus"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _row(html: str, name: str) -> str:
    """The changelist row of the client called `name`."""
    start = html.index(f">{name}<")
    return html[html.rfind("<tr", 0, start) : html.index("</tr>", start)]


def _cell(row: str, field: str) -> str:
    start = row.index(f"field-{field}")
    return row[start : row.index("</td>", start)]


@pytest.mark.django_db
def test_the_client_list_shows_scopes_rate_limit_revoked_expiry_and_last_use(
    client, client_for, time_machine
):
    time_machine.move_to("2026-06-01 10:00:00+08:00", tick=False)
    used, used_key = ApiClient.objects.create_key(
        name="jd connector", scopes=["catalog:read", "stock:read"], rate_limit="120/min"
    )
    expiry = timezone.now() + timedelta(days=30)
    ApiClient.objects.create_key(
        name="old erp", scopes=["orders:read"], rate_limit="20/s", revoked=True, expiry_date=expiry
    )
    # one request with the key: its last use is recorded ...
    time_machine.move_to("2026-06-02 09:30:00+08:00", tick=False)
    assert client.get(SKUS, HTTP_AUTHORIZATION=f"Api-Key {used_key}").status_code == 200
    # ... a wrong secret for the same prefix records nothing
    time_machine.move_to("2026-06-02 09:45:00+08:00", tick=False)
    wrong = f"{used.prefix}.{'x' * 32}"
    assert client.get(SKUS, HTTP_AUTHORIZATION=f"Api-Key {wrong}").status_code == 401
    used.refresh_from_db()
    assert used.last_used_at == timezone.now() - timedelta(minutes=15)

    html = client_for("admin").get(reverse("admin:common_apiclient_changelist")).content.decode()
    row = _row(html, "jd connector")
    assert "catalog:read, stock:read" in row and "120/min" in row and used.prefix in row
    assert formats.localize(timezone.template_localtime(used.last_used_at)) in row
    assert 'title="False"' in _cell(row, "revoked")
    old = _row(html, "old erp")
    assert "orders:read" in old and "20/s" in old and 'title="True"' in _cell(old, "revoked")
    assert formats.localize(timezone.template_localtime(expiry)) in old
    # neither the key nor its secret is on the page
    assert used_key not in html and used_key.partition(".")[2] not in html


@pytest.mark.django_db
def test_only_the_admin_role_opens_the_api_clients(client_for):
    url = reverse("admin:common_apiclient_changelist")
    for role in ("operations", "manager", "finance", "service_agent"):
        signed_in = client_for(role)
        response = signed_in.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
        signed_in.logout()
    assert client_for("admin").get(url).status_code == 200
