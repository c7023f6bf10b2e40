"""SLA pages: every service role reads the policies and escalations; only supervisors (manager, admin)
edit policies and settings and file an escalation report."""

import pytest
from django.urls import reverse

from service.models import ServiceSettings, SLAPolicy
from service.tests.factories_sla import escalation_make
from shopops.common import roles

pytestmark = pytest.mark.django_db

REPORT = {
    "cause": "The courier lost the parcel; nobody answered for 3 hours.",
    "actions": "Re-shipped by SF the same day; 50 CNY cash.",
    "prevention": "Major complaints page the on-call supervisor.",
}


def policy_data(**changes):
    data = {
        "name": "VIP phone: first response in 15 minutes",
        "metric": "first_response",
        "channel": "phone",
        "type": "",
        "priority": "",
        "target_minutes": "15",
        "calendar": "business",
        "active": "on",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("role", [roles.SERVICE_AGENT, roles.MANAGER, roles.ADMIN])
def test_reading_pages_open_for_every_service_role(client_for, role):
    escalation = escalation_make()
    client = client_for(role)
    for url in (
        reverse("service:sla-policy-list"),
        reverse("service:sla-policy-list") + "?export=csv",
        reverse("service:escalation-list"),
        reverse("service:escalation-list") + "?show=filed",
        reverse("service:escalation-report", args=[escalation.ticket.number]),
    ):
        assert client.get(url).status_code == 200, url


def test_other_roles_are_refused(client_for):
    escalation = escalation_make()
    client = client_for(roles.MARKETING)
    for url in (
        reverse("service:sla-policy-list"),
        reverse("service:escalation-list"),
        reverse("service:escalation-report", args=[escalation.ticket.number]),
    ):
        assert client.get(url).status_code == 403, url


def test_agent_cannot_supervise(client_for):
    escalation = escalation_make()
    policy = SLAPolicy.objects.get(metric="first_response", channel="chat")
    client = client_for(roles.SERVICE_AGENT)
    page = client.get(reverse("service:sla-policy-list")).content.decode()
    assert reverse("service:sla-policy-create") not in page
    assert reverse("service:sla-settings") not in page
    for url in (
        reverse("service:sla-policy-create"),
        reverse("service:sla-policy-edit", args=[policy.pk]),
        reverse("service:sla-settings"),
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, policy_data()).status_code == 403, url
    report_url = reverse("service:escalation-report", args=[escalation.ticket.number])
    assert 'data-testid="report-form-readonly"' in client.get(report_url).content.decode()
    assert client.post(report_url, REPORT).status_code == 403
    escalation.refresh_from_db()
    assert escalation.filed_at is None
    assert SLAPolicy.objects.get(pk=policy.pk).target_minutes == 5


def test_manager_creates_and_edits_a_policy(client_for):
    client = client_for(roles.MANAGER)
    assert client.get(reverse("service:sla-policy-create")).status_code == 200
    response = client.post(reverse("service:sla-policy-create"), policy_data())
    assert response.status_code == 302
    policy = SLAPolicy.objects.get(name="VIP phone: first response in 15 minutes")
    assert (policy.channel, policy.type, policy.target_minutes, policy.calendar, policy.active) == (
        "phone",
        "",
        15,
        "business",
        True,
    )
    edit = reverse("service:sla-policy-edit", args=[policy.pk])
    assert client.get(edit).status_code == 200
    assert client.post(edit, policy_data(target_minutes="0")).status_code == 400
    response = client.post(edit, policy_data(target_minutes="20", active=""))
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.target_minutes, policy.active) == (20, False)
    assert client.get(reverse("service:sla-policy-edit", args=[999999])).status_code == 404


def test_manager_edits_settings(client_for):
    client = client_for(roles.MANAGER)
    url = reverse("service:sla-settings")
    assert client.get(url).status_code == 200
    data = {
        "business_start": "08:30",
        "business_end": "17:30",
        "warn_ratio": "0.7500",
        "autoreply_margin": "0.3500",
        "autoreply_min_score": "0.2000",
        "negative_sentiment": "-0.3000",
        "ticket_sentiment": "-0.6000",
        "return_days": "7",
        "refund_target_days": "2",
        "kb_coverage_target": "0.6000",
        "nps_delay_min_days": "3",
        "nps_delay_max_days": "7",
    }
    bad = client.post(url, data | {"business_end": "08:00"})
    assert bad.status_code == 400
    assert 'data-field-error="business_end"' in bad.content.decode()
    assert client.post(url, data).status_code == 302
    conf = ServiceSettings.load()
    assert (str(conf.business_start), str(conf.business_end), str(conf.warn_ratio)) == (
        "08:30:00",
        "17:30:00",
        "0.7500",
    )


def test_manager_files_the_report(client_for):
    escalation = escalation_make()
    client = client_for(roles.MANAGER)
    url = reverse("service:escalation-report", args=[escalation.ticket.number])
    assert 'data-testid="report-form"' in client.get(url).content.decode()
    missing = client.post(url, REPORT | {"prevention": "  "})
    assert missing.status_code == 400
    assert 'data-field-error="prevention"' in missing.content.decode()
    response = client.post(url, REPORT)
    assert response.status_code == 302
    escalation.refresh_from_db()
    assert (escalation.filed_by.username, escalation.prevention) == ("user-manager", REPORT["prevention"])
    filed = client.get(reverse("service:escalation-list") + "?show=filed").content.decode()
    assert escalation.ticket.number in filed
    assert client.get(reverse("service:escalation-report", args=["T-999999"])).status_code == 404
