"""The audit trail: every category of change the issue names leaves an entry with the actor, an aware UTC
timestamp, and the values before and after (Decimal exactly), through the services, the bulk paths and the
pages; the browse page filters by object and by user and is for admin and manager only; the order sync
writes no entry."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from catalog.imports import CATALOG_COLUMNS, CATALOG_REQUIRED, catalog_import, table_read
from catalog.models import SKU, ChannelPrice, PriceChange, SKUCost
from catalog.services import PlannedPrice, prices_apply, sku_costs_set
from catalog.tests.factories import SKUFactory
from finance.models import AlertThreshold, FinanceSettings
from finance.services.alerts import finance_settings_update, thresholds_update
from inventory import services as stock
from inventory.models import StockLevel
from inventory.tests.factories import WarehouseFactory
from orders.models import Channel, ExchangeRate, Order
from orders.rates import rates_import
from orders.services import order_after_sales_mark
from orders.tests.factories import ChannelFactory, OrderFactory
from service.models import Compensation
from service.services import compensation as compensation_services
from shopops.common import roles
from shopops.common.audit import SECRET_MASK, AuditRecord, audit_context, audit_record, audit_record_many
from shopops.common.models import ApiClient

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _channels(settings):
    settings.SHOPOPS_CHANNEL_LIST_SELECTOR = "catalog.tests.test_tools.fake_channels"


def entries_of(obj_or_model, pk=None):
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    pk = pk if pk is not None else obj_or_model.pk
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_pk=str(pk)
    ).order_by("id")


def clean_slate():
    """Forget the entries the test's own setup made (factories' saves are audited too)."""
    LogEntry.objects.all().delete()


def assert_utc_now(entry):
    assert entry.timestamp.utcoffset() == timedelta(0)
    assert abs(timezone.now() - entry.timestamp) < timedelta(minutes=1)


@pytest.fixture
def sku(db):
    sku = SKUFactory(code="A-1", unit_cost=D("40.00"), list_price=D("129.00"))
    clean_slate()
    return sku


# --- prices and costs ---------------------------------------------------------------------------------------


def test_a_price_change_on_the_page_is_audited_with_actor_reason_before_and_after(sku, client, make_user):
    user = make_user(roles.OPERATIONS, "pricer")
    client.force_login(user)
    clean_slate()
    response = client.post(
        reverse("catalog:sku-price", args=["A-1"]),
        {"target": "list", "price": "135.50", "reason": "Competitor moved"},
        REMOTE_ADDR="10.1.2.3",
        HTTP_X_FORWARDED_FOR="6.6.6.6",  # written by the client: not what the audit records
    )
    assert response.status_code == 302
    entry = entries_of(sku).get()
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == user
    assert entry.changes == {"list_price": ["129.00", "135.50"]}
    assert entry.additional_data == {"reason": "Competitor moved", "source": "ui"}
    assert entry.remote_addr == "10.1.2.3"
    assert entry.object_repr == str(sku)
    assert_utc_now(entry)


def test_a_bulk_price_change_of_three_skus_gives_three_entries(make_user):
    user = make_user(roles.OPERATIONS)
    skus = [SKUFactory(code=f"B-{i}", unit_cost=D("10.00"), list_price=D("50.00") + i) for i in range(3)]
    clean_slate()
    prices_apply(
        plans=[PlannedPrice(sku_id=s.pk, new_value=D("59.00")) for s in skus],
        reason="Spring +5 %",
        user=user,
        source=PriceChange.Source.BULK,
    )
    entries = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(SKU))
    assert sorted(
        (e.object_repr.split()[0], e.changes["list_price"][0], e.changes["list_price"][1]) for e in entries
    ) == [
        ("B-0", "50.00", "59.00"),
        ("B-1", "51.00", "59.00"),
        ("B-2", "52.00", "59.00"),
    ]
    assert {(e.actor_id, e.additional_data["source"], e.additional_data["reason"]) for e in entries} == {
        (user.pk, "bulk", "Spring +5 %")
    }
    assert len({e.timestamp for e in entries}) == 1  # one write, one instant


def test_a_channel_price_is_recorded_once_on_the_sku(sku, make_user):
    user = make_user(roles.OPERATIONS)
    prices_apply(
        plans=[PlannedPrice(sku_id=sku.pk, new_value=D("139.00"), field="channel_price", channel="tmall")],
        reason="Tmall event",
        user=user,
    )
    assert entries_of(sku).get().changes == {"channel_price:tmall": ["129.00", "139.00"]}
    assert not LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(ChannelPrice)).exists()


def test_a_refused_price_change_leaves_no_entry(sku, make_user):
    with pytest.raises(Exception, match="margin floor"):
        prices_apply(
            plans=[PlannedPrice(sku_id=sku.pk, new_value=D("41.00"))], reason="x", user=make_user(None)
        )
    assert not entries_of(sku).exists()


def test_a_cost_change_is_audited(sku, make_user):
    user = make_user(roles.OPERATIONS)
    with audit_context(actor=user):  # the SKUCost row's own save: the signal takes the context's actor
        sku_costs_set(
            sku=sku, reason="New supplier quote", user=user, unit_cost=D("42.35"), inbound_cost=D("3.10")
        )
    entry = entries_of(sku).get()
    assert (entry.actor, entry.changes) == (user, {"unit_cost": ["40.00", "42.35"]})
    assert entry.additional_data["reason"] == "New supplier quote"
    costs = entries_of(SKUCost.objects.get(sku=sku)).get()
    assert costs.action == LogEntry.Action.CREATE and costs.actor == user
    assert costs.changes["inbound_cost"] == ["None", "3.10"]


def test_a_price_and_cost_import_is_audited_row_by_row(sku, make_user):
    user = make_user(roles.OPERATIONS, "importer")
    SKUFactory(code="A-2", unit_cost=D("10.00"), list_price=D("30.00"))
    clean_slate()
    csv = (
        "code,name,category,unit_cost,list_price\n"
        "A-1,,,41.00,140.00\n"
        f"NEW-1,New one,{sku.product.category.code},20.00,60.00\n"
    ).encode()
    table = table_read(name="prices.csv", data=csv, columns=CATALOG_COLUMNS, required=CATALOG_REQUIRED)
    result = catalog_import(table=table, name="prices.csv", user=user, apply=True)
    assert (result.created, result.updated, result.errors) == (1, 1, [])
    changed = {tuple(sorted(e.changes)): e for e in entries_of(sku)}
    assert changed[("unit_cost",)].changes == {"unit_cost": ["40.00", "41.00"]}
    assert changed[("list_price",)].changes == {"list_price": ["129.00", "140.00"]}
    created = entries_of(SKU.objects.get(code="NEW-1")).get()
    assert created.action == LogEntry.Action.CREATE
    assert created.changes == {"list_price": ["None", "60.00"], "unit_cost": ["None", "20.00"]}
    for entry in [*changed.values(), created]:
        assert entry.actor == user and entry.additional_data["source"] == "import"
    assert not entries_of(SKU.objects.get(code="A-2")).exists()  # not in the file


# --- stock --------------------------------------------------------------------------------------------------


def test_a_stock_adjustment_is_audited_and_a_reservation_is_not(sku, client, make_user):
    east = WarehouseFactory(code="east")
    stock.stock_receive(sku_id=sku.pk, warehouse=east, quantity=10, reference="PO-1")
    planner = make_user(roles.INVENTORY_PLANNER, "planner")
    client.force_login(planner)
    response = client.post(
        reverse("inventory:adjust"), {"sku": "A-1", "warehouse": "east", "delta": "-3", "reason": "Damaged"}
    )
    assert response.status_code == 302
    level = StockLevel.objects.get(sku=sku, warehouse=east)
    entry = entries_of(level).get()
    assert entry.changes == {"on_hand": ["10", "7"]}
    assert entry.actor == planner and entry.object_repr == "A-1 @ east"
    assert entry.additional_data["reason"] == "Damaged" and entry.additional_data["kind"] == "adjustment"
    assert_utc_now(entry)
    stock.stock_reserve(
        demands=[
            stock.Demand(
                reference="order x", province="", day=date(2025, 1, 1), lines=[stock.DemandLine(1, sku.pk, 2)]
            )
        ]
    )
    assert StockLevel.objects.get(pk=level.pk).reserved == 2
    assert entries_of(level).count() == 1


# --- refunds and compensation -------------------------------------------------------------------------------


def test_a_refund_is_audited_on_the_order(make_user):
    agent = make_user(roles.SERVICE_AGENT, "agent")
    order = OrderFactory(status=Order.Status.DELIVERED, refund_amount=D("0.00"))
    clean_slate()
    with audit_context(actor=agent):
        order_after_sales_mark(
            order_id=order.pk, status="refunded", at=timezone.now(), refund_amount=D("25.50"), detail="RMA-7"
        )
        order_after_sales_mark(
            order_id=order.pk, status="refunded", at=timezone.now(), refund_amount=D("4.50"), detail="RMA-8"
        )
    first, second = entries_of(order)
    assert first.changes == {"refund_amount": ["0.00", "25.50"], "status": ["delivered", "refunded"]}
    assert second.changes == {"refund_amount": ["25.50", "30.00"]}
    assert (first.actor, first.additional_data) == (agent, {"source": "after_sales", "detail": "RMA-7"})
    assert_utc_now(second)


def test_a_compensation_is_audited(make_user):
    agent = make_user(roles.SERVICE_AGENT, "agent")
    manager = make_user(roles.MANAGER, "boss")
    order = OrderFactory()
    clean_slate()
    with audit_context(actor=agent):
        comp = compensation_services.compensation_grant(
            problem="defective", severity="severe", user=agent, order=order
        )
    with audit_context(actor=manager):
        compensation_services.compensation_decide(compensation=comp, approve=True, user=manager)
    created, decided = entries_of(comp)
    assert created.action == LogEntry.Action.CREATE and created.actor == agent
    assert created.changes["amount"] == ["None", "80.00"] and created.changes["status"] == ["None", "pending"]
    assert decided.actor == manager
    assert decided.changes["status"] == ["pending", "approved"]
    assert decided.changes["decided_by"] == ["None", str(manager.pk)]
    assert Compensation.objects.get().status == "approved"


# --- roles, permissions, API keys ---------------------------------------------------------------------------


def test_a_role_given_to_a_user_is_audited(make_user):
    admin = make_user(roles.ADMIN, "root")
    user = make_user(None, "newcomer")
    clean_slate()
    with audit_context(actor=admin):
        user.groups.add(Group.objects.get(name=roles.FINANCE))
        user.is_staff = True
        user.save()
    added, flags = entries_of(user)
    assert added.changes == {"groups": {"type": "m2m", "operation": "add", "objects": ["finance"]}}
    assert flags.changes == {"is_staff": ["False", "True"]}


def test_the_role_sync_records_what_it_puts_back(make_user):
    group = Group.objects.get(name=roles.MARKETING)
    view_sku = Permission.objects.get(codename="view_sku")
    group.permissions.remove(view_sku)
    LogEntry.objects.all().delete()
    roles.roles_sync()
    entry = entries_of(group).get()
    assert entry.changes == {
        "permissions": {"type": "m2m", "operation": "add", "objects": ["catalog.view_sku"]}
    }
    assert entry.additional_data == {"source": "roles_sync"} and entry.actor is None
    roles.roles_sync()  # nothing to change: nothing recorded
    assert entries_of(group).count() == 1


def test_an_api_key_revoke_is_audited_without_its_hash(make_user):
    admin = make_user(roles.ADMIN, "root")
    clean_slate()
    client, key = ApiClient.objects.create_key(name="erp", scopes=["orders:write"])
    with audit_context(actor=admin):
        client.revoked = True
        client.save()
    entries = entries_of(ApiClient, client.prefix)
    assert [e.action for e in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert entries[1].changes == {"revoked": ["False", "True"]} and entries[1].actor == admin
    for entry in entries:
        stored = " ".join(
            str(v)
            for v in (
                entry.object_pk,
                entry.object_id,
                entry.changes,
                entry.serialized_data,
                entry.additional_data,
            )
        )
        assert client.hashed_key not in stored and key not in stored
    assert entries[0].changes["scopes"] == ["None", '["orders:write"]']


# --- thresholds and settings --------------------------------------------------------------------------------


def test_an_alert_threshold_change_is_audited(make_user):
    finance = make_user(roles.FINANCE, "cfo")
    row = AlertThreshold.objects.get(metric="runway", level="watch")
    clean_slate()
    with audit_context(actor=finance):
        thresholds_update(values={("runway", "watch"): {"threshold": row.threshold + 1, "enabled": True}})
    entry = entries_of(row).get()
    assert entry.actor == finance
    assert entry.changes == {"threshold": [str(row.threshold), str(row.threshold + 1)]}


def test_finance_settings_are_audited_and_the_secret_is_masked(make_user):
    admin = make_user(roles.ADMIN, "root")
    conf = FinanceSettings.get()
    clean_slate()
    with audit_context(actor=admin):
        finance_settings_update(credit_line=D("250000.00"), webhook_secret="s3cret-webhook-key-123")
    entry = entries_of(conf).get()
    assert entry.changes["credit_line"] == ["0.00", "250000.00"]
    assert entry.changes["webhook_secret"] == ["", SECRET_MASK]
    assert "s3cret" not in str(entry.changes)


def test_a_channel_fee_change_on_the_page_is_audited(client_for):
    channel = ChannelFactory(code="jd", commission_rate=D("0.0500"))
    client = client_for(roles.ADMIN)
    clean_slate()
    response = client.post(
        reverse("orders:channel-edit", args=["jd"]),
        {
            "name": channel.name,
            "commission_rate": "0.0600",
            "payment_fee_rate": str(channel.payment_fee_rate),
            "settlement_days": str(channel.settlement_days),
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = entries_of(channel).get()
    assert entry.changes == {"commission_rate": ["0.0500", "0.0600"]}
    assert entry.actor.username == "user-admin"
    assert Channel.objects.get(code="jd").commission_rate == D("0.0600")


def test_an_exchange_rate_import_is_audited(make_user):
    user = make_user(roles.FINANCE)
    ExchangeRate.objects.create(date=date(2025, 3, 1), currency="USD", rate_to_shop_currency=D("7.10000000"))
    clean_slate()
    rows = [
        {"date": "2025-03-01", "currency": "USD", "rate_to_shop_currency": "7.2"},
        {"date": "2025-03-02", "currency": "USD", "rate_to_shop_currency": "7.25"},
    ]
    with audit_context(actor=user):
        assert rates_import(rows=rows, apply=True).applied
    entries = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(ExchangeRate))
    changes = sorted((e.object_repr, e.action, e.changes["rate_to_shop_currency"][1]) for e in entries)
    assert [(r.split()[0], a) for r, a, _new in changes] == [
        ("2025-03-01", LogEntry.Action.UPDATE),
        ("2025-03-02", LogEntry.Action.CREATE),
    ]
    assert entries.get(action=LogEntry.Action.UPDATE).changes["rate_to_shop_currency"][0] == "7.10000000"
    assert {e.actor_id for e in entries} == {user.pk}


# --- the helper ---------------------------------------------------------------------------------------------


def test_explicit_records_are_rolled_back_with_their_change(sku):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(obj_or_model=sku, action="update", changes={"list_price": [D("1.0"), D("2.50")]})
        raise RuntimeError
    assert not entries_of(sku).exists()


def test_explicit_records_store_exact_text_and_skip_empty_updates(sku):
    aware = datetime(2025, 5, 1, 10, 30, tzinfo=UTC) + timedelta(hours=8)
    written = audit_record_many(
        [
            AuditRecord(sku, "update", {"list_price": [D("129.00"), D("129.10")], "active": [True, False]}),
            AuditRecord(sku, "update", {}),
            AuditRecord(SKU, "delete", {"when": [None, aware]}, object_pk=sku.pk, object_repr="gone"),
        ]
    )
    assert len(written) == 2
    first, second = entries_of(sku)
    assert first.changes == {"list_price": ["129.00", "129.10"], "active": ["True", "False"]}
    assert first.actor is None and first.additional_data is None
    assert second.changes == {"when": ["None", "2025-05-01 18:30:00"]} and second.object_repr == "gone"
    with audit_context(source="command:test"):
        entry = audit_record(obj_or_model=sku, action="update", changes={"code": ["A-1", "A-2"]})
    assert entry.additional_data == {"source": "command:test"}


# --- the page -----------------------------------------------------------------------------------------------


@pytest.fixture
def history(sku, make_user):
    """Two people, two SKUs, three price changes."""
    alice = make_user(roles.OPERATIONS, "alice")
    bob = make_user(roles.ADMIN, "bob")
    other = SKUFactory(code="Z-9", unit_cost=D("10.00"), list_price=D("50.00"))
    clean_slate()
    prices_apply(plans=[PlannedPrice(sku_id=sku.pk, new_value=D("130.00"))], reason="a1", user=alice)
    prices_apply(plans=[PlannedPrice(sku_id=other.pk, new_value=D("55.00"))], reason="a2", user=alice)
    prices_apply(plans=[PlannedPrice(sku_id=sku.pk, new_value=D("131.00"))], reason="b1", user=bob)
    return {"alice": alice, "bob": bob, "sku": sku, "other": other}


def page_entries(client, **params):
    response = client.get(reverse("audit-log"), params)
    assert response.status_code == 200
    return response, [row["entry"] for row in response.context["rows"]]


def test_the_page_filters_by_user_and_by_object(history, client_for):
    client = client_for(roles.MANAGER)
    sku, other = history["sku"], history["other"]
    _r, by_alice = page_entries(client, user=history["alice"].pk, type="catalog.sku")
    assert [(e.additional_data["reason"], e.actor.username) for e in by_alice] == [
        ("a2", "alice"),
        ("a1", "alice"),
    ]
    response, of_sku = page_entries(client, object=f"catalog.sku:{sku.pk}")
    assert [e.additional_data["reason"] for e in of_sku] == ["b1", "a1"]
    html = response.content.decode()
    assert "129.00 → <strong>130.00</strong>" in html and "130.00 → <strong>131.00</strong>" in html
    assert f'href="{reverse("catalog:sku-detail", args=["A-1"])}"' in html
    assert " UTC" in html
    _r, by_name = page_entries(client, object="Z-9")
    assert [e.object_pk for e in by_name] == [str(other.pk)]
    _r, created = page_entries(client, type="catalog.sku", action=LogEntry.Action.CREATE)
    assert created == []


def test_the_page_filters_by_shop_dates_and_reports_bad_input(history, client_for):
    client = client_for(roles.ADMIN)
    today = timezone.localdate()
    _r, found = page_entries(client, type="catalog.sku", since=today.isoformat(), until=today.isoformat())
    assert len(found) == 3
    _r, found = page_entries(client, type="catalog.sku", since=(today + timedelta(days=1)).isoformat())
    assert found == []
    tomorrow = (today + timedelta(days=1)).isoformat()
    response, found = page_entries(client, type="catalog.sku", since=tomorrow, until=today.isoformat())
    assert "The end date is before the start date." in response.content.decode()
    assert found == []  # the valid "since" still filters
    response, _found = page_entries(client, since="yesterday")
    assert response.context["form"].errors["since"]


def test_manager_and_admin_open_the_page_others_do_not(client_for, client):
    for role in (roles.ADMIN, roles.MANAGER):
        client.logout()
        assert client_for(role).get(reverse("audit-log")).status_code == 200
    assert client.post(reverse("audit-log")).status_code == 405  # read only
    for role in (roles.OPERATIONS, roles.FINANCE, roles.SERVICE_AGENT, None):
        client.logout()
        assert client_for(role).get(reverse("audit-log")).status_code == 403
    client.logout()
    response = client.get(reverse("audit-log"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_navigation_shows_the_audit_trail_to_manager_only(client_for, client):
    html = client_for(roles.MANAGER).get(reverse("home")).content.decode()
    assert 'data-area="audit"' in html
    client.logout()
    html = client_for(roles.OPERATIONS).get(reverse("home")).content.decode()
    assert 'data-area="audit"' not in html


# --- what is not audited ------------------------------------------------------------------------------------


def test_the_order_sync_writes_no_audit_entry(db):
    from orders.tests.test_sync import payload, sync

    ChannelFactory(code="tmall", name="Tmall")
    east = WarehouseFactory(code="east", province="上海", provinces_served=["上海"])
    a = SKUFactory(code="SKU-0001", unit_cost=D("50.00"))
    stock.stock_receive(sku_id=a.pk, warehouse=east, quantity=10, reference="opening")
    before = LogEntry.objects.count()
    assert sync(payload())["created"] == 1
    assert sync(payload(status="shipped", updated_at="2026-06-18T12:00:00+08:00"))["updated"] == 1
    assert LogEntry.objects.count() == before


def test_a_learnt_supplier_lead_time_is_audited(sku):
    from inventory.models import PurchaseOrder, PurchaseOrderLine, Receipt, Supplier
    from inventory.purchasing import supplier_lead_time_learn

    supplier = Supplier.objects.create(code="acme", name="Acme", lead_time_days=14)
    order = PurchaseOrder.objects.create(
        number="PO-1", supplier=supplier, warehouse=WarehouseFactory(), ordered_on=date(2025, 3, 1)
    )
    line = PurchaseOrderLine.objects.create(order=order, sku=sku, quantity=10, unit_cost=D("40.00"))
    Receipt.objects.create(line=line, quantity=10, received_on=date(2025, 3, 10))
    clean_slate()
    supplier_lead_time_learn(supplier=supplier)
    entry = entries_of(supplier).get()
    assert entry.changes == {"lead_time_days": ["14", "9"]}
    assert entry.additional_data == {"source": "lead_time_learn", "samples": 1}


def test_history_links_for_those_who_may_read_the_audit(sku, client_for, client):
    url = reverse("catalog:sku-detail", args=["A-1"])
    html = client_for(roles.MANAGER).get(url).content.decode()
    assert f'href="/audit/?object=catalog.sku%3A{sku.pk}"' in html
    client.logout()
    html = client_for(roles.OPERATIONS).get(url).content.decode()
    assert 'data-testid="audit-history"' not in html


def test_a_task_and_a_command_name_themselves_as_the_source(sku, tmp_path):
    from celery import shared_task
    from django.core.management import call_command

    @shared_task(name="tests.audit_touch")
    def touch(sku_id):
        audit_record(obj_or_model=SKU, object_pk=sku_id, action="update", changes={"active": [True, False]})

    touch.delay(sku.pk)
    assert entries_of(sku).get().additional_data == {"source": "task:tests.audit_touch"}
    rates = tmp_path / "rates.csv"
    rates.write_text("date,currency,rate_to_shop_currency\n2025-03-01,USD,7.2\n")
    call_command("import_rates", str(rates), stdout=open(tmp_path / "out", "w"))  # noqa: SIM115
    entry = LogEntry.objects.get(content_type=ContentType.objects.get_for_model(ExchangeRate))
    assert (entry.actor, entry.additional_data) == (None, {"source": "command:import_rates"})


def test_admins_get_links_to_the_admin_for_objects_without_a_page(client_for, make_user):
    user = make_user(None, "newcomer")
    client = client_for(roles.ADMIN)
    response, entries = page_entries(client, object=f"auth.user:{user.pk}")
    assert [e.action for e in entries] == [LogEntry.Action.CREATE]
    assert response.context["rows"][0]["url"] == reverse("admin:auth_user_change", args=[user.pk])
