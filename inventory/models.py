from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shopops.common.models import TimeStampedModel


class Warehouse(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=120)
    region = models.CharField(_("region"), max_length=60)
    province = models.CharField(_("province"), max_length=30, help_text=_("Where the warehouse stands."))
    provinces_served = models.JSONField(
        _("provinces served"),
        default=list,
        blank=True,
        help_text=_("Provinces this warehouse ships to first, nearest first."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]

    def __str__(self):
        return self.name


class StockLevel(models.Model):
    """Current stock of one SKU in one warehouse. Changed only together with a StockMovement."""

    sku = models.ForeignKey(
        "catalog.SKU",
        verbose_name=_("SKU"),
        on_delete=models.PROTECT,
        related_name="stock_levels",
        db_index=False,
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="stock_levels"
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["sku", "warehouse"], name="stocklevel_sku_warehouse_uniq"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stocklevel_on_hand_nonneg"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stocklevel_reserved_nonneg"),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="stocklevel_reserved_le_on_hand"
            ),
        ]

    def __str__(self):
        return f"{self.sku_id}@{self.warehouse_id}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMovementQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError("Stock movements are append-only.")

    def delete(self):
        raise ValidationError("Stock movements are append-only.")


class StockMovement(models.Model):
    """The append-only stock ledger. Each row says how on-hand and reserved changed, and why."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        RESERVATION = "reservation", _("Reservation")
        RELEASE = "release", _("Reservation released")
        SHIPMENT = "shipment", _("Shipment")
        RETURN = "return", _("Return to stock")
        ADJUSTMENT = "adjustment", _("Adjustment")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_IN = "transfer_in", _("Transfer in")

    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The ledger is the busiest table to write: only the indexes its reads need (by SKU and warehouse over
    # time, by reference for an order's timeline, by time for the ledger list).
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    on_hand_delta = models.IntegerField(_("on-hand change"), default=0)
    reserved_delta = models.IntegerField(_("reserved change"), default=0)
    reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        help_text=_("What caused it, e.g. order tmall:T100023 or PO-0012."),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        "auth.User",
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    objects = StockMovementQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["sku", "warehouse", "created_at"], name="stockmove_sku_wh_at"),
            models.Index(fields=["reference"], name="stockmove_reference"),  # an order's timeline
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(on_hand_delta=0, reserved_delta=0), name="stockmovement_changes_something"
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.sku_id}@{self.warehouse_id} {self.on_hand_delta:+}/{self.reserved_delta:+}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError("Stock movements are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Stock movements are append-only.")


class Supplier(TimeStampedModel):
    class Tier(models.TextChoices):
        STRATEGIC = "strategic", _("Strategic")
        CORE = "core", _("Core")
        BACKUP = "backup", _("Backup")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, default=Tier.CORE)
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"), default=7)
    payment_terms_days = models.PositiveIntegerField(_("payment terms (days)"), default=30)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["code"]

    def __str__(self):
        return self.name


class SupplierSKU(models.Model):
    """A SKU a supplier can supply, at what cost."""

    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.CASCADE, related_name="items"
    )
    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="supplier_items"
    )
    unit_cost = models.DecimalField(_("unit cost"), max_digits=14, decimal_places=2)
    min_order_qty = models.PositiveIntegerField(_("minimum order quantity"), default=1)
    case_pack = models.PositiveIntegerField(_("case pack"), default=1)

    class Meta:
        verbose_name = _("supplier SKU")
        verbose_name_plural = _("supplier SKUs")
        constraints = [
            models.UniqueConstraint(fields=["supplier", "sku"], name="suppliersku_uniq"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="suppliersku_cost_nonneg"),
        ]

    def __str__(self):
        return f"{self.supplier_id}:{self.sku_id}"


class UnmetDemand(models.Model):
    """Units customers asked for that no warehouse could reserve (backorders), by SKU and day.

    Forecasting reads it so that a stockout day does not look like a day without demand.
    """

    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    quantity = models.PositiveIntegerField(_("quantity"))
    province = models.CharField(_("province"), max_length=30, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("unmet demand")
        verbose_name_plural = _("unmet demand")
        indexes = [models.Index(fields=["sku", "day"], name="unmetdemand_sku_day")]

    def __str__(self):
        return f"{self.sku_id} {self.day} x{self.quantity}"
