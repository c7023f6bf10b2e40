"""The promotions API: price a cart (``POST /api/v1/pricing/quote``) and read / write promotions
(``GET/POST /api/v1/promotions``, ``GET/PUT /api/v1/promotions/{code}``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from marketing.models import Promotion
from marketing.promotion_params import promotion_as_json, promotion_clean
from marketing.selectors.promotions import PROMOTION_STATUSES, promotion_get, promotion_list, promotion_status
from marketing.services.promotions import promotion_create, promotion_update
from marketing.services.quote import MAX_LINES, promotion_quote, quote_as_json, warnings_for_draft
from shopops.common.api import (
    NOT_BLANK,
    ClientAPIView,
    ClientCursorPagination,
    JSONInputSerializer,
    as_utc,
    json_object_body,
    query_bool,
    scope_required,
    validation_error_response,
)

READ_SCOPES = ("marketing:read", "marketing:write")
WRITE_SCOPE = "marketing:write"
QUOTE_SCOPE = "pricing:quote"


# ---------------------------------------------------------------------------------------------
# POST /api/v1/pricing/quote
# ---------------------------------------------------------------------------------------------
QUOTE_DESCRIPTION = """Price a cart with the promotions in force on the channel at `at` (default now; a
future moment prices the cart for a coming campaign). Nothing is written: a quote reserves no coupon
use and no flash-sale unit (claim flash-sale units with `POST /api/v1/flash-sales/{code}/claims`).

Body: `channel` (a channel code), `customer` (`{"external_id": "C1"}` or null: the customer's id on that
channel; unknown customers are priced as guests: no member tier), `coupon_codes` (as presented; compared
upper-cased), `at` (ISO 8601 with an offset, or null), `lines` (1 to 200 of `{"sku", "quantity"}`).

Prices: a line's unit price is the SKU's price on the channel, else its list price. Money is a string
with two decimals.

**Application order** (the engine's rules):
1. Line-level kinds first (flash_sale, member_price, percent_off, buy_x_get_y, bundle_price, amount_off),
   then order-level kinds (threshold_amount 满减, threshold_percent 满折, gift, amount_off with level
   "order") on the subtotal as discounted so far, then promotions that need a coupon, in the same two
   stages.
2. Inside a stage: higher `priority` first, then the kind order above, then code. Non-exclusive
   promotions combine, each working on the lines as the ones before left them. An exclusive promotion
   combines with nothing else on the lines in its scope; where exclusive promotions compete, every
   combination with disjoint lines is priced and the cheapest total for the customer wins.

**Rounding**: percentages are computed per line and rounded half-up to the cent. An amount spread over
several lines is split in proportion to their current value, rounded down to the cent, and the cents
left over go to the lines with the largest remainders, so the parts add up exactly to the amount. Units
of a line are its value split the same way (¥10.00 x 3 = ¥3.34, ¥3.33, ¥3.33).

**Safety**: no line, order or total goes below zero; no line goes below its margin floor (the lowest
price that keeps the SKU's gross-margin floor) unless the promotion is a loss leader (a loss-leader SKU
has its own, lower floor). A capped discount is shown in the trace.

Answer: `lines` (gift lines at zero with `"gift": true`), `subtotal`, `discount_total`, `total`,
`applied` (promotion code and amount), `rejected_coupons` (code as presented and reason), `hints` (the
gap to the next threshold tier: "add ¥36.00 more to save ¥50.00"), `warnings` (a gift's cost outside
5-15 % of the qualifying subtotal), and with `?explain=1` a `trace` of every step.

400 with field errors: `channel` (unknown), `lines[2].sku` (unknown SKU), `lines[0].quantity`, `at`.
Requires the scope `pricing:quote`.
"""

QUOTE_EXAMPLE = {
    "channel": "own_store",
    "customer": {"external_id": "C1"},
    "coupon_codes": ["SPRING5"],
    "at": "2026-11-05T10:00:00+08:00",
    "lines": [{"sku": "SKU-0001", "quantity": 2}, {"sku": "SKU-0002", "quantity": 1}],
}
# 满199减20 / 满399减50 on ¥317.00: ¥20.00 split 258:59 -> 16.28 + 3.72 (the cent left over goes to the
# larger remainder); ¥82.00 more would reach the ¥399 tier.
QUOTE_ANSWER = {
    "lines": [
        {"sku": "SKU-0001", "quantity": 2, "unit_price": "129.00", "discount": "16.28", "total": "241.72"},
        {"sku": "SKU-0002", "quantity": 1, "unit_price": "59.00", "discount": "3.72", "total": "55.28"},
    ],
    "subtotal": "317.00",
    "discount_total": "20.00",
    "total": "297.00",
    "applied": [{"code": "D11-TIERS", "amount": "20.00"}],
    "rejected_coupons": [{"code": "SPRING5", "reason": "unknown coupon"}],
    "hints": [
        {
            "code": "D11-TIERS",
            "amount_needed": "82.00",
            "saving": "50.00",
            "message": "add ¥82.00 more to save ¥50.00",
        }
    ],
    "warnings": [],
}


class _QuoteCustomerIn(JSONInputSerializer):
    external_id = serializers.CharField(
        required=False, allow_null=True, help_text="The customer's external id; none or unknown: a guest"
    )


class _QuoteLineIn(JSONInputSerializer):
    sku = serializers.CharField(max_length=64, validators=[NOT_BLANK])
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)


class QuoteRequestSerializer(JSONInputSerializer):
    """The cart as documented (the view and promotion_quote check it, with their own error keys)."""

    channel = serializers.CharField(max_length=30, validators=[NOT_BLANK], help_text="Channel code")
    customer = _QuoteCustomerIn(required=False, allow_null=True, help_text="A guest when left out or null")
    coupon_codes = serializers.ListField(
        child=serializers.CharField(trim_whitespace=False),
        required=False,
        allow_null=True,
        help_text="null: none",
    )
    at = serializers.DateTimeField(required=False, allow_null=True, help_text="Default: now")
    lines = serializers.ListField(child=_QuoteLineIn(), min_length=1, max_length=MAX_LINES)


class QuoteView(ClientAPIView):
    required_scope = QUOTE_SCOPE
    parser_classes = [JSONParser]  # documents the body; post decodes it itself (exact Decimals)

    @extend_schema(
        operation_id="pricing_quote",
        tags=["marketing"],
        summary="Price a cart with the promotions",
        description=QUOTE_DESCRIPTION,
        request=QuoteRequestSerializer,
        parameters=[
            OpenApiParameter("explain", OpenApiTypes.BOOL, description="Add the trace of every step.")
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The priced cart"),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Field errors"),
        },
        examples=[
            OpenApiExample("A cart", value=QUOTE_EXAMPLE, request_only=True),
            OpenApiExample("The priced cart", value=QUOTE_ANSWER, response_only=True, status_codes=["200"]),
            OpenApiExample(
                "Unknown SKU",
                value={"lines[1].sku": ["Unknown SKU: SKU-9999."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request):
        body, error = json_object_body(request)
        if error is not None:
            return error
        errors: dict[str, list[str]] = {}
        customer = body.get("customer")
        if isinstance(customer, dict):
            customer = customer.get("external_id")
        elif customer is not None:
            customer = 0  # the schema's object or null, not a bare id
        if customer is not None and not isinstance(customer, str):
            errors["customer"] = ['Expected {"external_id": "..."} or null.']
            customer = None
        lines = body.get("lines")
        for n, line in enumerate(lines if isinstance(lines, list) else []):
            quantity = line.get("quantity") if isinstance(line, dict) else None
            if isinstance(quantity, str):  # the service also reads form text ("2"); JSON sends a number
                errors[f"lines[{n}].quantity"] = ["Enter a whole number, 1 or more."]
        at = body.get("at")
        if at is not None:
            try:
                parsed = parse_datetime(at) if isinstance(at, str) else None
            except ValueError:  # well formed but impossible (an hour 25, an offset of 24 hours)
                parsed = None
            if parsed is None:
                errors["at"] = ["Enter a date and time, e.g. 2026-11-11T10:00:00+08:00."]
            at = as_utc(parsed)
        coupons = body.get("coupon_codes")
        coupons = [] if coupons is None else coupons  # left out or null: none ({} or "" is an error)
        if not isinstance(coupons, list) or not all(isinstance(code, str) for code in coupons):
            errors["coupon_codes"] = ["Expected a list of codes."]
            coupons = []
        try:
            quote = promotion_quote(
                channel=body.get("channel"),
                lines=body.get("lines"),
                customer=customer,
                coupon_codes=coupons,
                at=at,
            )
        except ValidationError as exc:
            return Response({**errors, **exc.message_dict}, status=status.HTTP_400_BAD_REQUEST)
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        explain = bool(query_bool(request, "explain"))
        return Response(quote_as_json(quote, explain=explain))


# ---------------------------------------------------------------------------------------------
# /api/v1/promotions
# ---------------------------------------------------------------------------------------------
PROMOTION_FIELDS = """Fields: `code` (letters, digits, `-`, `_`, `.`; unique), `name`, `kind`, `params` (per
kind, below), `scope` (`skus`, `categories`, `channels`, `member_tiers`: lists of codes, empty = all),
`starts_at` / `ends_at` (ISO 8601; without an offset: shop time, Asia/Shanghai; either may be null),
`priority` (higher first), `exclusive`, `coupon_required`, `usage_limit`, `per_customer_limit` (null = no
limit), `loss_leader` (may go below the margin floor), `active` (false = draft or paused).

`params` per kind (percentages are percent numbers: "20" = 20 %; money as strings with at most two
decimals; unused optional fields may be omitted or null):
`percent_off {percent, min_quantity, min_spend, max_affected_items}` ·
`amount_off {amount, min_quantity, min_spend, max_affected_items, level}` (level "line" or "order") ·
`threshold_amount {tiers: [{threshold, amount}]}` · `threshold_percent {tiers: [{threshold, percent}]}` ·
`buy_x_get_y {buy, get, percent, max_applications}` (buy 2 get 1 free = buy 2, get 1, percent 100) ·
`bundle_price {quantity, price, max_applications}` · `gift {threshold, gift_sku, quantity}` ·
`flash_sale {sku, price, quantity, per_customer}` (needs starts_at and ends_at; its pool of units follows
`quantity`, never below the units already claimed) · `member_price {tiers: {"gold": "10", ...}}`.

Validation errors are answered 400, per field, keyed by the field's path: `params.tiers[1].threshold`,
`scope.skus` ("Unknown SKU: SKU-9999."). Nothing is written then.
The answer carries `warnings`: margin-floor and gift-cost warnings (the promotion is saved anyway).
"""

PROMOTION_EXAMPLE = {
    "code": "D11-TIERS",
    "name": "满199减20 满399减50",
    "kind": "threshold_amount",
    "params": {"tiers": [{"threshold": "199", "amount": "20"}, {"threshold": "399", "amount": "50"}]},
    "scope": {"skus": [], "categories": [], "channels": [], "member_tiers": []},
    "starts_at": "2026-11-01T00:00:00+08:00",
    "ends_at": "2026-11-12T00:00:00+08:00",
    "priority": 10,
    "exclusive": False,
    "coupon_required": False,
    "usage_limit": None,
    "per_customer_limit": None,
    "loss_leader": False,
}


def _promotion_out(promotion: Promotion, **extra) -> dict:
    return {**promotion_as_json(promotion), "status": promotion_status(promotion), **extra}


def _clean_error_response(errors: dict, body: dict, promotion: Promotion | None = None) -> Response:
    """promotion_clean's errors: a 409 when the only one is a code another promotion has, else a 400."""
    code = body.get("code")
    taken = (
        set(errors) == {"code"}
        and isinstance(code, str)
        and Promotion.objects.filter(code__iexact=code.strip())
        .exclude(pk=getattr(promotion, "pk", None))
        .exists()
    )
    return Response(errors, status=status.HTTP_409_CONFLICT if taken else status.HTTP_400_BAD_REQUEST)


def _save_error_response(exc: ValidationError) -> Response:
    """A 400 with the field errors, or a 409 when the code is already taken (a conflict with what exists, not
    a malformed request)."""
    response = validation_error_response(exc)
    errors = getattr(exc, "error_dict", {}).get("code", [])
    if any(getattr(error, "code", None) == "duplicate" for error in errors):
        response.status_code = status.HTTP_409_CONFLICT
    return response


class PromotionPagination(ClientCursorPagination):
    page_size = 50


class PromotionListView(ClientAPIView):
    """GET lists promotions (marketing:read or marketing:write); POST creates one (marketing:write)."""

    required_scope = "marketing:read"
    parser_classes = [JSONParser]

    def get_permissions(self):
        if self.request.method == "POST":
            return [scope_required(WRITE_SCOPE)()]
        return [scope_required(*READ_SCOPES)()]

    @extend_schema(
        operation_id="promotions_list",
        tags=["marketing"],
        summary="List promotions",
        description="Promotions by id, 50 a page (cursor pagination, `page_size` up to 1000). Filters: "
        "`status` (live, upcoming, ended, draft), `kind`, `search` (in code and name). "
        "Scope `marketing:read` or `marketing:write`.",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(PROMOTION_STATUSES)),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=list(Promotion.Kind.values)),
            OpenApiParameter("search", OpenApiTypes.STR),
            OpenApiParameter("cursor", OpenApiTypes.STR),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="{next, previous, results}"),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Bad filter"),
        },
    )
    def get(self, request):
        params = request.query_params
        errors = {}
        state = params.get("status", "")
        if "status" in params and state not in PROMOTION_STATUSES:
            errors["status"] = [f"Choose one of: {', '.join(PROMOTION_STATUSES)}."]
        kind = params.get("kind", "")
        if "kind" in params and kind not in Promotion.Kind.values:
            errors["kind"] = [f"Choose one of: {', '.join(Promotion.Kind.values)}."]
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        qs = promotion_list(status=state, kind=kind, search=params.get("search", "").strip())
        paginator = PromotionPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([_promotion_out(p) for p in page])

    @extend_schema(
        operation_id="promotions_create",
        tags=["marketing"],
        summary="Create a promotion",
        description=PROMOTION_FIELDS + "\nRequires the scope `marketing:write`. 201 with the promotion.",
        request=OpenApiTypes.OBJECT,
        responses={
            201: OpenApiResponse(OpenApiTypes.OBJECT, description="The promotion, with warnings"),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Field errors"),
            409: OpenApiResponse(OpenApiTypes.OBJECT, description="The code is taken by another promotion"),
        },
        examples=[
            OpenApiExample("满199减20 满399减50", value=PROMOTION_EXAMPLE, request_only=True),
            OpenApiExample(
                "Field errors",
                value={"params.tiers[1].threshold": ['Enter an amount of money, e.g. "19.90".']},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request):
        body, error = json_object_body(request)
        if error is not None:
            return error
        cleaned, errors = promotion_clean(body)
        if errors:
            return _clean_error_response(errors, body)
        try:
            promotion = promotion_create(data=cleaned)
        except ValidationError as exc:
            return _save_error_response(exc)
        return Response(
            _promotion_out(promotion, warnings=warnings_for_draft(cleaned)), status=status.HTTP_201_CREATED
        )


class PromotionDetailView(ClientAPIView):
    """GET one promotion (marketing:read or marketing:write); PUT replaces it (marketing:write)."""

    required_scope = "marketing:read"
    parser_classes = [JSONParser]

    def get_permissions(self):
        if self.request.method == "PUT":
            return [scope_required(WRITE_SCOPE)()]
        return [scope_required(*READ_SCOPES)()]

    def _get(self, code):
        try:
            return promotion_get(code=code)
        except Promotion.DoesNotExist:
            return None

    @extend_schema(
        operation_id="promotions_get",
        tags=["marketing"],
        summary="Read a promotion",
        description="Scope `marketing:read` or `marketing:write`. 404 for an unknown code.",
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT), 404: OpenApiResponse(OpenApiTypes.OBJECT)},
    )
    def get(self, request, code):
        promotion = self._get(code)
        if promotion is None:
            return Response({"detail": "No promotion with this code."}, status=status.HTTP_404_NOT_FOUND)
        return Response(_promotion_out(promotion))

    @extend_schema(
        operation_id="promotions_update",
        tags=["marketing"],
        summary="Replace a promotion",
        description=PROMOTION_FIELDS
        + "\nThe whole promotion is sent (fields left out take their defaults). `code` may be left out "
        "(the URL's) or changed. `used` is kept; a used promotion's kind cannot change and its "
        "`usage_limit` cannot go below its uses. Requires the scope `marketing:write`.",
        request=OpenApiTypes.OBJECT,
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The promotion, with warnings"),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Field errors"),
            404: OpenApiResponse(OpenApiTypes.OBJECT),
            409: OpenApiResponse(OpenApiTypes.OBJECT, description="Another promotion has this code"),
        },
        examples=[OpenApiExample("满199减20 满399减50", value=PROMOTION_EXAMPLE, request_only=True)],
    )
    def put(self, request, code):
        promotion = self._get(code)
        if promotion is None:
            return Response({"detail": "No promotion with this code."}, status=status.HTTP_404_NOT_FOUND)
        body, error = json_object_body(request)
        if error is not None:
            return error
        body.setdefault("code", promotion.code)
        cleaned, errors = promotion_clean(body, promotion=promotion)
        if errors:
            return _clean_error_response(errors, body, promotion)
        try:
            promotion = promotion_update(promotion=promotion, data=cleaned)
        except ValidationError as exc:
            return _save_error_response(exc)
        return Response(_promotion_out(promotion, warnings=warnings_for_draft(cleaned)))
