"""Returns and refunds (RMA): a request against an order, its lines, and what inspection decided."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shopops.common.models import TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class ReturnRequest(TimeStampedModel):
    class Status(models.TextChoices):
        REQUESTED = "requested", pgettext_lazy("return status", "Requested")
        APPROVED = "approved", pgettext_lazy("return status", "Approved")
        REJECTED = "rejected", pgettext_lazy("return status", "Rejected")
        RECEIVED = "received", pgettext_lazy("return status", "Received")
        INSPECTED = "inspected", pgettext_lazy("return status", "Inspected")
        REFUNDED = "refunded", pgettext_lazy("return status", "Refunded")
        CANCELLED = "cancelled", pgettext_lazy("return status", "Cancelled")

    class Reason(models.TextChoices):
        NO_REASON = "no_reason", _("No reason (7-day return)")
        DEFECTIVE = "defective", _("Defective / quality problem")
        NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
        WRONG_ITEM = "wrong_item", _("Wrong item sent")
        DAMAGED = "damaged", _("Damaged in transit")
        MISSING_PARTS = "missing_parts", _("Missing parts")
        LATE = "late", _("Arrived too late")
        OTHER = "other", _("Other")

    class RefundMethod(models.TextChoices):
        ORIGINAL = "original", _("Original payment method")
        ALIPAY = "alipay", _("Alipay")
        WECHAT = "wechat", _("WeChat Pay")
        BANK = "bank", _("Bank transfer")
        STORE_CREDIT = "store_credit", _("Store credit")

    class Source(models.TextChoices):
        PAGE = "page", _("Order page")
        API = "api", _("API")

    number = models.CharField(_("number"), max_length=20, unique=True)
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "orders.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ticket = models.ForeignKey(
        "service.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="returns",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.PAGE)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    decided_at = models.DateTimeField(_("approved / rejected at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rejection_reason = models.CharField(_("rejection reason"), max_length=200, blank=True)
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    inspected_at = models.DateTimeField(_("inspected at"), null=True, blank=True)
    refund_amount = models.DecimalField(_("refund amount"), null=True, blank=True, **MONEY)
    refund_method = models.CharField(
        _("refund method"), max_length=20, choices=RefundMethod.choices, blank=True
    )
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("refunded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("return request")
        verbose_name_plural = _("return requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "external_id"],
                condition=~Q(external_id=""),
                name="return_order_external_uniq",
            ),
            models.CheckConstraint(
                condition=Q(refund_amount__isnull=True) | Q(refund_amount__gte=0), name="return_refund_nonneg"
            ),
        ]
        indexes = [models.Index(fields=["status", "requested_at"], name="return_status_requested")]

    def __str__(self):
        return self.number


class ReturnLine(models.Model):
    """Units of one order line coming back; inspection splits them into restocked and scrapped."""

    request = models.ForeignKey(
        ReturnRequest, verbose_name=_("return request"), on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(
        "orders.OrderLine", verbose_name=_("order line"), on_delete=models.PROTECT, related_name="+"
    )
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    restocked = models.PositiveIntegerField(_("restocked"), default=0)
    scrapped = models.PositiveIntegerField(_("scrapped as defective"), default=0)

    class Meta:
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="returnline_quantity_pos"),
            models.CheckConstraint(
                condition=Q(restocked__lte=models.F("quantity") - models.F("scrapped")),
                name="returnline_inspected_le_quantity",
            ),
        ]

    def __str__(self):
        return f"{self.request_id} {self.sku_id} x{self.quantity}"
