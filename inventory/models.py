from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        help_text=_(
            "The nearest warehouse for the order's province: where the demand would have been served."
        ),
    )
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


class ReturnDefect(models.Model):
    """Units a customer returned that inspection found defective and scrapped. They count against the
    supplier that supplied the SKU (its last receipt before the return) in the scorecard's defect rate."""

    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("supplier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="return_defects",
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    reference = models.CharField(_("reference"), max_length=100)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_on = models.DateField(_("recorded on"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("returned defective unit")
        verbose_name_plural = _("returned defective units")
        ordering = ["-recorded_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="returndefect_qty_positive")]
        indexes = [models.Index(fields=["supplier", "recorded_on"], name="returndefect_supplier_day")]

    def __str__(self):
        return f"{self.reference} {self.sku_id} x{self.quantity}"


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


FRACTION = {"max_digits": 5, "decimal_places": 4}  # 0.9800 = 98 %
QTY = {"max_digits": 12, "decimal_places": 3}  # fractional units per day (forecasts)


class InventorySettings(models.Model):
    """The planners' numbers (one row; defaults from the domain brief). Read it with
    `InventorySettings.current()`."""

    service_level_a = models.DecimalField(_("service level, class A"), **FRACTION, default=Decimal("0.9800"))
    service_level_b = models.DecimalField(_("service level, class B"), **FRACTION, default=Decimal("0.9500"))
    service_level_c = models.DecimalField(_("service level, class C"), **FRACTION, default=Decimal("0.9000"))
    abc_a_share = models.DecimalField(
        _("class A revenue share"),
        **FRACTION,
        default=Decimal("0.8000"),
        # xgettext:no-python-format
        help_text=_("SKUs making the first 80 % of revenue over 90 days are class A."),
    )
    abc_b_share = models.DecimalField(
        _("class B revenue share"),
        **FRACTION,
        default=Decimal("0.1500"),
        # xgettext:no-python-format
        help_text=_("The next 15 % are class B; the rest class C."),
    )
    xyz_x_cv = models.DecimalField(
        _("class X up to variation"),
        max_digits=6,
        decimal_places=3,
        default=Decimal("0.500"),
        help_text=_("Coefficient of variation of weekly demand up to which a SKU is class X (steady)."),
    )
    xyz_y_cv = models.DecimalField(
        _("class Y up to variation"),
        max_digits=6,
        decimal_places=3,
        default=Decimal("1.000"),
        help_text=_("Above X and up to this, class Y; above it, class Z (erratic)."),
    )
    floor_days_a = models.PositiveIntegerField(
        _("safety stock floor, class A (days)"),
        default=5,
        help_text=_("Fast movers hold at least 3-7 days of cover as safety stock."),
    )
    floor_days_b = models.PositiveIntegerField(_("safety stock floor, class B (days)"), default=3)
    floor_days_c = models.PositiveIntegerField(_("safety stock floor, class C (days)"), default=0)
    review_days = models.PositiveIntegerField(
        _("order cycle (days)"),
        default=7,
        help_text=_("Days of demand each order covers beyond the reorder point: small and frequent."),
    )
    overstock_days = models.PositiveIntegerField(_("overstock above days of cover"), default=120)
    dead_stock_days = models.PositiveIntegerField(_("dead stock after days without sales"), default=90)
    horizon_days = models.PositiveIntegerField(_("forecast horizon (days)"), default=90)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("inventory settings")
        verbose_name_plural = _("inventory settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(service_level_a__gt=0, service_level_a__lt=1)
                & Q(service_level_b__gt=0, service_level_b__lt=1)
                & Q(service_level_c__gt=0, service_level_c__lt=1),
                name="inventory_service_levels_range",
            ),
        ]

    def __str__(self):
        return str(_("inventory settings"))

    @classmethod
    def current(cls) -> "InventorySettings":
        return cls.objects.get_or_create(pk=1)[0]

    def service_level(self, abc: str) -> Decimal:
        return {"A": self.service_level_a, "B": self.service_level_b}.get(abc, self.service_level_c)

    def floor_days(self, abc: str) -> int:
        return {"A": self.floor_days_a, "B": self.floor_days_b}.get(abc, self.floor_days_c)


class DemandDay(models.Model):
    """Inventory's own demand record: per SKU, warehouse and shop day, what orders reserved (or shipped at
    once), what was cancelled and what could not be served, and whether the day ended out of stock.

    Built nightly from the ledger and the unmet demand (`demand_record_build`). Only days with demand or a
    stockout have a row: a missing row is a day with stock and no demand. On a stockout day the recorded
    demand understates what customers wanted, so forecasting corrects it.
    """

    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="+")
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField(_("day"))
    reserved = models.PositiveIntegerField(_("reserved"), default=0)
    cancelled = models.PositiveIntegerField(_("cancelled"), default=0)
    unmet = models.PositiveIntegerField(_("unmet (backordered)"), default=0)
    closing_available = models.IntegerField(_("available at close"), default=0)
    stockout = models.BooleanField(_("stockout"), default=False)

    class Meta:
        verbose_name = _("demand day")
        verbose_name_plural = _("demand record")
        constraints = [
            models.UniqueConstraint(fields=["sku", "warehouse", "day"], name="demandday_sku_wh_day"),
        ]
        indexes = [models.Index(fields=["day"], name="demandday_day")]

    def __str__(self):
        return f"{self.sku_id}@{self.warehouse_id} {self.day}: {self.demand}"

    @property
    def demand(self) -> int:
        """Units customers asked for: reserved plus unmet, less cancellations, never below zero."""
        return max(self.reserved + self.unmet - self.cancelled, 0)


class ForecastModel(models.TextChoices):
    SEASONAL_NAIVE = "seasonal_naive", _("Seasonal naive (weekly)")
    ETS = "ets", _("Exponential smoothing, weekly seasonality")
    CROSTON = "croston", _("Croston (intermittent)")
    TSB = "tsb", _("TSB (intermittent)")
    ADIDA = "adida", _("ADIDA (intermittent)")


class SKUForecast(models.Model):
    """The nightly daily demand forecast of one SKU (all warehouses) made on `business_date`, for the days
    after it, with the model chosen by the backtest and its accuracy on the last 28 days of actuals."""

    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="+")
    business_date = models.DateField(_("made on"))
    model = models.CharField(_("model"), max_length=20, choices=ForecastModel.choices)
    daily = models.JSONField(
        _("daily forecast"), default=list, help_text=_("Units per day from the next day.")
    )
    lower = models.JSONField(_("lower bound"), default=list)
    upper = models.JSONField(_("upper bound"), default=list)
    mean_daily = models.DecimalField(_("mean daily demand"), **QTY, default=Decimal("0"))
    sigma_daily = models.DecimalField(
        _("daily forecast error (sigma)"),
        **QTY,
        default=Decimal("0"),
        help_text=_("Standard deviation of the daily error in the backtest."),
    )
    wape = models.DecimalField(_("WAPE, last 28 days"), max_digits=8, decimal_places=4, null=True, blank=True)
    bias = models.DecimalField(_("bias, last 28 days"), max_digits=8, decimal_places=4, null=True, blank=True)
    actual_28d = models.PositiveIntegerField(_("actual units, last 28 days"), default=0)
    intermittent = models.BooleanField(_("intermittent"), default=False)
    history_days = models.PositiveIntegerField(_("days of history"), default=0)
    stockout_days = models.PositiveIntegerField(_("stockout days corrected"), default=0)
    created_at = models.DateTimeField(_("computed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("SKU forecast")
        verbose_name_plural = _("SKU forecasts")
        constraints = [
            models.UniqueConstraint(fields=["sku", "business_date"], name="skuforecast_sku_date"),
        ]
        indexes = [models.Index(fields=["business_date", "model"], name="skuforecast_date_model")]

    def __str__(self):
        return f"{self.sku_id} @ {self.business_date} ({self.model})"


class SKUClass(models.Model):
    """The SKU's nightly ABC (revenue over 90 days) and XYZ (demand variability) classes."""

    class ABC(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"

    class XYZ(models.TextChoices):
        X = "X", "X"
        Y = "Y", "Y"
        Z = "Z", "Z"

    sku = models.OneToOneField(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="inventory_class"
    )
    business_date = models.DateField(_("as of"))
    abc = models.CharField(_("ABC class"), max_length=1, choices=ABC.choices, default=ABC.C)
    xyz = models.CharField(_("XYZ class"), max_length=1, choices=XYZ.choices, default=XYZ.Z)
    revenue_90d = models.DecimalField(_("revenue, last 90 days"), **MONEY, default=Decimal("0.00"))
    revenue_share = models.DecimalField(_("cumulative revenue share"), **FRACTION, default=Decimal("0"))
    demand_cv = models.DecimalField(
        _("variation of weekly demand"), max_digits=8, decimal_places=3, null=True, blank=True
    )

    class Meta:
        verbose_name = _("SKU class")
        verbose_name_plural = _("SKU classes")
        indexes = [models.Index(fields=["abc", "xyz"], name="skuclass_abc_xyz")]

    def __str__(self):
        return f"{self.sku_id}: {self.abc}{self.xyz}"


class ReplenishmentSuggestion(models.Model):
    """One night's advice for a SKU in a warehouse: buy from a supplier, or move stock from a warehouse with
    excess. Planners approve purchase suggestions into draft purchase orders grouped by supplier."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", _("Purchase")
        TRANSFER = "transfer", _("Transfer")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ORDERED = "ordered", pgettext_lazy("suggestion status", "Ordered")
        DISMISSED = "dismissed", _("Dismissed")

    business_date = models.DateField(_("for"))
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="+")
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PURCHASE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("supplier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source_warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("from warehouse"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    abc = models.CharField(_("ABC class"), max_length=1, default="C")
    service_level = models.DecimalField(_("service level"), **FRACTION)
    z = models.DecimalField(_("z"), max_digits=6, decimal_places=3)
    on_hand = models.IntegerField(_("on hand"), default=0)
    available = models.IntegerField(_("available"), default=0)
    inbound = models.IntegerField(_("inbound"), default=0)
    daily_demand = models.DecimalField(_("daily demand"), **QTY, default=Decimal("0"))
    sigma_demand = models.DecimalField(_("daily demand sigma"), **QTY, default=Decimal("0"))
    lead_time_days = models.DecimalField(_("lead time (days)"), max_digits=6, decimal_places=2, default=0)
    lead_time_spread_days = models.DecimalField(
        _("lead time spread (days)"), max_digits=6, decimal_places=2, default=0
    )
    safety_stock = models.IntegerField(_("safety stock"), default=0)
    reorder_point = models.IntegerField(_("reorder point"), default=0)
    order_up_to = models.IntegerField(_("order up to"), default=0)
    projected_stockout_on = models.DateField(_("projected stockout"), null=True, blank=True)
    next_arrival_on = models.DateField(_("next arrival"), null=True, blank=True)
    quantity_needed = models.IntegerField(_("needed"), default=0)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_cost = models.DecimalField(_("unit cost"), **MONEY, default=Decimal("0.00"))
    amount = models.DecimalField(_("amount"), **MONEY, default=Decimal("0.00"))
    explanation = models.JSONField(_("the maths"), default=dict, blank=True)
    purchase_order = models.ForeignKey(
        PurchaseOrder,
        verbose_name=_("purchase order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suggestions",
    )
    transfer = models.ForeignKey(
        Transfer,
        verbose_name=_("transfer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("computed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("replenishment suggestion")
        verbose_name_plural = _("replenishment suggestions")
        ordering = ["supplier_id", "projected_stockout_on", "sku_id"]
        constraints = [
            # One purchase per SKU and warehouse a night; transfers one per source warehouse.
            models.UniqueConstraint(
                fields=["business_date", "sku", "warehouse"],
                condition=Q(kind="purchase"),
                name="replsugg_purchase_once",
            ),
            models.UniqueConstraint(
                fields=["business_date", "sku", "warehouse", "source_warehouse"],
                condition=Q(kind="transfer"),
                name="replsugg_transfer_once",
            ),
        ]
        indexes = [models.Index(fields=["business_date", "status"], name="replsugg_date_status")]

    def __str__(self):
        return f"{self.business_date} {self.kind} {self.sku_id}@{self.warehouse_id} x{self.quantity}"
