"""Input and output shapes of the KPI API."""

from datetime import timedelta

from rest_framework import serializers

from orders import selectors as order_selectors
from reports import kpis

MAX_DAYS = {"day": 3 * 366, "week": 10 * 366, "month": 20 * 366}


class KpiQuerySerializer(serializers.Serializer):
    start = serializers.DateField(input_formats=["%Y-%m-%d"], help_text="First shop-local date (included).")
    end = serializers.DateField(input_formats=["%Y-%m-%d"], help_text="Last shop-local date (excluded).")
    granularity = serializers.ChoiceField(choices=kpis.GRANULARITIES, default="day")
    channel = serializers.CharField(required=False, allow_blank=False, max_length=30)

    def validate_channel(self, value):
        channel = order_selectors.channel_list().filter(code=value).first()
        if channel is None:
            raise serializers.ValidationError(f"Unknown channel {value!r}.")
        return channel

    def validate(self, attrs):
        start, end, granularity = attrs["start"], attrs["end"], attrs["granularity"]
        if end <= start:
            raise serializers.ValidationError(
                {"end": ["end must be after start (the period is [start, end))."]}
            )
        if end - start > timedelta(days=MAX_DAYS[granularity]):
            raise serializers.ValidationError(
                {"end": [f"At most {MAX_DAYS[granularity]} days at granularity {granularity!r}."]}
            )
        return attrs


def kpi_json(values: dict) -> dict:
    """Money as strings with 2 decimals, rates as strings with 4 decimals (null without a denominator)."""
    out = {}
    for key in kpis.ORDER_KPIS:
        value = values[key]
        if key in kpis.MONEY_KPIS or key in kpis.RATE_KPIS:
            out[key] = None if value is None else str(value)
        else:
            out[key] = value
    return out


class KpiValuesSerializer(serializers.Serializer):
    orders = serializers.IntegerField(help_text=str(kpis.KPI_DEFINITIONS["orders"]))
    units = serializers.IntegerField(help_text=str(kpis.KPI_DEFINITIONS["units"]))
    gmv = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text=str(kpis.KPI_DEFINITIONS["gmv"])
    )
    aov = serializers.DecimalField(
        max_digits=16, decimal_places=2, allow_null=True, help_text=str(kpis.KPI_DEFINITIONS["aov"])
    )
    refunds = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text=str(kpis.KPI_DEFINITIONS["refunds"])
    )
    net_sales = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text=str(kpis.KPI_DEFINITIONS["net_sales"])
    )
    customers = serializers.IntegerField(help_text=str(kpis.KPI_DEFINITIONS["customers"]))
    new_customers = serializers.IntegerField(help_text=str(kpis.KPI_DEFINITIONS["new_customers"]))
    returning_customers = serializers.IntegerField(help_text=str(kpis.KPI_DEFINITIONS["returning_customers"]))
    returning_rate = serializers.DecimalField(
        max_digits=6, decimal_places=4, allow_null=True, help_text=str(kpis.KPI_DEFINITIONS["returning_rate"])
    )
    repurchase_rate = serializers.DecimalField(
        max_digits=6,
        decimal_places=4,
        allow_null=True,
        help_text=str(kpis.KPI_DEFINITIONS["repurchase_rate"]),
    )
    gross_margin = serializers.DecimalField(
        max_digits=12, decimal_places=4, allow_null=True, help_text=str(kpis.KPI_DEFINITIONS["gross_margin"])
    )
    return_rate = serializers.DecimalField(
        max_digits=12, decimal_places=4, allow_null=True, help_text=str(kpis.KPI_DEFINITIONS["return_rate"])
    )
    cancel_rate = serializers.DecimalField(
        max_digits=6, decimal_places=4, allow_null=True, help_text=str(kpis.KPI_DEFINITIONS["cancel_rate"])
    )


class KpiPeriodSerializer(KpiValuesSerializer):
    period_start = serializers.DateField()


class KpiResponseSerializer(serializers.Serializer):
    totals = KpiValuesSerializer()
    series = KpiPeriodSerializer(many=True)
