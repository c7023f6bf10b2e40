"""The demo campaigns seed on the tiny demo shop: rows created, what the pages will show, repeatable."""

import time
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from marketing.models import AdMetricDay, Campaign, PromotionResult, ReferralAttribution, ReferralCode
from marketing.selectors import campaigns as selectors
from shopops.demo.marketing_campaigns import campaigns_seed
from shopops.demo.marketing_promotions import promotions_seed

END = date(2025, 12, 20)

pytestmark = pytest.mark.django_db


def _fingerprint():
    return (
        sorted(Campaign.objects.values_list("code", "starts_on", "ends_on", "budget")),
        sorted(AdMetricDay.objects.values_list("campaign__code", "channel__code", "day", "clicks", "spend")),
        sorted(ReferralAttribution.objects.values_list("code__code", "customer__external_id")),
    )


def test_demo_campaigns(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "seed_demo", "--scale", "tiny", "--seed", "7", "--end-date", END.isoformat(), stdout=StringIO()
        )
        promotions_seed(scale="tiny", seed=7, end_date=END)
        started = time.monotonic()
        counts = campaigns_seed(scale="tiny", seed=7, end_date=END)
        seconds = time.monotonic() - started
    assert seconds < 5
    assert counts == {
        "marketing.Campaign": 16,  # 3 years × 4 festivals, ANNIV, ADS-DOUYIN, ADS-JD, FISSION
        "marketing.AdMetricDay": 21 * 2 + 30,  # Douyin + Tmall for 21 days, JD for 30 days
        "marketing.ReferralCode": 6,
        "marketing.ReferralAttribution": 3,  # the tiny shop has few new own-store customers
        "marketing.ReferralReward": 0,
        "marketing.PromotionResult": 6,
    }
    assert set(ReferralCode.objects.values_list("code", flat=True)) == {
        "FRIEND01",
        "FRIEND02",
        "FRIEND03",
        "FRIEND04",
        "FRIEND05",
        "KOC-MIMI",
    }
    burn = selectors.campaign_budget_burn(today=END)
    assert [(b["code"], b["over_pace"]) for b in burn] == [("ADS-DOUYIN", True)]
    jd_last_week = selectors.campaigns_out_of_band(today=END - timedelta(days=31))
    assert [(o["code"], o["out_of_band"]) for o in jd_last_week] == [("ADS-JD", ["ctr", "cpc", "cvr", "roi"])]
    assert Campaign.objects.get(code="D11-2025").promotions.filter(code="D11-TIERS").exists()
    assert PromotionResult.objects.filter(promotion__code="VIP-PRICE").exists()
    first = _fingerprint()
    assert campaigns_seed(scale="tiny", seed=7, end_date=END)["marketing.Campaign"] == 0  # again: nothing new
    assert _fingerprint() == first
