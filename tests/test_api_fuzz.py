"""API fuzzing: schemathesis against the served OpenAPI schema (/api/v1/schema/), in-process through WSGI.

Every operation of the schema gets the examples phase (the schema's own request examples), the coverage phase
(boundary and missing-field cases) and 100 fuzzed examples in both modes (schema-valid and schema-violating
data), each answer checked by every default check of schemathesis 4 (not_a_server_error,
status_code_conformance, content_type_conformance, response_headers_conformance,
response_schema_conformance, positive_data_acceptance, negative_data_rejection, missing_required_header,
unsupported_method, ignored_auth, use_after_free, ensure_resource_availability, ...). A stateful run then
chains operations along the links schemathesis infers from the schema (a created ticket read back, a message
added to it; a promotion created then read and updated).

The API key holds every scope and a rate limit no run reaches. Each operation runs in its own test
transaction on a small seeded shop whose codes are the ones the schema's examples name (channel tmall,
SKU-0001, campaign D11-2026, order T20261101001, ...), and schema-valid requests draw references (channel,
SKU, warehouse, order, campaign codes) from that shop: a reference to something that does not exist is a
business rejection, not what the positive-data check is about. Schema-violating requests are generated freely.

Reproducible: hypothesis is derandomized (the same examples on every run), no deadline (the machine is
shared), and the whole file stays within about 4 minutes on 2 cores.
"""

import os
import re
import zlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory
from inventory.services import stock_receive
from inventory.tests.factories import WarehouseFactory
from orders.models import Channel, Order
from orders.tests.factories import ChannelFactory, CustomerFactory, order_with_lines
from shopops.common.models import ApiClient

# FUZZ_MAX_EXAMPLES lowers it for a quick local look; CI runs the default.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "100"))

CHANNELS = ["tmall", "jd", "douyin", "own_store"]
SKUS = ["SKU-0001", "SKU-0002", "SKU-0003"]
ORDERS = ["T20261101001", "TB20261118001"]
CUSTOMERS = ["C1", "C881", "tb_8812"]
WAREHOUSES = ["WH-EAST"]
CAMPAIGNS = ["D11-2026"]
PROMOTIONS = ["FUZZ-PROMO", "D11-FLASH"]
SUPPLIERS = ["SUP-1"]

# Schema-valid requests take these references from the seeded shop; schema-violating ones are left alone
# (a dictionary entry is used only in the mode whose schema it fits).
CONFIG = schemathesis.Config.from_dict(
    {
        "dictionaries": {
            "channels": {"values": CHANNELS},
            "skus": {"values": SKUS},
            "orders": {"values": ORDERS},
            "customers": {"values": CUSTOMERS},
            "warehouses": {"values": WAREHOUSES},
            "campaigns": {"values": CAMPAIGNS},
            "promotions": {"values": PROMOTIONS},
        },
        "parameters": {
            "query.channel": {"dictionary": "channels"},
            "query.sku": {"dictionary": "skus"},
            "query.warehouse": {"dictionary": "warehouses"},
            "path.channel": {"dictionary": "channels", "probability": 0.7},
            "path.external_id": {"dictionary": "orders", "probability": 0.7},
            "path.code": {"dictionary": "promotions", "probability": 0.7},
            "body.channel": {"dictionary": "channels"},
            "body.sku": {"dictionary": "skus"},
            "body.customer.channel": {"dictionary": "channels"},
            "body.customer.external_id": {"dictionary": "customers"},
            "body.order.channel": {"dictionary": "channels"},
            "body.order.external_id": {"dictionary": "orders"},
            "body.lines[*].sku": {"dictionary": "skus"},
            "body.rows[*].campaign": {"dictionary": "campaigns"},
            "body.rows[*].channel": {"dictionary": "channels"},
            "body.prices[*].sku": {"dictionary": "skus"},
            "body.prices[*].channel": {"dictionary": "channels"},
            "body.orders[*].lines[*].sku": {"dictionary": "skus"},
        },
    }
)

APP = WSGIHandler()
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", APP, config=CONFIG)

# One key for the whole module, made before collection (the examples phase builds its requests then); each
# test stores it for its own ApiClient row.
KEY, KEY_PREFIX, KEY_HASH = ApiClient.objects.key_generator.generate()


@schema.auth()
class ApiKeyAuth:
    """The key on every request. Registered as schemathesis auth, so that its checks know the credentials
    are real (ignored_auth then probes with none and with a wrong one, expecting 401)."""

    def get(self, case, context):
        return KEY

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Api-Key {data}"}


def _positive(case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


# Rules the schema cannot state, applied to schema-valid requests only (coverage, fuzzing and stateful
# phases; the examples phase sends the schema's examples as they are):
# - references name objects of the seeded shop (an unknown code is a business refusal: 400 with its reason);
# - cross-field rules: a period ends after it starts; a ticket has a subject or a message.
_QUERY_REFERENCES = {"channel": CHANNELS, "warehouse": WAREHOUSES, "supplier": SUPPLIERS}
_BODY_REFERENCES = {
    "channel": CHANNELS,
    "sku": SKUS,
    "campaign": CAMPAIGNS,
}


def _known(value, choices):
    return value if value in choices else choices[zlib.crc32(str(value).encode()) % len(choices)]


def _fix_body(body, path: str):
    if isinstance(body, list):
        return [_fix_body(item, path) for item in body]
    if not isinstance(body, dict):
        return body
    fixed = {}
    for key, value in body.items():
        if key in _BODY_REFERENCES and isinstance(value, str) and value:
            value = _known(value, _BODY_REFERENCES[key])
        elif key in ("customer", "order") and isinstance(value, dict):
            value = {**value}
            if isinstance(value.get("channel"), str):
                value["channel"] = "tmall"
            if isinstance(value.get("external_id"), str):
                known = CUSTOMERS if key == "customer" else ORDERS
                value["external_id"] = _known(value["external_id"], known)
        elif isinstance(value, list | dict):
            value = _fix_body(value, path)
        fixed[key] = value
    if path.startswith("/api/v1/flash-sales/") and "sku" in fixed:
        fixed["sku"] = SKUS[0]  # the flash sale's SKU
    if path == "/api/v1/tickets" and not str(fixed.get("subject", "")).strip():
        fixed["subject"] = "Fuzz"
    return fixed


@schema.hook
def map_case(context, case):
    if not _positive(case):
        return case
    if case.query:
        query = dict(case.query)
        for name, choices in _QUERY_REFERENCES.items():
            enum_channel = name == "channel" and case.path == "/api/v1/tickets"  # an enum there
            if isinstance(query.get(name), str) and not enum_channel:
                query[name] = _known(query[name], choices)
        if isinstance(query.get("sku"), str):
            query["sku"] = _known(query["sku"], SKUS)
        if case.path == "/api/v1/reports/kpis" and query.get("start") and query.get("end"):
            start, end = sorted(date.fromisoformat(query[name]) for name in ("start", "end"))
            # After the start, and at most a year later (the API caps a series' length per granularity).
            end = min(max(end, start + timedelta(days=1)), start + timedelta(days=366))
            query["start"], query["end"] = start.isoformat(), end.isoformat()
        case.query = query
    if case.body is not None and not isinstance(case.body, bytes | str):
        case.body = _fix_body(case.body, case.path)
    return case


FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    # The seeded shop and the key are per operation (one test transaction), shared by its examples on
    # purpose: hypothesis would otherwise warn that a function-scoped fixture is not reset between them.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def shop_seed() -> None:
    """The shop the schema's examples talk about."""
    for code in CHANNELS:
        ChannelFactory(code=code, name=code)
    category = CategoryFactory(code="oral-care", name="Oral care")
    product = ProductFactory(category=category)
    skus = [SKUFactory(code=code, product=product) for code in SKUS]
    warehouse = WarehouseFactory(code=WAREHOUSES[0], name="East")
    for sku in skus:
        stock_receive(sku_id=sku.pk, warehouse=warehouse, quantity=500, reference="fuzz seed")
    tmall = Channel.objects.get(code="tmall")
    customers = {code: CustomerFactory(channel=tmall, external_id=code) for code in CUSTOMERS}
    delivered = timezone.now() - timedelta(days=2)
    for external_id in ORDERS:
        order_with_lines(
            channel=tmall,
            customer=customers["C1"],
            external_id=external_id,
            status=Order.Status.DELIVERED,
            placed_at=delivered - timedelta(days=2),
            shipped_at=delivered - timedelta(days=1),
            delivered_at=delivered,
            lines=[(sku, 2, Decimal("99.00"), Decimal("0.00")) for sku in skus],
        )
    _marketing_seed(skus)
    from inventory.models import Supplier

    Supplier.objects.create(code=SUPPLIERS[0], name="Supplier 1")


def _marketing_seed(skus) -> None:
    from marketing.models import Campaign, Promotion
    from marketing.services import flash

    today = timezone.localdate()
    Campaign.objects.create(
        code=CAMPAIGNS[0],
        name="Double 11",
        kind=Campaign.Kind.values[0],
        channel=Channel.objects.get(code="douyin"),
        starts_on=date(2026, 10, 20),
        ends_on=date(2026, 11, 12),
    )
    now = timezone.now()
    Promotion.objects.create(
        code="FUZZ-PROMO",
        name="10% off",
        kind=Promotion.Kind.PERCENT_OFF,
        params={"percent": "10"},
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=30),
    )
    sale = Promotion.objects.create(
        code="D11-FLASH",
        name="秒杀",
        kind=Promotion.Kind.FLASH_SALE,
        params={"sku": skus[0].code, "price": "59.9", "quantity": 1000, "per_customer": 1000},
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1 + (today.day % 2)),
    )
    flash.flash_pool_sync(promotion=sale)


@pytest.fixture(autouse=True, scope="module")
def _keep_the_test_connection():
    """Requests go through the real WSGI handler, whose request_started/finished signals close the database
    connection (close_old_connections) - and with it the test's transaction. Django's test client
    disconnects them around each request; here they stay disconnected for the module."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def api_key(db):
    shop_seed()
    cache.clear()  # rate-limit counters of an earlier test
    scopes = [code for code, _label in ApiClient.SCOPES]
    client = ApiClient(name="fuzz", scopes=scopes, rate_limit="1000000/min")
    client.id, client.prefix, client.hashed_key = f"{KEY_PREFIX}.{KEY_HASH}", KEY_PREFIX, KEY_HASH
    client.save()
    return KEY


# Operations whose schema-valid requests can still be refused with a 400 for a business rule the schema
# cannot state, with why. For them (only) the positive_data_acceptance check is left out; every other
# check runs, server errors and response schema included. Each one is a piece of work left (see the note).
POSITIVE_DATA_GAPS = {
    "POST /api/v1/ad-metrics": "the request body is documented as any object; rows are all-or-nothing",
    "POST /api/v1/feedback": "the request body (an item or {items}) is documented as any object",
    "POST /api/v1/promotions": "the request body (params per kind) is documented as any object",
    "PUT /api/v1/promotions/{code}": "the request body (params per kind) is documented as any object",
    "POST /api/v1/returns": "units already returned, the 7-day window and exempt SKUs answer 400",
}


def _operation_test(label: str):
    """The fuzz test of one operation: every phase (examples, coverage, fuzzing), every default check."""

    @schema.include(name=label).parametrize()
    @FUZZ_SETTINGS
    def test(case, api_key):
        excluded = [positive_data_acceptance] if case.operation.label in POSITIVE_DATA_GAPS else []
        case.call_and_validate(excluded_checks=excluded)

    test.__doc__ = f"Fuzz {label}."
    return test


# One test function per operation, named after it (test_api_operation__post_api_v1_orders_sync, ...). A single
# `schema.parametrize()` test runs its operations as sub-tests, and under pytest-xdist (how `uv run pytest`
# runs) only the first of them ran; one operation per test runs them all, in any runner.
OPERATION_LABELS = sorted(result.ok().label for result in schema.get_all_operations())
for _label in OPERATION_LABELS:
    _slug = re.sub(r"[^a-z0-9]+", "_", _label.lower()).strip("_")
    globals()[f"test_api_operation__{_slug}"] = _operation_test(_label)


def test_every_operation_has_its_fuzz_test():
    names = {name for name in globals() if name.startswith("test_api_operation__")}
    assert len(names) == len(OPERATION_LABELS) > 20


def test_api_stateful(api_key):
    """Chains of calls along the schema's links (created objects read back and changed)."""
    Workflow = schema.as_state_machine()
    Workflow.run(
        settings=settings(
            max_examples=30,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
    )
