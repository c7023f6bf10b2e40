"""The catalogue API's shapes. Output is serialized here; the bulk writes (PUT /skus, POST
/competitor-prices) are checked row by row by the services (catalog.services.skus / competitors), so their
request serializers document the contract for the OpenAPI schema and are not used to parse it."""

from rest_framework import serializers

from catalog.models import SKU
from catalog.services import MAX_PRICES_PER_REQUEST, MAX_SKUS_PER_REQUEST
from shopops.common.api import QueryDateTimeField


class SKUFilterSerializer(serializers.Serializer):
    """The query of GET /api/v1/skus (`code` is parsed by the view: repeatable and comma-separated)."""

    code = serializers.ListField(child=serializers.CharField(max_length=64), max_length=500, required=False)
    updated_since = QueryDateTimeField(required=False)
    active = serializers.BooleanField(required=False)


class SKUOutputSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="product.category.code", read_only=True)
    weight = serializers.DecimalField(
        source="weight_kg",
        max_digits=8,
        decimal_places=3,
        read_only=True,
        help_text="Weight in kg (the same as `weight_kg`; the name PUT takes).",
    )
    channel_prices = serializers.SerializerMethodField(
        help_text="{channel code: price} for the channels with a price of their own; on any other "
        "channel the SKU sells at `list_price`."
    )

    class Meta:
        model = SKU
        fields = [
            "code",
            "name",
            "category",
            "unit_cost",
            "list_price",
            "weight_kg",
            "weight",
            "role",
            "active",
            "channel_prices",
        ]
        read_only_fields = fields

    def get_channel_prices(self, sku) -> dict[str, str]:
        # Prefetched by the view: one query for the page.
        return {row.channel: f"{row.price:.2f}" for row in sku.channel_prices.all()}


class SKUInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64, help_text="The key: an existing SKU is updated, else created")
    name = serializers.CharField(max_length=200, required=False, help_text="Required for a new SKU")
    category = serializers.CharField(
        max_length=50, required=False, help_text="Category code; required for a new SKU"
    )
    unit_cost = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="Purchase cost; required for a new SKU",
    )
    list_price = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text="Above zero and not under the margin floor; required for a new SKU",
    )
    weight = serializers.DecimalField(
        max_digits=8, decimal_places=3, min_value=0, required=False, help_text="kg, default 0"
    )
    role = serializers.ChoiceField(choices=SKU.Role.values, required=False, help_text="Default core")
    active = serializers.BooleanField(required=False, help_text="Default true")


class SKUUpsertRequestSerializer(serializers.Serializer):
    skus = SKUInSerializer(many=True, help_text=f"1 to {MAX_SKUS_PER_REQUEST} SKUs")


class SKURejectedSerializer(serializers.Serializer):
    code = serializers.CharField(allow_null=True)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class SKUUpsertResponseSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = SKURejectedSerializer(many=True)


class CompetitorPriceInSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64, help_text="Our SKU code")
    competitor = serializers.CharField(max_length=100)
    channel = serializers.CharField(
        max_length=30, required=False, allow_blank=True, help_text="Channel code, or blank for none"
    )
    price = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Above zero")
    seen_at = serializers.DateTimeField(help_text="ISO 8601 with a time zone offset; not in the future")


class CompetitorPricesRequestSerializer(serializers.Serializer):
    prices = CompetitorPriceInSerializer(many=True, help_text=f"1 to {MAX_PRICES_PER_REQUEST} offers")


class CompetitorPriceRejectedSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position in `prices`, from 0")
    sku = serializers.CharField(allow_null=True)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class CompetitorPricesResponseSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = CompetitorPriceRejectedSerializer(many=True)
