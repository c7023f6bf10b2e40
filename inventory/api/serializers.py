from rest_framework import serializers

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
