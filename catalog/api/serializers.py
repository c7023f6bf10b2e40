from rest_framework import serializers

from catalog.models import SKU
from shopops.common.api import QueryDateTimeField


class SKUFilterSerializer(serializers.Serializer):
    """The query of GET /api/v1/skus (`code` is parsed by the view: repeatable and comma-separated)."""

    code = serializers.ListField(child=serializers.CharField(max_length=64), max_length=500, required=False)
    updated_since = QueryDateTimeField(required=False)
    active = serializers.BooleanField(required=False)


class SKUOutputSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="product.category.code", read_only=True)

    class Meta:
        model = SKU
        fields = ["code", "name", "category", "unit_cost", "list_price", "weight_kg", "role", "active"]
        read_only_fields = fields
