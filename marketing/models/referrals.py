from django.db import models
from django.utils.translation import gettext_lazy as _

from shopops.common.models import TimeStampedModel


class ReferralCode(TimeStampedModel):
    """A referral code of one customer, or a KOC's exclusive code (专属优惠码). A new customer whose first
    order carries the code (the order's ``coupon_code``) is attributed to it. ``offer`` is the promotion
    the code unlocks for the buyer (optional); every ``reward_invites`` attributed first orders earn the
    referrer one coupon of ``reward_promotion``."""

    class Kind(models.TextChoices):
        REFERRAL = "referral", _("Customer referral")
        KOC = "koc", _("KOC code")

    code = models.CharField(_("code"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.REFERRAL)
    referrer = models.ForeignKey(
        "orders.Customer",
        verbose_name=_("referrer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner_name = models.CharField(_("owner"), max_length=200, blank=True, help_text=_("The KOC's name."))
    campaign = models.ForeignKey(
        "marketing.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referral_codes",
    )
    offer = models.ForeignKey(
        "marketing.Promotion",
        verbose_name=_("offer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reward_invites = models.PositiveIntegerField(_("invites per reward"), default=3)
    reward_promotion = models.ForeignKey(
        "marketing.Promotion",
        verbose_name=_("reward coupon promotion"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("referral code")
        verbose_name_plural = _("referral codes")
        ordering = ["code"]

    def __str__(self):
        return self.code


class ReferralAttribution(models.Model):
    """A new customer's first order attributed to a referral code (once per customer)."""

    code = models.ForeignKey(
        ReferralCode, verbose_name=_("code"), on_delete=models.CASCADE, related_name="attributions"
    )
    customer = models.OneToOneField(
        "orders.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("first order"), on_delete=models.CASCADE, related_name="+"
    )
    attributed_at = models.DateTimeField(_("attributed at"), auto_now_add=True)
    rewarded = models.BooleanField(_("counted for a reward"), default=False)

    class Meta:
        verbose_name = _("referral attribution")
        verbose_name_plural = _("referral attributions")
        ordering = ["-attributed_at"]

    def __str__(self):
        return f"{self.code_id} {self.customer_id}"


class ReferralReward(models.Model):
    """A reward earned by a referral code: one coupon for every ``reward_invites`` attributions."""

    code = models.ForeignKey(
        ReferralCode, verbose_name=_("code"), on_delete=models.CASCADE, related_name="rewards"
    )
    coupon = models.ForeignKey(
        "marketing.Coupon",
        verbose_name=_("coupon"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invites = models.PositiveIntegerField(_("invites"))
    awarded_at = models.DateTimeField(_("awarded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("referral reward")
        verbose_name_plural = _("referral rewards")
        ordering = ["-awarded_at"]

    def __str__(self):
        return f"{self.code_id} {self.invites}"
