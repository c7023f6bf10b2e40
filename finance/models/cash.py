"""Cash, and what will move it: accounts and their statement lines, channel settlements (receivables
collected), supplier payments (payables paid) and scheduled commitments (payroll, rent, software, logistics
contracts, platform deposits, one-off items)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shopops.common.models import TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}
FRACTION = {"max_digits": 6, "decimal_places": 4}


class CashCategory(models.TextChoices):
    """What a cash movement is for: the forecast's lines, the statement's categories and the budget's cost
    lines all use these codes."""

    SETTLEMENT = "settlement", _("Channel settlements")
    OTHER_INCOME = "other_income", _("Other income")
    FINANCING = "financing", _("Financing (loans, credit line)")
    SUPPLIER = "supplier", _("Supplier payments")
    PAYROLL = "payroll", _("Payroll")
    RENT = "rent", _("Rent")
    SOFTWARE = "software", _("Software and technology")
    LOGISTICS = "logistics", _("Logistics")
    PLATFORM_FEES = "platform_fees", _("Platform fees")
    DEPOSIT = "deposit", _("Platform deposits")
    ADS = "ads", _("Advertising")
    TAX = "tax", _("Taxes")
    TRANSFER = "transfer", _("Transfer between accounts")
    OTHER = "other", _("Other")


class FinanceSettings(models.Model):
    """The finance area's settings (one row, pk=1), with the domain defaults."""

    cushion_months = models.DecimalField(
        _("safety cushion (months of fixed costs)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("3.00"),
        help_text=_("The lower bound of the safety cushion: the domain target is 3-6 months of fixed costs."),
    )
    cushion_target_months = models.DecimalField(
        _("cushion target (months)"), max_digits=5, decimal_places=2, default=Decimal("6.00")
    )
    tax_rate = models.DecimalField(
        _("tax rate of sales"),
        **FRACTION,
        default=Decimal("0.0300"),
        help_text=_("Taxes paid as a share of the month's net sales (0.0300 = 3 %)."),
    )
    tax_day = models.PositiveSmallIntegerField(
        _("tax payment day"),
        default=15,
        help_text=_("Day of the next month on which a month's taxes are paid."),
    )
    delivery_days = models.PositiveSmallIntegerField(
        _("delivery days"),
        default=3,
        help_text=_("Days from placing to delivery, for orders not yet delivered and forecast sales."),
    )
    overdue_grace_days = models.PositiveSmallIntegerField(
        _("overdue after (days)"),
        default=3,
        help_text=_("A settlement is overdue this many days after its expected day."),
    )
    books_open_on = models.DateField(
        _("receivables tracked from"),
        null=True,
        blank=True,
        help_text=_("Orders delivered before this day are taken as settled (the day the books were opened)."),
    )
    credit_line = models.DecimalField(
        _("credit line available"), default=Decimal("0.00"), **MONEY, help_text=_("Undrawn bank credit line.")
    )
    logistics_cost_per_order = models.DecimalField(
        _("logistics cost per order"),
        default=Decimal("6.00"),
        **MONEY,
        help_text=_("Shipping and packing paid per shipped order, for contribution margins."),
    )
    webhook_url = models.URLField(_("alert webhook URL"), blank=True)
    webhook_secret = models.CharField(
        _("alert webhook secret"),
        max_length=200,
        blank=True,
        help_text=_("Signs each alert webhook with HMAC-SHA256 (header X-ShopOps-Signature)."),
    )
    risk_hold_score = models.PositiveSmallIntegerField(
        _("hold orders scoring at least"),
        default=60,
        help_text=_("Order risk score (0-100) that puts an order on hold."),
    )
    risk_cod_high_value = models.DecimalField(
        _("high-value cash-on-delivery order"), default=Decimal("800.00"), **MONEY
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("finance settings")
        verbose_name_plural = _("finance settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lt=1), name="financesettings_tax_rate"
            ),
            models.CheckConstraint(
                condition=Q(tax_day__gte=1, tax_day__lte=28), name="financesettings_tax_day"
            ),
        ]

    def __str__(self):
        return str(_("Finance settings"))

    @classmethod
    def get(cls) -> "FinanceSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class CashAccount(TimeStampedModel):
    """Where cash sits: a bank account, a platform wallet (Alipay, JD wallet), petty cash. The balance is
    the opening balance plus every transaction booked on or after the opening day."""

    class Kind(models.TextChoices):
        BANK = "bank", _("Bank account")
        WALLET = "wallet", _("Platform wallet")
        CASH = "cash", _("Cash")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.BANK)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    opening_balance = models.DecimalField(_("opening balance"), default=Decimal("0.00"), **MONEY)
    opening_on = models.DateField(_("opening balance on"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("cash account")
        verbose_name_plural = _("cash accounts")
        ordering = ["code"]

    def __str__(self):
        return self.name


class CashTransaction(models.Model):
    """One line of an account's statement: money in (positive) or out (negative), entered by hand or
    imported from a bank statement CSV (``reference`` = the bank's id, unique per account)."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered")
        IMPORT = "import", _("Statement import")

    account = models.ForeignKey(
        CashAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="transactions"
    )
    booked_on = models.DateField(_("booked on"))
    amount = models.DecimalField(
        _("amount"), **MONEY, help_text=_("Positive: money in. Negative: money out.")
    )
    category = models.CharField(
        _("category"), max_length=20, choices=CashCategory.choices, default=CashCategory.OTHER
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    counterparty = models.CharField(_("counterparty"), max_length=200, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("cash transaction")
        verbose_name_plural = _("cash transactions")
        ordering = ["-booked_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "reference"],
                condition=~Q(reference=""),
                name="cashtransaction_account_ref_uniq",
            ),
        ]
        indexes = [models.Index(fields=["booked_on", "category"], name="cashtx_booked_category")]

    def __str__(self):
        return f"{self.account_id} {self.booked_on} {self.amount}"


class Settlement(models.Model):
    """A payout line of a channel's settlement report: the money the channel paid for one order (net of
    its commission and fees), imported and matched to the order by (channel, order external id)."""

    channel = models.ForeignKey(
        "orders.Channel", verbose_name=_("channel"), on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(_("reference"), max_length=100, help_text=_("The channel's payout line id."))
    order_external_id = models.CharField(_("order"), max_length=100)
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("matched order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    settled_on = models.DateField(_("settled on"))
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-settled_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "reference"], name="settlement_channel_ref_uniq"),
        ]
        indexes = [
            models.Index(fields=["order"], name="settlement_order"),
            models.Index(fields=["channel", "order_external_id"], name="settlement_channel_ext"),
            models.Index(fields=["settled_on"], name="settlement_settled_on"),
        ]

    def __str__(self):
        return f"{self.channel_id}:{self.reference}"


class SupplierPayment(models.Model):
    """Money paid to a supplier against a purchase order: what is left of the PO is still payable."""

    purchase_order = models.ForeignKey(
        "inventory.PurchaseOrder",
        verbose_name=_("purchase order"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    paid_on = models.DateField(_("paid on"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("supplier payment")
        verbose_name_plural = _("supplier payments")
        ordering = ["-paid_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="supplierpayment_amount_pos")]
        indexes = [models.Index(fields=["purchase_order"], name="supplierpayment_po")]

    def __str__(self):
        return f"{self.purchase_order_id} {self.amount}"


class Commitment(TimeStampedModel):
    """A scheduled cash movement: a recurring expense (payroll, rent, software, logistics contract,
    platform deposit) or a one-off item, in or out. ``fixed`` costs are what the safety cushion covers."""

    class Frequency(models.TextChoices):
        ONCE = "once", _("Once")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        YEARLY = "yearly", _("Yearly")

    class Direction(models.TextChoices):
        OUT = "out", _("Money out")
        IN = "in", _("Money in")

    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=CashCategory.choices)
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, default=Direction.OUT
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    starts_on = models.DateField(
        _("first payment on"),
        help_text=_(
            "The first date it is paid; later payments repeat from it (same weekday or day of month)."
        ),
    )
    ends_on = models.DateField(_("last payment on or before"), null=True, blank=True)
    fixed = models.BooleanField(
        _("fixed cost"),
        default=True,
        help_text=_("Counts towards the monthly fixed costs the cushion must cover."),
    )
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["category", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="commitment_amount_pos"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="commitment_dates_order",
            ),
        ]

    def __str__(self):
        return self.name
