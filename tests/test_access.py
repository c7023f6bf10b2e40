"""Every page × every role: the roles that may open it get 200, every other role 403, anonymous a login
redirect. The expected table is written out here, independently of shopops.common.roles, and the test
fails if a page exists that the table does not list."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from catalog.tests.factories import SKUFactory
from orders.models import OrderException
from orders.tests.factories import order_with_lines
from shopops.common import roles

ALL = set(roles.ROLES)
OPS, PLAN, MKT, SVC, FIN, MGR, ADM = (
    "operations",
    "inventory_planner",
    "marketing",
    "service_agent",
    "finance",
    "manager",
    "admin",
)

# url name -> roles that get 200
PAGES = {
    "home": ALL,
    "catalog:overview": {OPS, PLAN, MKT, FIN, MGR, ADM},
    "catalog:sku-list": {OPS, PLAN, MKT, FIN, MGR, ADM},
    "catalog:sku-detail": {OPS, PLAN, MKT, FIN, MGR, ADM},
    "catalog:import": {OPS, ADM},
    "catalog:competitor-import": {OPS, ADM},
    "catalog:export": {OPS, ADM},
    # pricing tools: operations and admin (catalog.change_sku); manager and the others are read-only
    "catalog:sku-price": {OPS, ADM},
    "catalog:sku-costs": {OPS, ADM},
    "catalog:bulk-price": {OPS, ADM},
    "catalog:channel-prices": {OPS, ADM},
    "catalog:tier-prices": {OPS, ADM},
    "catalog:bundles": {OPS, ADM},
    "catalog:bundle-create": {OPS, ADM},
    "catalog:recommendations": {OPS, PLAN, MKT, FIN, MGR, ADM},
    "orders:overview": {OPS, SVC, FIN, MGR, ADM},
    "orders:order-detail": {OPS, SVC, FIN, MGR, ADM},
    "orders:exception-list": {OPS, SVC, FIN, MGR, ADM},
    "orders:exception-resolve": {OPS, ADM},
    "orders:customer-detail": {OPS, SVC, FIN, MGR, ADM},
    "orders:channel-list": {OPS, FIN, MGR, ADM},
    "orders:channel-edit": {ADM},
    "orders:order-import": {OPS, ADM},
    "orders:rate-list": {FIN, MGR, ADM},
    "orders:rate-import": {FIN, ADM},
    "inventory:overview": {OPS, PLAN, MGR, ADM},
    # stock ledger: everyone of the area reads; the forms that write are the planner's and admin's
    "inventory:ledger": {OPS, PLAN, MGR, ADM},
    "inventory:adjust": {PLAN, ADM},
    "inventory:return-create": {PLAN, ADM},
    "inventory:transfer-list": {OPS, PLAN, MGR, ADM},
    "inventory:transfer-detail": {OPS, PLAN, MGR, ADM},
    "inventory:transfer-create": {PLAN, ADM},
    "inventory:stocktake-list": {OPS, PLAN, MGR, ADM},
    "inventory:stocktake-detail": {OPS, PLAN, MGR, ADM},
    "inventory:stocktake-create": {PLAN, ADM},
    # suppliers and purchase orders: the area reads; creating and editing is the planner's and admin's
    "inventory:supplier-list": {OPS, PLAN, MGR, ADM},
    "inventory:supplier-detail": {OPS, PLAN, MGR, ADM},
    "inventory:supplier-create": {PLAN, ADM},
    "inventory:supplier-edit": {PLAN, ADM},
    "inventory:po-list": {OPS, PLAN, MGR, ADM},
    "inventory:po-detail": {OPS, PLAN, MGR, ADM},
    "inventory:po-create": {PLAN, ADM},
    # planning: the area reads the worklist, SKU stock, forecast accuracy and KPIs; approving is a POST
    "inventory:replenishment": {OPS, PLAN, MGR, ADM},
    "inventory:sku-stock": {OPS, PLAN, MGR, ADM},
    "inventory:forecast-accuracy": {OPS, PLAN, MGR, ADM},
    "inventory:kpis": {OPS, PLAN, MGR, ADM},
    "marketing:overview": {MKT, MGR, ADM},
    # marketing: the area reads everything; creating and editing is marketing's and admin's (manager reads)
    "marketing:promotion-list": {MKT, MGR, ADM},
    "marketing:promotion-detail": {MKT, MGR, ADM},
    "marketing:promotion-simulate": {MKT, MGR, ADM},
    "marketing:promotion-create": {MKT, ADM},
    "marketing:promotion-edit": {MKT, ADM},
    "marketing:promotion-results": {MKT, MGR, ADM},
    "marketing:promotion-result": {MKT, MGR, ADM},
    "marketing:campaign-list": {MKT, MGR, ADM},
    "marketing:campaign-detail": {MKT, MGR, ADM},
    "marketing:campaign-create": {MKT, ADM},
    "marketing:campaign-edit": {MKT, ADM},
    "marketing:ad-import": {MKT, ADM},
    "marketing:calendar": {MKT, MGR, ADM},
    "marketing:referral-list": {MKT, MGR, ADM},
    "marketing:referral-create": {MKT, ADM},
    "marketing:segment-grid": {MKT, MGR, ADM},
    "marketing:segment-customers": {MKT, MGR, ADM},
    "marketing:membership": {MKT, MGR, ADM},
    "marketing:winback-list": {MKT, MGR, ADM},
    "marketing:birthday-list": {MKT, MGR, ADM},
    "marketing:customer-points": {MKT, MGR, ADM},
    "marketing:coupon-list": {MKT, MGR, ADM},
    "marketing:redemption-list": {MKT, MGR, ADM},
    "marketing:flash-sale-list": {MKT, MGR, ADM},
    "marketing:coupon-batch-export": {MKT, MGR, ADM},
    "marketing:coupon-batch-create": {MKT, ADM},
    "marketing:coupon-create": {MKT, ADM},
    "service:overview": {SVC, MGR, ADM},
    "finance:overview": {FIN, MGR, ADM},
    "reports:overview": {OPS, FIN, MGR, ADM},
}
# Not role pages: the auth flow, the language switch, health, the admin (its own staff check), static.
NOT_ROLE_PAGES = {"login", "logout", "set_language", "healthz"}
API_PREFIX = "/api/"  # the REST API has its own key-based access, tested in the apps' test_api.py


def _named_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_patterns(pattern, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}{pattern.name}"
            if pattern.callback.__module__.split(".")[1:2] == ["api"] or name.startswith("api-"):
                continue
            yield name


def test_every_page_is_in_the_table():
    names = set(_named_patterns()) - NOT_ROLE_PAGES
    names = {n for n in names if not n.startswith("django")}
    assert names - set(PAGES) == set(), "pages missing from the access table"
    assert set(PAGES) - names == set(), "table lists pages that do not exist"


def _access_transfer():
    from inventory.models import Transfer
    from inventory.tests.factories import WarehouseFactory

    return Transfer.objects.create(
        number="TR-ACCESS", source=WarehouseFactory(code="acc-a"), destination=WarehouseFactory(code="acc-b")
    )


def _access_stocktake():
    from inventory.models import Stocktake
    from inventory.tests.factories import WarehouseFactory

    return Stocktake.objects.create(number="ST-ACCESS", warehouse=WarehouseFactory(code="acc-a"))


def _access_purchase_order():
    from inventory.models import PurchaseOrder, Supplier
    from inventory.tests.factories import WarehouseFactory

    supplier = Supplier.objects.create(code="sup-access", name="Access supplier")
    return PurchaseOrder.objects.create(
        number="PO-ACCESS", supplier=supplier, warehouse=WarehouseFactory(code="acc-p")
    )


def _access_promotion():
    from marketing.models import Promotion

    return Promotion.objects.create(
        code="ACCESS-PROMO", name="Access", kind="percent_off", params={"percent": "10"}
    )


def _access_coupon_batch():
    from marketing.models import CouponBatch, Promotion

    promotion = Promotion.objects.create(
        code="ACCESS-COUPON", name="Access", kind="percent_off", params={"percent": "5"}, coupon_required=True
    )
    return CouponBatch.objects.create(promotion=promotion, prefix="ACC", count=0)


def _access_campaign():
    from datetime import date

    from marketing.models import Campaign

    return Campaign.objects.create(
        code="ACCESS-CAMP",
        name="Access",
        kind="shop_event",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 1, 3),
    )


@pytest.fixture
def page_urls(db):
    order = order_with_lines(lines=[])
    exception = OrderException.objects.create(order=order, kind=OrderException.Kind.ADDRESS)
    tool_sku = SKUFactory(code="ACCESS-TOOLS-1")
    args = {
        "catalog:sku-price": [tool_sku.code],
        "catalog:sku-costs": [tool_sku.code],
        "catalog:sku-detail": [tool_sku.code],
        "orders:order-detail": [order.pk],
        "orders:exception-resolve": [exception.pk],
        "orders:customer-detail": [order.customer.pk],
        "orders:channel-edit": [order.channel.code],
        "inventory:transfer-detail": [_access_transfer().number],
        "inventory:stocktake-detail": [_access_stocktake().number],
        "inventory:supplier-detail": ["sup-access"],
        "inventory:supplier-edit": ["sup-access"],
        "inventory:po-detail": [_access_purchase_order().number],
        "inventory:sku-stock": [tool_sku.code],
        "marketing:promotion-detail": [_access_promotion().code],
        "marketing:promotion-edit": ["ACCESS-PROMO"],
        "marketing:promotion-result": ["ACCESS-PROMO"],
        "marketing:campaign-detail": [_access_campaign().code],
        "marketing:campaign-edit": ["ACCESS-CAMP"],
        "marketing:segment-customers": ["champions"],
        "marketing:customer-points": [order.customer.pk],
        "marketing:coupon-batch-export": [_access_coupon_batch().pk],
    }
    return {name: reverse(name, args=args.get(name, [])) for name in PAGES}


@pytest.mark.django_db
@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_access_by_role(page, role, client_for, page_urls):
    client = client_for(role)
    response = client.get(page_urls[page])
    expected = 200 if role in PAGES[page] else 403
    assert response.status_code == expected, f"{role} on {page}"


@pytest.mark.django_db
@pytest.mark.parametrize("page", sorted(PAGES))
def test_user_without_role_gets_403(page, client_for, page_urls):
    assert client_for(None).get(page_urls[page]).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("page", sorted(PAGES))
def test_anonymous_is_sent_to_login(page, client, page_urls):
    response = client.get(page_urls[page])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_navigation_shows_only_the_areas_of_the_role(client_for):
    html = client_for(SVC).get(reverse("home")).content.decode()
    assert 'data-area="service"' in html and 'data-area="orders"' in html
    assert 'data-area="finance"' not in html and 'data-area="catalog"' not in html


@pytest.mark.django_db
def test_admin_is_for_admins_only(client_for, client):
    assert client_for(ADM).get("/admin/").status_code == 200
    client.logout()
    response = client_for(MGR).get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_healthz_needs_no_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
