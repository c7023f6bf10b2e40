from decimal import Decimal

from django.conf import settings
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
    lead_time_days = models.PositiveIntegerField(
        _("lead time (days)"),
        default=7,
        help_text=_("Mean days from order to arrival; learned from receipts."),
    )
    lead_time_spread_days = models.DecimalField(
        _("lead time spread (days)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text=_("Standard deviation of the lead time, learned from receipts."),
    )
    payment_terms_days = models.PositiveIntegerField(_("payment terms (days)"), default=30)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    qualified = models.BooleanField(
        _("qualified"), default=True, help_text=_("Passed qualification: may be counted as a source.")
    )
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


MONEY = {"max_digits": 14, "decimal_places": 2}


class PurchaseOrder(TimeStampedModel):
    """An order to a supplier. Its amount and due date feed finance's payables (see selectors)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        SENT = "sent", _("Sent")
        PARTIAL = "partial", _("Partially received")
        RECEIVED = "received", _("Received")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=30, unique=True)
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="purchase_orders"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="purchase_orders"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    ordered_on = models.DateField(_("ordered on"), null=True, blank=True)
    expected_on = models.DateField(_("expected arrival"), null=True, blank=True)
    received_on = models.DateField(_("first received on"), null=True, blank=True)
    payment_terms_days = models.PositiveIntegerField(_("payment terms (days)"), default=30)
    amount = models.DecimalField(_("amount"), **MONEY, default=Decimal("0.00"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "expected_on"], name="po_status_expected")]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="po_amount_nonneg")]

    def __str__(self):
        return self.number


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(
        PurchaseOrder, verbose_name=_("purchase order"), on_delete=models.CASCADE, related_name="lines"
    )
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("ordered"))
    unit_cost = models.DecimalField(_("unit cost"), **MONEY)
    received = models.PositiveIntegerField(_("received"), default=0)
    defective = models.PositiveIntegerField(_("defective"), default=0)

    class Meta:
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "sku"], name="poline_order_sku_uniq"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="poline_qty_positive"),
            models.CheckConstraint(
                condition=Q(defective__lte=models.F("received")), name="poline_defective_le"
            ),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="poline_cost_nonneg"),
        ]

    def __str__(self):
        return f"{self.order_id}:{self.sku_id} x {self.quantity}"


class Receipt(models.Model):
    """Goods arriving against a purchase order line: the good units go to stock (a ledger row), the
    defective ones are recorded for the supplier's scorecard."""

    line = models.ForeignKey(
        PurchaseOrderLine,
        verbose_name=_("purchase order line"),
        on_delete=models.PROTECT,
        related_name="receipts",
    )
    quantity = models.PositiveIntegerField(_("received"))
    defective = models.PositiveIntegerField(_("defective"), default=0)
    received_on = models.DateField(_("received on"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="receipt_qty_positive"),
            models.CheckConstraint(
                condition=Q(defective__lte=models.F("quantity")), name="receipt_defective_le"
            ),
        ]

    def __str__(self):
        return f"{self.line_id}: {self.quantity}"


class Transfer(TimeStampedModel):
    """Stock moved between warehouses: out of the source when shipped, in transit, into the destination
    when received."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_TRANSIT = "in_transit", _("In transit")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=30, unique=True)
    source = models.ForeignKey(
        Warehouse, verbose_name=_("from"), on_delete=models.PROTECT, related_name="transfers_out"
    )
    destination = models.ForeignKey(
        Warehouse, verbose_name=_("to"), on_delete=models.PROTECT, related_name="transfers_in"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    expected_on = models.DateField(_("expected arrival"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source=models.F("destination")), name="transfer_two_warehouses"
            )
        ]

    def __str__(self):
        return self.number


class TransferLine(models.Model):
    transfer = models.ForeignKey(
        Transfer, verbose_name=_("transfer"), on_delete=models.CASCADE, related_name="lines"
    )
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    received = models.PositiveIntegerField(_("received"), default=0)

    class Meta:
        verbose_name = _("transfer line")
        verbose_name_plural = _("transfer lines")
        constraints = [
            models.UniqueConstraint(fields=["transfer", "sku"], name="transferline_uniq"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="transferline_qty_positive"),
        ]

    def __str__(self):
        return f"{self.transfer_id}:{self.sku_id} x {self.quantity}"


class Stocktake(TimeStampedModel):
    """A cycle count of one warehouse (optionally one zone): a count sheet, the variances, and the
    adjustments approved from them."""

    class Status(models.TextChoices):
        COUNTING = "counting", _("Counting")
        REVIEW = "review", _("Variance review")
        APPROVED = "approved", _("Approved")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=30, unique=True)
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="stocktakes"
    )
    zone = models.CharField(_("zone"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.COUNTING)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stocktake")
        verbose_name_plural = _("stocktakes")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.number


class StocktakeLine(models.Model):
    stocktake = models.ForeignKey(
        Stocktake, verbose_name=_("stocktake"), on_delete=models.CASCADE, related_name="lines"
    )
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    expected = models.IntegerField(_("expected (on hand)"))
    counted = models.IntegerField(_("counted"), null=True, blank=True)

    class Meta:
        verbose_name = _("stocktake line")
        verbose_name_plural = _("stocktake lines")
        constraints = [
            models.UniqueConstraint(fields=["stocktake", "sku"], name="stocktakeline_uniq"),
            models.CheckConstraint(
                condition=Q(counted__gte=0) | Q(counted__isnull=True), name="count_nonneg"
            ),
        ]

    def __str__(self):
        return f"{self.stocktake_id}:{self.sku_id}"

    @property
    def variance(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected
