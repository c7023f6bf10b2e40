"""The REST API's common parts: API-key authentication, scopes, per-client rate limits, the base view.

Clients (channel connectors, ERPs) send `Authorization: Api-Key <prefix>.<secret>`. Keys are ApiClient rows
(djangorestframework-api-key: only a hash is stored). Every client view names the one scope it needs:

    class SKUListView(ClientAPIView, generics.ListAPIView):
        required_scope = "catalog:read"

Answers: no key, a wrong, revoked or expired key → 401 with `WWW-Authenticate: Api-Key`; a key without the
scope → 403; over the client's own `rate_limit` → 429 with `Retry-After`. Every error is JSON
(`{"detail": "..."}`, or field errors for bad input).
"""

import math
import re
from datetime import timedelta
from decimal import Decimal

import msgspec
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from shopops.common.models import ApiClient

_JSON_DECODER = msgspec.json.Decoder(float_hook=Decimal)  # numbers with a fraction: exact Decimals

KEYWORD = "Api-Key"
SCOPE_NAMES = frozenset(code for code, _label in ApiClient.SCOPES)

# `<prefix>.<secret>` as djangorestframework-api-key generates them (8 + 32 letters and digits). Anything
# else is refused before it reaches the database.
_KEY_RE = re.compile(r"(?P<prefix>[A-Za-z0-9]{1,8})\.[A-Za-z0-9]{1,128}")

# last_used_at is written at most once per interval per key, not on every request.
LAST_USED_INTERVAL = timedelta(minutes=1)


# --- rate limits ---------------------------------------------------------------------------------------

_RATE_RE = re.compile(r"\s*(?P<num>\d+)\s*/\s*(?P<mult>\d*)\s*(?P<unit>[a-z]+)\s*")
_UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


def parse_rate(rate: str) -> tuple[int, int]:
    """`"600/min"` → (600, 60); `"20/s"`, `"1000/hour"`, `"100/5min"` and plurals are accepted too.

    Raises ValueError for anything else.
    """
    match = _RATE_RE.fullmatch((rate or "").lower())
    unit = match and match["unit"]
    if unit and unit not in _UNIT_SECONDS and unit.endswith("s"):
        unit = unit[:-1]
    if not match or unit not in _UNIT_SECONDS or match["mult"] == "0":
        raise ValueError(f"Not a rate: {rate!r}. Use requests/period, e.g. 600/min, 20/s, 10000/day.")
    return int(match["num"]), int(match["mult"] or 1) * _UNIT_SECONDS[unit]


# --- authentication ------------------------------------------------------------------------------------


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>` → (AnonymousUser, ApiClient); `request.auth` is the ApiClient.

    No `Api-Key` header at all → None (the permission then answers 401). A malformed, unknown, revoked or
    expired key → 401 straight away.
    """

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        keyword, _sep, key = header.strip().partition(" ")
        if keyword.lower() != KEYWORD.lower():
            return None
        key = key.strip()
        match = _KEY_RE.fullmatch(key)
        if not match:
            raise exceptions.AuthenticationFailed(
                "Invalid API key header: use 'Authorization: Api-Key <key>'."
            )
        client = ApiClient.objects.filter(prefix=match["prefix"]).first()
        if client is None or not client.is_valid(key):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        if client.revoked:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        if client.has_expired:
            raise exceptions.AuthenticationFailed("This API key has expired.")
        self._touch(client)
        return AnonymousUser(), client

    def authenticate_header(self, request):
        return KEYWORD

    @staticmethod
    def _touch(client: ApiClient) -> None:
        """Record use, at most once a minute per key: the row was just read, so no cache is needed."""
        now = timezone.now()
        if client.last_used_at is None or now - client.last_used_at >= LAST_USED_INTERVAL:
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
            client.last_used_at = now


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """The Api-Key security scheme in the OpenAPI schema (and the Authorize button in Swagger UI)."""

    target_class = ApiKeyAuthentication
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": f"{KEYWORD} <key>",
        }


# --- scopes --------------------------------------------------------------------------------------------


def scope_required(*scopes: str) -> type[BasePermission]:
    """A permission class: the request's ApiClient must hold one of `scopes` (each one of ApiClient.SCOPES):
    `scope_required("service:read", "service:write")` lets a connector that pushes read back too."""
    if not scopes:
        raise ValueError("Name at least one scope.")
    for scope in scopes:
        if scope not in SCOPE_NAMES:
            raise ValueError(f"Unknown scope {scope!r}; known: {', '.join(sorted(SCOPE_NAMES))}.")
    first, *others = scopes
    alternatives = "".join(f" (or {other!r})" for other in others)

    class ScopeRequired(BasePermission):
        message = f"This API key lacks the scope {first!r}{alternatives}."
        required_scope = first

        def has_permission(self, request, view):
            client = request.auth
            return (
                isinstance(client, ApiClient)
                and isinstance(client.scopes, list)
                and any(scope in client.scopes for scope in scopes)
            )

    name = "_or_".join(scope.replace(":", "_") for scope in scopes)
    ScopeRequired.__name__ = ScopeRequired.__qualname__ = f"ScopeRequired_{name}"
    return ScopeRequired


def json_object_body(request) -> tuple[dict | None, Response | None]:
    """The request's JSON object, numbers with a fraction as exact Decimals; or a 400 Response for
    malformed JSON or anything but an object. Returns (body, None) or (None, response)."""
    try:
        body = _JSON_DECODER.decode(request.body)
    except msgspec.DecodeError as exc:
        return None, Response({"detail": f"Malformed JSON: {exc}"}, status=status.HTTP_400_BAD_REQUEST)
    if not isinstance(body, dict):
        return None, Response(
            {"non_field_errors": ["Expected a JSON object."]}, status=status.HTTP_400_BAD_REQUEST
        )
    return body, None


def validation_error_response(error: ValidationError) -> Response:
    """A service's ValidationError as an HTTP 400: field -> messages, or non_field_errors."""
    detail = error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
    return Response(detail, status=status.HTTP_400_BAD_REQUEST)


# --- throttling ----------------------------------------------------------------------------------------


class ApiClientThrottle(SimpleRateThrottle):
    """Each ApiClient's own `rate_limit` ("600/min"), counted per client in the Django cache.

    The cache must be shared by every process (Redis in production): a per-process cache multiplies the
    limit by the number of workers.
    """

    scope = "api_client"
    default_rate = "600/min"

    def __init__(self):
        # The rate is the client's, known only once the request is authenticated (allow_request).
        self.rate = None
        self.num_requests = self.duration = None

    def allow_request(self, request, view):
        client = request.auth
        if not isinstance(client, ApiClient):
            return True
        try:
            self.num_requests, self.duration = parse_rate(client.rate_limit)
        except ValueError:
            self.num_requests, self.duration = parse_rate(self.default_rate)
        self.rate = client.rate_limit
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}

    def wait(self):
        """Seconds until a request would be allowed again (at least 1, so Retry-After is always sent).

        DRF's own wait() gives None once the history is longer than the limit (after the limit was
        lowered); here it is the time until enough of the history has expired.
        """
        if len(self.history) < self.num_requests:
            return 1
        if self.num_requests == 0 or not self.history:
            return self.duration
        expires_at = self.history[self.num_requests - 1] + self.duration
        return max(1, math.ceil(expires_at - self.now))


# --- documented error answers (drf-spectacular) --------------------------------------------------------

_ErrorSerializer = inline_serializer(name="Error", fields={"detail": serializers.CharField()})


def _error(description: str, detail: str) -> OpenApiResponse:
    return OpenApiResponse(
        response=_ErrorSerializer,
        description=description,
        examples=[OpenApiExample(description, value={"detail": detail}, response_only=True)],
    )


class ClientAutoSchema(AutoSchema):
    """Adds the answers every ClientAPIView can give to each operation: 401, 403 (with the view's scope)
    and 429 with its Retry-After header, unless the view documents that status itself."""

    def get_override_parameters(self):
        return [
            *super().get_override_parameters(),
            OpenApiParameter(
                "Retry-After",
                OpenApiTypes.INT,
                location=OpenApiParameter.HEADER,
                response=[429],
                description="Seconds to wait before the next request.",
            ),
        ]

    def _get_parameters(self):
        # page_size is 1 to the paginator's maximum (ClientCursorPagination answers 400 otherwise): say so,
        # whichever way the view declared the parameter.
        parameters = super()._get_parameters()
        maximum = getattr(getattr(self.view, "pagination_class", None), "max_page_size", None) or 1000
        for parameter in parameters:
            if parameter.get("in") == "query" and parameter.get("name") == "page_size":
                parameter["schema"] = {**parameter.get("schema", {}), "type": "integer", "minimum": 1}
                parameter["schema"]["maximum"] = maximum
        return parameters

    def _get_request_body(self, direction="request"):
        # A bulk view that checks its items one by one (`items_checked_one_by_one = ("orders",)`) answers 200
        # with a malformed item among the `rejected` ones: the request is well formed whatever the items
        # are, so the schema says each item is the documented object or, failing that, is reported back.
        body = super()._get_request_body(direction)
        names = getattr(self.view, "items_checked_one_by_one", ())
        for media in (body or {}).get("content", {}).values() if names else ():
            ref = media.get("schema", {}).get("$ref", "")
            component = self.registry._components.get((ref.rpartition("/")[2], "schemas"))
            properties = (component.schema or {}).get("properties", {}) if component else {}
            for name in names:
                array = properties.get(name, {})
                array.setdefault("minItems", 1)  # an empty list is a 400
                items = array.get("items")
                if isinstance(items, dict) and "anyOf" not in items:
                    array["items"] = {
                        "anyOf": [items, {}],
                        "description": "Each item is checked on its own: one that does not fit is not "
                        "applied and comes back in `rejected` with its errors.",
                    }
        return body

    def _get_response_bodies(self, direction="response"):
        # drf-spectacular has no public hook that adds status codes to those a view declares.
        responses = super()._get_response_bodies(direction)
        scope = getattr(self.view, "required_scope", "") or "<scope>"
        errors = {
            "400": OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="Invalid input: each field with its messages, `non_field_errors`, or `detail`",
                examples=[
                    OpenApiExample(
                        "Invalid input",
                        value={"page_size": ["A whole number from 1 to 1000."]},
                        response_only=True,
                    )
                ],
            ),
            "401": _error("Missing, invalid, revoked or expired API key", "Invalid API key."),
            "403": _error(
                f"The API key lacks the scope `{scope}`", f"This API key lacks the scope {scope!r}."
            ),
            "429": _error(
                "Over the client's rate limit: retry after the seconds in the Retry-After header",
                "Request was throttled. Expected available in 12 seconds.",
            ),
        }
        if "{" in self.path or any(p.get("name") == "cursor" for p in self._get_parameters()):
            errors["404"] = _error("No such object, or an unknown page cursor", "Not found.")
        for code, response in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses


# --- the base view -------------------------------------------------------------------------------------


class ClientAPIView(APIView):
    """Base of every API view for key-holding clients: Api-Key auth, one scope, the client's rate limit.

    Subclasses set `required_scope`. Answers are JSON only (no browsable HTML API). `as_view()` is exempt
    from LoginRequiredMiddleware (clients have no session) and from CSRF (APIView already is).
    """

    required_scope: str = ""
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = []  # set from required_scope in __init_subclass__
    throttle_classes = [ApiClientThrottle]
    renderer_classes = [JSONRenderer]
    # Bodies are JSON: the schema lists only application/json (a form post is a 415, not a puzzle).
    parser_classes = [JSONParser]
    # No OPTIONS metadata (undocumented; DRF's would call get_object() on list views and fail): 405.
    metadata_class = None
    schema = ClientAutoSchema()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.required_scope and "permission_classes" not in cls.__dict__:
            cls.permission_classes = [scope_required(cls.required_scope)]

    @classmethod
    def as_view(cls, **initkwargs):
        if not cls.required_scope:
            raise TypeError(f"{cls.__name__} must set required_scope (one of ApiClient.SCOPES).")
        return login_not_required(super().as_view(**initkwargs))


class ClientCursorPagination(CursorPagination):
    """Cursor pagination by id: stable while rows are added, so a client can walk the whole list.

    `page_size` is 1 to max_page_size: anything else is a 400 (DRF would quietly use the default). The
    schema says so (ClientAutoSchema); an unknown cursor is a 404, as in DRF.
    """

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request):
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        value = values[-1].strip()
        well_formed = len(values) == 1 and value.isascii() and value.isdigit()
        if not well_formed or not 1 <= int(value) <= self.max_page_size:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return int(value)

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["next"]["example"] = "https://shopops.example.com/api/v1/...?cursor=cD0xMDA%3D"
        response["properties"]["previous"]["example"] = None
        return response


# A required text field that must hold more than spaces (DRF trims, then refuses a blank value); as a
# validator it is also the schema's `pattern`.
NOT_BLANK = RegexValidator(r"\S", "This field may not be blank.")

# The schema pattern of a text query parameter that DRF's CharField reads: it refuses a NUL character.
NO_NUL = r"^[^\u0000]*$"


def values_from_query(request, name: str) -> list[str]:
    """`?x=a&x=b,c` → ["a", "b", "c"]: a query parameter given repeatedly, comma-separated, or both."""
    return [
        part.strip()
        for value in request.query_params.getlist(name)
        for part in value.split(",")
        if part.strip()
    ]


class QueryDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time from a query string, forgiving a `+` offset that arrived as a space.

    An unencoded `+` in a URL is read as a space (`2025-06-01T08:00:00 08:00`).
    """

    def to_internal_value(self, value):
        if isinstance(value, str):
            value = re.sub(r"(T\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d(?::?\d\d)?)$", r"\1+\2", value.strip())
        return super().to_internal_value(value)


# --- channels ------------------------------------------------------------------------------------------


def channel_codes() -> set[str]:
    """The codes of the shop's active sales channels, for validating `?channel=` in any app's API.

    Channels belong to orders, which sits above catalog and inventory: they must not import it. The
    composition root names the selector instead, in settings.SHOPOPS_CHANNEL_LIST_SELECTOR (a callable
    returning the active channels, objects with a `code`).
    """
    from shopops.common.channels import channel_list

    return {channel.code for channel in channel_list()}


def api_exception_handler(exc, context):
    """DRF's handler, plus: an unexpected error answers JSON (logged with its traceback), not HTML."""
    import logging

    from rest_framework.views import exception_handler

    response = exception_handler(exc, context)
    if response is None:
        logging.getLogger("shopops.api").exception("Unhandled error in %s", context.get("view"))
        return Response({"detail": "Server error. It has been logged; please retry later."}, status=500)
    return response


def not_found(request, exception=None):
    """handler404: under /api/ a JSON answer like every other API error (a path parameter that does not fit
    the URL pattern never reaches a view); elsewhere the normal page."""
    from django.http import JsonResponse
    from django.views import defaults

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


# --- strict JSON input -----------------------------------------------------------------------------------


def _json_type_error(field, value) -> str | None:
    """What is wrong with `value`'s JSON type for `field` (None when it fits). DRF coerces (a number into a
    CharField, "3" into an IntegerField, "yes" into a BooleanField); the schema promises JSON types."""
    if value is None:
        return None
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Expected true or false."
    if isinstance(field, serializers.IntegerField):
        return None if isinstance(value, int) and not isinstance(value, bool) else "Expected a whole number."
    if isinstance(field, serializers.ChoiceField | serializers.CharField | serializers.DecimalField):
        return None if isinstance(value, str) else "Expected a string."
    if isinstance(field, serializers.DateTimeField | serializers.DateField):
        return None if isinstance(value, str) else "Expected a string."
    if isinstance(field, serializers.ListField | serializers.ListSerializer):
        return None if isinstance(value, list) else "Expected a list."
    if isinstance(field, serializers.Serializer):
        return None if isinstance(value, dict) else "Expected a JSON object."
    return None


class JSONInputSerializer(serializers.Serializer):
    """An input serializer for a JSON body that takes JSON types as the schema states them: a string field
    refuses a number, a number field a string, a boolean field anything but true/false. Nested serializers
    should derive from it too."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {}
            for name, field in self.fields.items():
                if field.read_only or name not in data:
                    continue
                value = data.get(name)
                message = _json_type_error(field, value)
                if message is None and isinstance(field, serializers.ListField) and isinstance(value, list):
                    child_errors = {
                        index: [error]
                        for index, item in enumerate(value)
                        if (error := _json_type_error(field.child, item)) is not None
                    }
                    if child_errors:
                        errors[name] = child_errors
                        continue
                if message is not None:
                    errors[name] = [message]
            if errors:
                raise exceptions.ValidationError(errors)
        return super().to_internal_value(data)


def query_bool(request, name: str) -> bool | None:
    """A boolean query parameter: true/false (or 1/0); None when absent. Anything else, or the parameter
    given twice, is a 400 (the schema says boolean)."""
    values = request.query_params.getlist(name)
    if not values:
        return None
    flag = values[-1].strip().lower()
    if len(values) > 1 or flag not in ("true", "false", "1", "0"):
        raise exceptions.ValidationError({name: ["Use true or false."]})
    return flag in ("true", "1")


def as_utc(value):
    """An aware date-time from a client in UTC (a naive one as it is): PostgreSQL refuses an offset beyond
    ±15:59 that ISO 8601 allows (+22:28), and a moment that falls before year 1 or after 9999 in UTC is
    taken as the first or last one."""
    from datetime import UTC, datetime

    if value is None or value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return (datetime.min if value.year < 5000 else datetime.max).replace(tzinfo=UTC)
