"""The demo campaigns seed on the tiny demo shop: rows created, what the pages will show, repeatable."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from marketing.models import (
    AdMetricDay,
    Campaign,
    PromotionResult,
    ReferralAttribution,
    ReferralCode,
    ReferralReward,
)
from marketing.selectors import campaigns as selectors
from shopops.demo.marketing_campaigns import campaigns_seed

END = date(2025, 12, 20)

pytestmark = pytest.mark.django_db


def _fingerprint():
    return (
        sorted(Campaign.objects.values_list("code", "starts_on", "ends_on", "budget")),
        sorted(AdMetricDay.objects.values_list("campaign__code", "channel__code", "day", "clicks", "spend")),
        sorted(ReferralAttribution.objects.values_list("code__code", "customer__external_id")),
    )


def test_demo_campaigns(django_capture_on_commit_callbacks):
    """seed_demo runs the campaigns seed (after the promotions and coupons seeds); its counts are in the
    command's totals."""
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--scale", "tiny", "--seed", "7", "--end-date", END.isoformat(), stdout=out)
    counts = {
        label: model.objects.count()
        for label, model in (
            ("marketing.Campaign", Campaign),
            ("marketing.AdMetricDay", AdMetricDay),
            ("marketing.ReferralCode", ReferralCode),
            ("marketing.ReferralAttribution", ReferralAttribution),
            ("marketing.ReferralReward", ReferralReward),
            ("marketing.PromotionResult", PromotionResult),
        )
    }
    assert counts == {
        "marketing.Campaign": 16,  # 3 years × 4 festivals, ANNIV, ADS-DOUYIN, ADS-JD, FISSION
        "marketing.AdMetricDay": 21 * 2 + 30,  # Douyin + Tmall for 21 days, JD for 30 days
        "marketing.ReferralCode": 6,
        # the tiny shop has few new own-store customers, and the coupons seed gave some of them a coupon code
        "marketing.ReferralAttribution": 1,
        "marketing.ReferralReward": 0,
        "marketing.PromotionResult": 7,  # 6 promotions in the window + the SMS coupon (coupons seed)
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
