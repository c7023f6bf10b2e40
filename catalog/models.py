from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shopops.common.models import TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class Category(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Product(TimeStampedModel):
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    name = models.CharField(_("name"), max_length=200)
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self):
        return self.name


class SKU(TimeStampedModel):
    """A sellable unit: one variant of a product, with its purchase cost and list price."""

    class Role(models.TextChoices):
        HERO = "hero", _("Hero / traffic")
        CORE = "core", _("Core / profit")
        LONG_TAIL = "long_tail", _("Long tail")
        NEW = "new", _("New-product test")
        IMAGE = "image", _("Image")

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="skus"
    )
    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    unit_cost = models.DecimalField(_("unit cost"), **MONEY)
    list_price = models.DecimalField(_("list price"), **MONEY)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=8, decimal_places=3, default=0)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CORE)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="sku_unit_cost_nonneg"),
            models.CheckConstraint(condition=Q(list_price__gte=0), name="sku_list_price_nonneg"),
            models.CheckConstraint(condition=Q(weight_kg__gte=0), name="sku_weight_nonneg"),
        ]

    @property
    def gross_margin(self) -> Decimal | None:
        """(list price - unit cost) / list price as a fraction with 4 places; None for a zero price."""
        if not self.list_price:
            return None
        return ((self.list_price - self.unit_cost) / self.list_price).quantize(Decimal("0.0001"))

    def __str__(self):
        return f"{self.code} {self.name}"
