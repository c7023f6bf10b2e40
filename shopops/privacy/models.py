from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PrivacyRequest(models.Model):
    """A personal-data request carried out: who, when (UTC), which customer, what, and for an export the
    SHA-256 of the file handed out. The customer is kept by id (an erased customer stays, anonymised)."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("Export")
        ERASE = "erase", _("Erasure")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    customer_id = models.BigIntegerField(_("customer id"))
    customer_ref = models.CharField(
        _("customer"), max_length=140, help_text=_("Channel code and the customer's external id.")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_by_name = models.CharField(_("requested by (name)"), max_length=150, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, blank=True)
    counts = models.JSONField(_("rows"), default=dict, blank=True)

    class Meta:
        verbose_name = _("personal-data request")
        verbose_name_plural = _("personal-data requests")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer_id", "at"], name="privacyrequest_customer_at")]

    def __str__(self):
        return f"{self.kind} {self.customer_ref} {self.at:%Y-%m-%d %H:%M}"
