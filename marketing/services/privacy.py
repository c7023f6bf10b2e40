"""Marketing's part of erasing a customer (a personal-data request; shopops.privacy runs every app's part in
one transaction): the birthday goes, and a KOC code's owner name if it is the customer's. Tier, points,
coupons, redemptions and referral records stay: they are money and promotion results, keyed by the
customer id, not personal data."""

from django.db import transaction

from marketing.models import Membership, ReferralCode
from shopops.common.privacy import erased_name


@transaction.atomic
def customer_personal_erase(*, customer_id: int, personal_values: list[str]) -> dict:
    birthdays = Membership.objects.filter(customer_id=customer_id, birthday__isnull=False).update(
        birthday=None
    )
    owners = (
        ReferralCode.objects.filter(referrer_id=customer_id)
        .exclude(owner_name="")
        .update(owner_name=erased_name(customer_id))
    )
    return {"birthdays": birthdays, "referral_owner_names": owners}
