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
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.pagination import CursorPagination
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

    def _get_response_bodies(self, direction="response"):
        # drf-spectacular has no public hook that adds status codes to those a view declares.
        responses = super()._get_response_bodies(direction)
        scope = getattr(self.view, "required_scope", "") or "<scope>"
        errors = {
            "401": _error("Missing, invalid, revoked or expired API key", "Invalid API key."),
            "403": _error(
                f"The API key lacks the scope `{scope}`", f"This API key lacks the scope {scope!r}."
            ),
            "429": _error(
                "Over the client's rate limit: retry after the seconds in the Retry-After header",
                "Request was throttled. Expected available in 12 seconds.",
            ),
        }
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
    """Cursor pagination by id: stable while rows are added, so a client can walk the whole list."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["next"]["example"] = "https://shopops.example.com/api/v1/...?cursor=cD0xMDA%3D"
        response["properties"]["previous"]["example"] = None
        return response


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
