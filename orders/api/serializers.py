"""The orders API's shapes for the OpenAPI schema and for output.

Input of the bulk sync is validated by msgspec (orders.schemas) for speed — about 40x faster than a DRF
serializer per order — so these request serializers document the contract and are not used to parse it.
"""

from rest_framework import serializers

from orders.models import Order
from orders.schemas import MAX_ORDERS_PER_SYNC
from shopops.common.privacy import MASKS


class CustomerSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=100)
    name = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    email = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    province = serializers.CharField(required=False, allow_null=True, allow_blank=True)


class LineSerializer(serializers.Serializer):
    sku = serializers.CharField(help_text="SKU code")
    quantity = serializers.IntegerField(min_value=1)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    discount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="Line discount (amount, default 0.00)",
    )
    flash_claim = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=36,
        help_text="The flash-sale claim id this line was bought under (from the flash-sale claims API)",
    )


class OrderInSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=100)
    placed_at = serializers.DateTimeField(help_text="RFC 3339 with a time zone offset")
    updated_at = serializers.DateTimeField(help_text="When the channel last changed the order")
    status = serializers.ChoiceField(choices=Order.Status.values)
    currency = serializers.CharField(required=False, help_text="ISO 4217, default CNY")
    payment_method = serializers.CharField(required=False, allow_blank=True)
    customer = CustomerSerializer(required=False, allow_null=True)
    shipping_fee = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    tax = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    order_discount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    coupon_code = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    city = serializers.CharField(required=False, allow_blank=True, max_length=60)
    address = serializers.CharField(
        required=False, allow_blank=True, max_length=300, help_text="Shipping address (stored encrypted)"
    )
    total = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="Must equal sum(quantity x unit_price - discount) - order_discount + shipping_fee + tax",
    )
    lines = LineSerializer(many=True)


class OrderSyncRequestSerializer(serializers.Serializer):
    channel = serializers.CharField(help_text="Channel code, e.g. tmall")
    orders = OrderInSerializer(many=True, help_text=f"1 to {MAX_ORDERS_PER_SYNC} orders")


class RejectedSerializer(serializers.Serializer):
    external_id = serializers.CharField(allow_null=True)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class OrderSyncResponseSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = RejectedSerializer(many=True)


class AllocationOutSerializer(serializers.Serializer):
    warehouse = serializers.CharField(source="warehouse.code")
    quantity = serializers.IntegerField()
    state = serializers.CharField()


class LineOutSerializer(serializers.Serializer):
    sku = serializers.CharField(source="sku.code")
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    discount = serializers.DecimalField(max_digits=14, decimal_places=2)
    backordered = serializers.IntegerField()
    allocations = AllocationOutSerializer(many=True)


PERSONAL_SCOPE = "personal:read"


def _shown(serializer, kind: str, value: str) -> str:
    """Personal data in full for a key with the personal:read scope (a connector that ships the orders),
    masked for every other key (context["personal"], set by the views)."""
    if serializer.context.get("personal"):
        return value or ""
    return MASKS[kind](value or "")


class CustomerOutSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.SerializerMethodField(
        help_text="In full with the personal:read scope, else masked: 138****0000"
    )
    email = serializers.SerializerMethodField(
        help_text="In full with the personal:read scope, else masked: w*******@example.com"
    )
    province = serializers.CharField()

    def get_phone(self, customer) -> str:
        return _shown(self, "phone", customer.phone)

    def get_email(self, customer) -> str:
        return _shown(self, "email", customer.email)


class OrderOutSerializer(serializers.Serializer):
    channel = serializers.CharField(source="channel.code")
    external_id = serializers.CharField()
    status = serializers.CharField()
    placed_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(source="source_updated_at")
    synced_at = serializers.DateTimeField(source="updated_at")
    currency = serializers.CharField()
    payment_method = serializers.CharField()
    customer = CustomerOutSerializer(allow_null=True)
    province = serializers.CharField()
    city = serializers.CharField()
    address = serializers.SerializerMethodField(
        help_text="In full with the personal:read scope, else masked: the first 6 characters then ****"
    )
    shipping_fee = serializers.DecimalField(max_digits=14, decimal_places=2)
    tax = serializers.DecimalField(max_digits=14, decimal_places=2)
    order_discount = serializers.DecimalField(max_digits=14, decimal_places=2)
    coupon_code = serializers.CharField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    exchange_rate = serializers.DecimalField(max_digits=18, decimal_places=8)
    total_shop = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="The total in the shop currency"
    )
    refund_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    lines = LineOutSerializer(many=True)

    def get_address(self, order) -> str:
        return _shown(self, "address", order.address)
