"""Personal data: encrypted at rest with keyed hashes for exact search, key rotation, and masked for the
roles (and API keys) that do not need it — in pages, exports and API responses."""

import copy
import csv
import io
import json
import shutil
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from django.core.cache import cache
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from conftest import pg_dump_text, require
from inventory import services as stock
from inventory.tests.factories import WarehouseFactory
from orders import selectors
from orders.api.views import SYNC_EXAMPLE
from orders.models import Customer, Order
from orders.schemas import order_parse
from orders.services import order_sync
from orders.tests.factories import ChannelFactory
from shopops.common import pii, roles
from shopops.common.models import ApiClient

PEOPLE = [
    # external id, name, phone, email, address
    ("C-PII-1", "王芳", "13912345678", "wang.fang@example.com", "上海市浦东新区世纪大道100号8楼"),
    ("C-PII-2", "李雷", "15887654321", "li.lei@example.net", "江苏省南京市鼓楼区中山路321号"),
    ("C-PII-3", "Alice Smith", "18611112222", "alice@example.org", "浙江省杭州市西湖区文三路77号"),
]


@pytest.fixture(autouse=True)
def _clear_throttles():
    cache.clear()


def _seed():
    ChannelFactory(code="tmall", name="Tmall")
    east = WarehouseFactory(code="east", provinces_served=["上海"])
    sku = SKUFactory(code="SKU-0001", unit_cost=Decimal("50.00"))
    stock.stock_receive(sku_id=sku.pk, warehouse=east, quantity=100, reference="opening")
    orders = []
    for n, (external_id, name, phone, email, address) in enumerate(PEOPLE):
        data = copy.deepcopy(SYNC_EXAMPLE["orders"][0])
        data.update(
            external_id=f"T-PII-{n}",
            customer={
                "external_id": external_id,
                "name": name,
                "phone": phone,
                "email": email,
                "province": "上海",
            },
            city="上海",
            address=address,
        )
        parsed, errors = order_parse(data)
        assert errors is None
        orders.append(parsed)
    result = order_sync(channel_code="tmall", orders=orders, source="api")
    assert result.created == len(PEOPLE) and not result.rejected


def _raw(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


@pytest.mark.django_db
def test_stored_encrypted_read_in_clear_and_found_exactly_through_the_hash():
    _seed()
    for external_id, name, phone, email, address in PEOPLE:
        customer = Customer.objects.get(external_id=external_id)
        assert (customer.name, customer.phone, customer.email) == (name, phone, email)
        assert customer.orders.get().address == address
    stored = _raw("SELECT name, phone, email, phone_hash FROM orders_customer ORDER BY external_id")
    stored += [row + ("", "") for row in _raw("SELECT address FROM orders_order")]
    text = json.dumps(stored, ensure_ascii=False)
    for _external_id, name, phone, email, address in PEOPLE:
        for value in (name, phone, email, address):
            assert value not in text
    assert all(pii.is_token(row[0]) for row in stored)

    # Exact search through the hashes: a phone with separators, an email in another case, a whole name.
    def found(search):
        return sorted(o.external_id for o in selectors.order_list(search=search))

    assert found("139-1234 5678") == ["T-PII-0"]
    assert found("LI.LEI@EXAMPLE.NET") == ["T-PII-1"]
    assert found("alice  smith") == ["T-PII-2"]
    assert found("1391234") == []  # part of a phone: no LIKE on ciphertext
    with pytest.raises(FieldError):
        list(Customer.objects.filter(phone__contains="1391234"))
    with pytest.raises(FieldError):
        list(Customer.objects.filter(phone="13912345678"))
    assert Customer.objects.filter(phone_hash=pii.pii_hash("phone", "13912345678")).count() == 1

    # A changed phone through the sync: new ciphertext and a new hash; the old number no longer matches.
    data = copy.deepcopy(SYNC_EXAMPLE["orders"][0])
    data.update(
        external_id="T-PII-9",
        customer={"external_id": "C-PII-1", "name": "王芳", "phone": "13900000001", "province": "上海"},
    )
    order_sync(channel_code="tmall", orders=[order_parse(data)[0]], source="api")
    assert Customer.objects.get(external_id="C-PII-1").phone == "13900000001"
    assert found("13912345678") == []
    assert found("13900000001") == ["T-PII-0", "T-PII-9"]


@pytest.mark.django_db
def test_model_saves_keep_the_hashes_in_step():
    channel = ChannelFactory()
    customer = Customer.objects.create(channel=channel, external_id="X1", phone="138 0000 1111")
    assert customer.phone_hash == pii.pii_hash("phone", "13800001111") != ""
    customer.phone = "13800002222"
    customer.save(update_fields=["phone"])
    assert Customer.objects.get(pk=customer.pk).phone_hash == pii.pii_hash("phone", "13800002222")
    assert Customer.objects.get(pk=customer.pk).phone == "13800002222"


OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def _key_of(value: str) -> str:
    for key in (OLD_KEY, NEW_KEY):
        try:
            Fernet(key.encode()).decrypt(value.encode())
        except Exception:  # noqa: BLE001, S112 (InvalidToken: try the next key)
            continue
        return key
    return ""


@pytest.mark.django_db
def test_key_rotation_old_key_decrypts_new_data_uses_the_new_key_and_the_command_reencrypts():
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        _seed()
        old_phones = dict(_raw("SELECT external_id, phone FROM orders_customer"))
        assert {_key_of(v) for v in old_phones.values()} == {OLD_KEY}
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        # The old key still decrypts; new data is encrypted with the first (new) key.
        assert Customer.objects.get(external_id="C-PII-1").phone == "13912345678"
        Customer.objects.create(channel=ChannelFactory(), external_id="C-NEW", phone="13500000000")
        assert _key_of(dict(_raw("SELECT external_id, phone FROM orders_customer"))["C-NEW"]) == NEW_KEY
        out = io.StringIO()
        call_command("rotate_pii_keys", "--batch", "2", stdout=out)
        assert "orders.Customer: 4 rows, 9 values re-encrypted, 0 hashes rewritten" in out.getvalue()
        assert "orders.Order: 3 rows, 3 values re-encrypted, 0 hashes rewritten" in out.getvalue()
        stored = _raw("SELECT name, phone, email FROM orders_customer") + _raw(
            "SELECT address FROM orders_order"
        )
        assert {_key_of(v) for row in stored for v in row if v} == {NEW_KEY}
        call_command("rotate_pii_keys", stdout=(again := io.StringIO()))
        assert "orders.Customer: 4 rows, 0 values re-encrypted, 0 hashes rewritten" in again.getvalue()
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):  # the old key is gone: everything still reads
        assert [c.phone for c in Customer.objects.order_by("external_id")] == [
            "13500000000",
            "13912345678",
            "15887654321",
            "18611112222",
        ]
        assert Order.objects.get(external_id="T-PII-1").address == PEOPLE[1][4]
        with override_settings(PII_HASH_KEY="a-new-hash-key"):  # a new hash key: the command rewrites hashes
            assert list(selectors.order_list(search="15887654321")) == []
            call_command("rotate_pii_keys", stdout=(rehash := io.StringIO()))
            assert "orders.Customer: 4 rows, 0 values re-encrypted, 10 hashes rewritten" in rehash.getvalue()
            assert "orders.Order: 3 rows, 0 values re-encrypted, 3 hashes rewritten" in rehash.getvalue()
            assert [o.external_id for o in selectors.order_list(search="15887654321")] == ["T-PII-1"]
    # Without the key that encrypted the data the command refuses rather than encrypt ciphertext.
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]), pytest.raises(ImproperlyConfigured):
        call_command("rotate_pii_keys", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_pg_dump_of_the_database_holds_no_seeded_phone_email_or_address():
    require(connection.vendor == "postgresql", "pg_dump needs PostgreSQL: set DATABASE_URL")
    require(shutil.which("pg_dump") is not None, "pg_dump is not installed")
    _seed()
    dump = pg_dump_text(timeout=120)
    assert "COPY public.orders_customer" in dump and "T-PII-0" in dump  # the rows are in the dump
    for _external_id, _name, phone, email, address in PEOPLE:
        assert phone not in dump
        assert email not in dump
        assert address not in dump
    # … and the application reads them back in clear.
    for n, (external_id, _name, phone, email, address) in enumerate(PEOPLE):
        order = selectors.order_get(pk=Order.objects.get(external_id=f"T-PII-{n}").pk)
        assert (order.customer.external_id, order.customer.phone, order.customer.email) == (
            external_id,
            phone,
            email,
        )
        assert order.address == address


# --- masking: pages, exports, API responses ----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [roles.OPERATIONS, roles.SERVICE_AGENT, roles.ADMIN, roles.FINANCE, roles.MANAGER]
)
def test_order_page_and_customer_page_unmasked_only_for_personal_data_roles(client_for, role):
    _seed()
    order = Order.objects.get(external_id="T-PII-0")
    client = client_for(role)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    customer = client.get(f"/orders/customers/{order.customer_id}/").content.decode()
    if role in (roles.OPERATIONS, roles.SERVICE_AGENT, roles.ADMIN):
        assert "13912345678" in page and PEOPLE[0][4] in page
        assert "13912345678" in customer and "wang.fang@example.com" in customer
    else:
        assert "13912345678" not in page and PEOPLE[0][4] not in page
        assert "139****5678" in page and "上海市浦东新****" in page
        assert "13912345678" not in customer and "wang.fang@example.com" not in customer
        assert "139****5678" in customer and "w********@example.com" in customer


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.SERVICE_AGENT, roles.MANAGER])
def test_order_export_unmasked_only_for_personal_data_roles(client_for, role):
    _seed()
    response = client_for(role).get("/orders/?export=csv")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    phones = sorted(row[5] for row in rows[1:])
    if role == roles.SERVICE_AGENT:
        assert phones == ["13912345678", "15887654321", "18611112222"]
    else:
        assert phones == ["139****5678", "158****4321", "186****2222"]


@pytest.mark.django_db
def test_api_gives_personal_data_only_to_a_key_with_the_personal_read_scope(client):
    _seed()
    _, plain_key = ApiClient.objects.create_key(name="erp", scopes=["orders:read"])
    _, shipping_key = ApiClient.objects.create_key(name="shipper", scopes=["orders:read", "personal:read"])
    masked = client.get("/api/v1/orders/tmall/T-PII-0", HTTP_AUTHORIZATION=f"Api-Key {plain_key}").json()
    full = client.get("/api/v1/orders/tmall/T-PII-0", HTTP_AUTHORIZATION=f"Api-Key {shipping_key}").json()
    assert (masked["customer"]["phone"], masked["customer"]["email"], masked["address"]) == (
        "139****5678",
        "w********@example.com",
        "上海市浦东新****",
    )
    assert (full["customer"]["phone"], full["customer"]["email"], full["address"]) == (
        "13912345678",
        "wang.fang@example.com",
        PEOPLE[0][4],
    )
    listed = client.get("/api/v1/orders", HTTP_AUTHORIZATION=f"Api-Key {plain_key}").json()["results"]
    assert sorted(o["customer"]["phone"] for o in listed) == ["139****5678", "158****4321", "186****2222"]


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_rows_stored_in_clear_and_reverses():
    from django.db.migrations.executor import MigrationExecutor

    def migrate(target=None):
        """To an orders migration, or with no target to every app's latest (as the next tests expect)."""
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([("orders", target)] if target else executor.loader.graph.leaf_nodes())

    migrate("0007_order_facts")
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO orders_channel (code, name, kind, commission_rate, payment_fee_rate, "
                "settlement_days, currency, webhook_secret, active, created_at, updated_at) VALUES "
                "('tmall', 'Tmall', 'marketplace', 0, 0, 7, 'CNY', '', true, %s, %s) RETURNING id",
                [timezone.now(), timezone.now()],
            )
            channel_id = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO orders_customer (channel_id, external_id, name, phone, email, province, "
                "created_at, updated_at) VALUES (%s, 'C1', '王芳', '13912345678', 'W@Example.com', '上海', "
                "%s, %s)",
                [channel_id, timezone.now(), timezone.now()],
            )
        migrate("0010_personal_data_hash_indexes")
        ((name, phone, email, phone_hash, email_hash),) = _raw(
            "SELECT name, phone, email, phone_hash, email_hash FROM orders_customer"
        )
        assert all(pii.is_token(v) for v in (name, phone, email))
        assert (phone_hash, email_hash) == (
            pii.pii_hash("phone", "13912345678"),
            pii.pii_hash("email", "w@example.com"),
        )
        assert Customer.objects.get().email == "W@Example.com"
        migrate("0008_personal_data_encrypted")  # backwards: decrypted again, hashes cleared
        assert _raw("SELECT name, phone, email, phone_hash FROM orders_customer") == [
            ("王芳", "13912345678", "W@Example.com", "")
        ]
    finally:
        migrate()
