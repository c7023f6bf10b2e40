from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 16, "decimal_places": 2}


class DailySales(models.Model):
    """Daily sales rollup per channel, in the shop's currency and time zone.

    An order counts on the shop-local date it was placed when its status is not pending or cancelled.
    Rebuilt by the nightly pipeline; the home dashboard reads only this table.
    """

    date = models.DateField(_("date"))
    channel = models.ForeignKey(
        "orders.Channel", verbose_name=_("channel"), on_delete=models.CASCADE, related_name="+"
    )
    orders = models.PositiveIntegerField(_("orders"), default=0)
    units = models.PositiveIntegerField(_("units"), default=0)
    gmv = models.DecimalField(_("GMV"), default=0, **MONEY)
    cost_of_goods = models.DecimalField(_("cost of goods"), default=0, **MONEY)
    customers = models.PositiveIntegerField(_("customers"), default=0)

    class Meta:
        verbose_name = _("daily sales")
        verbose_name_plural = _("daily sales")
        ordering = ["-date", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["date", "channel"], name="dailysales_date_channel_uniq")
        ]

    def __str__(self):
        return f"{self.date} {self.channel_id}"
