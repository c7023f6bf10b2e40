from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shopops.common import pii
from shopops.common.models import TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class Channel(TimeStampedModel):
    """A place the shop sells: a marketplace store, the own store or a cross-border store."""

    class Kind(models.TextChoices):
        MARKETPLACE = "marketplace", _("Marketplace")
        OWN_STORE = "own_store", _("Own store")
        CROSS_BORDER = "cross_border", _("Cross-border")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    commission_rate = models.DecimalField(
        _("commission rate"),
        max_digits=5,
        decimal_places=4,
        default=0,
        help_text=_("Platform commission as a fraction of the order total (0.0500 = 5 %)."),
    )
    payment_fee_rate = models.DecimalField(_("payment fee rate"), max_digits=5, decimal_places=4, default=0)
    settlement_days = models.PositiveIntegerField(
        _("settlement days"),
        default=7,
        help_text=_("Days after delivery until the channel pays out."),
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    webhook_secret = models.CharField(
        _("webhook secret"),
        max_length=200,
        blank=True,
        help_text=_("Shared secret that signs this channel's webhooks (Shopify: X-Shopify-Hmac-Sha256)."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_rate__gte=0, commission_rate__lt=1),
                name="channel_commission_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(payment_fee_rate__gte=0, payment_fee_rate__lt=1),
                name="channel_payment_fee_rate_range",
            ),
        ]

    def __str__(self):
        return self.name


class Customer(TimeStampedModel):
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="customers", db_index=False
    )
    external_id = models.CharField(_("external id"), max_length=100)
    # Personal data, encrypted at rest (shopops.common.pii); each with a keyed hash for exact search.
    name = pii.EncryptedCharField(_("name"), max_length=200, blank=True)
    phone = pii.EncryptedCharField(_("phone"), max_length=40, blank=True)
    email = pii.EncryptedEmailField(_("email"), blank=True)
    name_hash = models.CharField(
        _("name hash"), max_length=32, blank=True, default="", db_default="", editable=False
    )
    phone_hash = models.CharField(
        _("phone hash"), max_length=32, blank=True, default="", db_default="", editable=False
    )
    email_hash = models.CharField(
        _("email hash"), max_length=32, blank=True, default="", db_default="", editable=False
    )
    province = models.CharField(_("province"), max_length=30, blank=True)
    first_order_at = models.DateTimeField(_("first order at"), null=True, blank=True)

    # Encrypted field -> the kind of its hash (pii.normalize); the hash column is "<field>_hash".
    PII_FIELDS = {"name": "name", "phone": "phone", "email": "email"}

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="customer_channel_external_uniq"),
        ]
        indexes = [
            models.Index(fields=["phone_hash"], name="customer_phone_hash"),
            models.Index(fields=["email_hash"], name="customer_email_hash"),
            models.Index(fields=["name_hash"], name="customer_name_hash"),
        ]

    def __str__(self):
        return f"{self.channel_id}:{self.external_id}"

    def save(self, *args, **kwargs):
        kwargs["update_fields"] = pii_hashes_fill(self, kwargs.get("update_fields"))
        super().save(*args, **kwargs)


def pii_hashes_fill(obj, update_fields=None):
    """Set the hash columns of `obj`'s encrypted fields from their values (before a save); with
    `update_fields`, the hashes of the fields saved are saved too."""
    fields = obj.PII_FIELDS if update_fields is None else [f for f in obj.PII_FIELDS if f in update_fields]
    for field in fields:
        setattr(obj, f"{field}_hash", pii.pii_hash(obj.PII_FIELDS[field], getattr(obj, field)))
    if update_fields is None:
        return None
    return set(update_fields) | {f"{field}_hash" for field in fields}


class Order(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")
        RETURNED = "returned", _("Returned")
        REFUNDED = "refunded", _("Refunded")

    # Orders in these states are not sales (KPI definitions, reports issue).
    NOT_COUNTED = (Status.PENDING, Status.CANCELLED)

    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    external_id = models.CharField(_("external id"), max_length=100)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    placed_at = models.DateTimeField(_("placed at"))
    source_updated_at = models.DateTimeField(_("updated at (channel)"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    closed_at = models.DateTimeField(
        _("cancelled / returned at"),
        null=True,
        blank=True,
        help_text=_("When the order was cancelled, returned or refunded."),
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    exchange_rate = models.DecimalField(
        _("exchange rate"),
        max_digits=18,
        decimal_places=8,
        default=1,
        help_text=_("Shop-currency value of one unit of the order's currency on the day it was placed."),
    )
    total_shop = models.DecimalField(_("total (shop currency)"), default=0, **MONEY)
    payment_method = models.CharField(_("payment method"), max_length=30, blank=True)
    province = models.CharField(_("province"), max_length=30, blank=True)
    city = models.CharField(_("city"), max_length=60, blank=True)
    address = pii.EncryptedCharField(_("address"), max_length=300, blank=True)
    address_hash = models.CharField(
        _("address hash"), max_length=32, blank=True, default="", db_default="", editable=False
    )
    payload_hash = models.CharField(
        _("payload hash"),
        max_length=64,
        blank=True,
        help_text=_("Hash of the last synced payload: the same payload again changes nothing."),
    )
    shipping_fee = models.DecimalField(_("shipping fee"), default=0, **MONEY)
    tax = models.DecimalField(_("tax"), default=0, **MONEY)
    order_discount = models.DecimalField(_("order discount"), default=0, **MONEY)
    coupon_code = models.CharField(_("coupon code"), max_length=50, blank=True)
    total = models.DecimalField(_("total"), **MONEY)
    refund_amount = models.DecimalField(_("refund amount"), default=0, **MONEY)
    # A hold (finance's risk review) stops the order from shipping until it is released or cancelled.
    held_at = models.DateTimeField(_("on hold since"), null=True, blank=True)
    hold_reason = models.CharField(_("hold reason"), max_length=300, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="order_channel_external_uniq"),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_nonneg"),
            models.CheckConstraint(
                condition=Q(shipping_fee__gte=0, tax__gte=0, order_discount__gte=0, refund_amount__gte=0),
                name="order_amounts_nonneg",
            ),
        ]
        indexes = [
            models.Index(fields=["placed_at"], name="order_placed_at"),
            models.Index(fields=["customer", "placed_at"], name="order_customer_placed"),
            models.Index(fields=["status", "placed_at"], name="order_status_placed"),
            models.Index(fields=["updated_at"], name="order_updated_at"),
            models.Index(fields=["address_hash"], name="order_address_hash"),
        ]

    PII_FIELDS = {"address": "address"}

    def __str__(self):
        return f"{self.channel_id}:{self.external_id}"

    def save(self, *args, **kwargs):
        kwargs["update_fields"] = pii_hashes_fill(self, kwargs.get("update_fields"))
        super().save(*args, **kwargs)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="order_lines"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    discount = models.DecimalField(_("discount"), default=0, **MONEY)
    unit_cost = models.DecimalField(
        _("unit cost"),
        help_text=_("The SKU's unit cost when the order was placed."),
        **MONEY,
    )
    backordered = models.PositiveIntegerField(
        _("backordered"),
        default=0,
        help_text=_("Units no warehouse could reserve when the order arrived."),
    )
    flash_claim = models.CharField(
        _("flash-sale claim"),
        max_length=36,
        blank=True,
        default="",
        db_default="",
        help_text=_("The flash-sale claim id the line was bought under, if any."),
    )

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_pos"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0, discount__gte=0, unit_cost__gte=0),
                name="orderline_amounts_nonneg",
            ),
        ]

    def __str__(self):
        return f"{self.order_id} {self.sku_id} x{self.quantity}"

    @property
    def net_amount(self):
        return self.quantity * self.unit_price - self.discount


class OrderAllocation(models.Model):
    """Units of one order line held in one warehouse: reserved, then shipped, or released."""

    class State(models.TextChoices):
        RESERVED = "reserved", _("Reserved")
        SHIPPED = "shipped", _("Shipped")
        RELEASED = "released", _("Released")

    line = models.ForeignKey(
        OrderLine,
        verbose_name=_("order line"),
        on_delete=models.CASCADE,
        related_name="allocations",
        db_index=False,
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RESERVED)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("order allocation")
        verbose_name_plural = _("order allocations")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderallocation_quantity_pos")
        ]
        indexes = [models.Index(fields=["line", "state"], name="orderalloc_line_state")]

    def __str__(self):
        return f"{self.line_id}@{self.warehouse_id} x{self.quantity} {self.state}"


class OrderEvent(models.Model):
    """The order's timeline: arrival, status changes, exceptions and their resolution."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events", db_index=False
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    kind = models.CharField(_("kind"), max_length=30)
    from_status = models.CharField(_("from status"), max_length=20, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"], name="orderevent_order_at")]

    def __str__(self):
        return f"{self.order_id} {self.kind} {self.to_status}"


class OrderException(models.Model):
    """Something about an order that needs a person: late handling, backorder, address, totals."""

    class Kind(models.TextChoices):
        LATE = "late", _("Not processed within 2 hours of payment")
        BACKORDER = "backorder", _("Backordered lines")
        ADDRESS = "address", _("Address problem")
        TOTALS = "totals", _("Totals do not reconcile")

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="exceptions"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        "auth.User",
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)

    class Meta:
        verbose_name = _("order exception")
        verbose_name_plural = _("order exceptions")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="orderexception_one_open_per_kind",
            ),
        ]

    def __str__(self):
        return f"{self.order_id} {self.kind}"


class ExchangeRate(TimeStampedModel):
    """How much one unit of a currency is worth in the shop currency on a day."""

    date = models.DateField(_("date"))
    currency = models.CharField(_("currency"), max_length=3)
    rate_to_shop_currency = models.DecimalField(_("rate to shop currency"), max_digits=18, decimal_places=8)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["-date", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="exchangerate_currency_date_uniq"),
            models.CheckConstraint(condition=Q(rate_to_shop_currency__gt=0), name="exchangerate_rate_pos"),
        ]

    def __str__(self):
        return f"{self.date} {self.currency} {self.rate_to_shop_currency}"


class WebhookDelivery(models.Model):
    """A webhook delivery already applied, by the channel's delivery id: the same id is applied once."""

    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="+"
    )
    webhook_id = models.CharField(_("webhook id"), max_length=100)
    topic = models.CharField(_("topic"), max_length=60, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["channel", "webhook_id"], name="webhookdelivery_channel_id_uniq"),
        ]

    def __str__(self):
        return f"{self.channel_id}:{self.webhook_id}"


# -- Facts: per-day rollups of the orders, kept current by the order writes ------------------------------
# Owned by orders because every write of an order refreshes them in the same transaction (orders.facts);
# reports reads them through orders.selectors. Dates are shop-local. See reports.kpis for the definitions.


class OrderDayFact(models.Model):
    """Per shop-local date and channel. Dated by placement: placed_all, cancelled and the counted orders'
    orders, units, gmv, cost_of_goods; by closing: refunds, returned_units; by shipping: shipped_units;
    from the customer-day facts: customers (with a counted order that day), new_customers (whose first
    counted order ever is that day), repeat_customers (with two or more counted orders that day)."""

    date = models.DateField(_("date"))
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="+"
    )
    placed_all = models.IntegerField(_("orders placed"), default=0)
    cancelled = models.IntegerField(_("cancelled"), default=0)
    orders = models.IntegerField(_("orders"), default=0)
    units = models.IntegerField(_("units"), default=0)
    gmv = models.DecimalField(_("GMV"), default=0, max_digits=16, decimal_places=2)
    cost_of_goods = models.DecimalField(_("cost of goods"), default=0, max_digits=16, decimal_places=2)
    refunds = models.DecimalField(_("refunds"), default=0, max_digits=16, decimal_places=2)
    returned_units = models.IntegerField(_("units returned"), default=0)
    shipped_units = models.IntegerField(_("units shipped"), default=0)
    customers = models.IntegerField(_("customers"), default=0)
    new_customers = models.IntegerField(_("new customers"), default=0)
    repeat_customers = models.IntegerField(_("customers with 2+ orders"), default=0)

    class Meta:
        verbose_name = _("order day fact")
        verbose_name_plural = _("order day facts")
        constraints = [
            models.UniqueConstraint(fields=["date", "channel"], name="orderdayfact_date_channel_uniq")
        ]

    def __str__(self):
        return f"{self.date} {self.channel_id}"


class OrderSkuDayFact(models.Model):
    """Per shop-local date, channel and SKU, for counted orders placed that day: orders holding the SKU,
    units, revenue (lines net of line discounts, in the shop currency) and cost of goods."""

    date = models.DateField(_("date"))
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="+"
    )
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="+")
    orders = models.IntegerField(_("orders"), default=0)
    units = models.IntegerField(_("units"), default=0)
    revenue = models.DecimalField(_("revenue"), default=0, max_digits=16, decimal_places=2)
    cost_of_goods = models.DecimalField(_("cost of goods"), default=0, max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("order SKU day fact")
        verbose_name_plural = _("order SKU day facts")
        constraints = [
            models.UniqueConstraint(
                fields=["date", "channel", "sku"], name="orderskudayfact_date_channel_sku_uniq"
            )
        ]

    def __str__(self):
        return f"{self.date} {self.channel_id} {self.sku_id}"


class CustomerDayFact(models.Model):
    """One row per customer and shop-local date with a counted order, with the customer's previous and
    next such dates: distinct customers of any period [s, e) are the rows in it whose prev_date is before s
    (or none), and those with one order in it are such rows with orders = 1 and next_date >= e (or none)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="+"
    )
    date = models.DateField(_("date"))
    orders = models.IntegerField(_("orders"))
    prev_date = models.DateField(_("previous order date"), null=True, blank=True)
    next_date = models.DateField(_("next order date"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer day fact")
        verbose_name_plural = _("customer day facts")
        constraints = [
            models.UniqueConstraint(fields=["customer", "date"], name="customerdayfact_customer_date_uniq")
        ]
        indexes = [models.Index(fields=["date", "channel"], name="customerdayfact_date_channel")]

    def __str__(self):
        return f"{self.customer_id} {self.date}"
