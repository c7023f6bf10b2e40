from rest_framework import serializers

from inventory.models import ForecastModel, ReplenishmentSuggestion, Supplier, Warehouse
from shopops.common.api import channel_codes


class StockFilterSerializer(serializers.Serializer):
    """The query of GET /api/v1/stock (`sku` is parsed by the view: repeatable and comma-separated)."""

    sku = serializers.ListField(child=serializers.CharField(max_length=64), max_length=500, required=False)
    channel = serializers.CharField(max_length=30, required=False)

    def validate_channel(self, value):
        if value not in channel_codes():
            raise serializers.ValidationError(f"Unknown or inactive channel {value!r}.")
        return value


class WarehouseStockSerializer(serializers.Serializer):
    warehouse = serializers.CharField(help_text="Warehouse code.")
    available = serializers.IntegerField(min_value=0, help_text="On hand minus reserved, never negative.")


class StockOutputSerializer(serializers.Serializer):
    sku = serializers.CharField(help_text="SKU code.")
    available = serializers.IntegerField(
        min_value=0, help_text="Units that can be sold now: the sum of `warehouses`, never negative."
    )
    warehouses = WarehouseStockSerializer(many=True)


# --- planning: forecasts, suggestions, stock levels (scope inventory:read) --------------------------------


class ForecastFilterSerializer(serializers.Serializer):
    """The query of GET /api/v1/inventory/forecasts."""

    sku = serializers.CharField(max_length=64, help_text="SKU code (exact).")


class ForecastDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    forecast = serializers.FloatField(help_text="Forecast units that day (all warehouses).")
    lower = serializers.FloatField(allow_null=True, help_text="Lower bound of the prediction interval.")
    upper = serializers.FloatField(allow_null=True, help_text="Upper bound of the prediction interval.")


class ForecastOutputSerializer(serializers.Serializer):
    sku = serializers.CharField(source="sku.code", help_text="SKU code.")
    business_date = serializers.DateField(help_text="The day the forecast was made; it starts the next day.")
    model = serializers.CharField(help_text="The backtest's choice: " + ", ".join(ForecastModel.values))
    model_name = serializers.CharField(source="get_model_display")
    mean_daily = serializers.DecimalField(
        max_digits=12, decimal_places=3, help_text="Mean daily demand over the first 28 forecast days."
    )
    sigma_daily = serializers.DecimalField(
        max_digits=12, decimal_places=3, help_text="Standard deviation of the daily error in the backtest."
    )
    wape = serializers.DecimalField(
        max_digits=8,
        decimal_places=4,
        allow_null=True,
        help_text="Weighted absolute percentage error over the last 28 days of actuals (0.2000 = 20 %); "
        "null without actuals.",
    )
    bias = serializers.DecimalField(
        max_digits=8,
        decimal_places=4,
        allow_null=True,
        help_text="(forecast - actual) / actual over the last 28 days: above 0 over-forecasts.",
    )
    actual_28d = serializers.IntegerField(help_text="Actual units of the last 28 days.")
    intermittent = serializers.BooleanField(help_text="Sparse demand (an intermittent-demand model class).")
    history_days = serializers.IntegerField()
    stockout_days = serializers.IntegerField(help_text="Stockout days corrected in the history.")
    days = ForecastDaySerializer(many=True)


class SuggestionFilterSerializer(serializers.Serializer):
    """The query of GET /api/v1/inventory/suggestions."""

    supplier = serializers.CharField(max_length=30, required=False)
    warehouse = serializers.CharField(max_length=30, required=False)
    kind = serializers.ChoiceField(choices=ReplenishmentSuggestion.Kind.values, required=False)
    status = serializers.ChoiceField(choices=ReplenishmentSuggestion.Status.values, required=False)

    def validate(self, attrs):
        # DRF skips a blank optional query parameter; a filter sent empty is a client error, not "no filter".
        blank = [name for name in self.fields if self.initial_data.get(name) == ""]
        if blank:
            raise serializers.ValidationError({name: ["This field may not be blank."] for name in blank})
        return attrs

    def validate_supplier(self, value):
        if not Supplier.objects.filter(code=value).exists():
            raise serializers.ValidationError(f"Unknown supplier {value!r}.")
        return value

    def validate_warehouse(self, value):
        return _known_warehouse(value)


def _known_warehouse(value):
    if not Warehouse.objects.filter(code=value).exists():
        raise serializers.ValidationError(f"Unknown warehouse {value!r}.")
    return value


class SuggestionOutputSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="sku.code")
    warehouse = serializers.CharField(source="warehouse.code", help_text="Warehouse to replenish.")
    supplier = serializers.CharField(
        source="supplier.code", allow_null=True, default=None, help_text="Supplier of a purchase."
    )
    source_warehouse = serializers.CharField(
        source="source_warehouse.code",
        allow_null=True,
        default=None,
        help_text="Warehouse a transfer takes the stock from.",
    )
    purchase_order = serializers.CharField(
        source="purchase_order.number", allow_null=True, default=None, help_text="PO number once ordered."
    )
    transfer = serializers.CharField(
        source="transfer.number", allow_null=True, default=None, help_text="Transfer number once ordered."
    )

    class Meta:
        model = ReplenishmentSuggestion
        fields = [
            "id",
            "business_date",
            "sku",
            "warehouse",
            "kind",
            "status",
            "supplier",
            "source_warehouse",
            "abc",
            "service_level",
            "on_hand",
            "available",
            "inbound",
            "daily_demand",
            "sigma_demand",
            "lead_time_days",
            "lead_time_spread_days",
            "safety_stock",
            "reorder_point",
            "order_up_to",
            "projected_stockout_on",
            "next_arrival_on",
            "quantity_needed",
            "quantity",
            "unit_cost",
            "amount",
            "purchase_order",
            "transfer",
        ]
        read_only_fields = fields


class LevelFilterSerializer(serializers.Serializer):
    """The query of GET /api/v1/inventory/levels (`sku` parsed by the view: repeatable, comma-separated)."""

    sku = serializers.ListField(child=serializers.CharField(max_length=64), max_length=500, required=False)
    warehouse = serializers.CharField(max_length=30, required=False)

    def validate_warehouse(self, value):
        return _known_warehouse(value)


class LevelOutputSerializer(serializers.Serializer):
    sku = serializers.CharField(source="sku.code", help_text="SKU code.")
    warehouse = serializers.CharField(source="warehouse.code", help_text="Warehouse code.")
    on_hand = serializers.IntegerField(help_text="Units in the warehouse.")
    reserved = serializers.IntegerField(help_text="Units reserved for orders not shipped yet.")
    available = serializers.IntegerField(help_text="On hand minus reserved (never negative).")
