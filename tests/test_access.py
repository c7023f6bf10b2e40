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
    # service: the area (agents, managers as supervisors, admin) reads and works tickets, returns and
    # compensation; supervisor-only (service.supervise_ticket): SLA policies and settings, the compensation
    # standard. Agents read the escalation report (only supervisors file it: a POST).
    "service:overview": {SVC, MGR, ADM},
    "service:ticket-list": {SVC, MGR, ADM},
    "service:ticket-detail": {SVC, MGR, ADM},
    "service:ticket-create": {SVC, MGR, ADM},
    "service:sla-policy-list": {SVC, MGR, ADM},
    "service:sla-policy-create": {MGR, ADM},
    "service:sla-policy-edit": {MGR, ADM},
    "service:sla-settings": {MGR, ADM},
    "service:escalation-list": {SVC, MGR, ADM},
    "service:escalation-report": {SVC, MGR, ADM},
    "service:kb-list": {SVC, MGR, ADM},
    "service:kb-suggest": {SVC, MGR, ADM},
    "service:kb-create": {SVC, MGR, ADM},
    "service:kb-coverage": {SVC, MGR, ADM},
    "service:kb-detail": {SVC, MGR, ADM},
    "service:kb-edit": {SVC, MGR, ADM},
    "service:feedback-list": {SVC, MGR, ADM},
    "service:feedback-import": {SVC, MGR, ADM},
    "service:keyword-report": {SVC, MGR, ADM},
    "service:return-list": {SVC, MGR, ADM},
    "service:return-create": {SVC, MGR, ADM},
    "service:return-detail": {SVC, MGR, ADM},
    "service:compensation-list": {SVC, MGR, ADM},
    "service:compensation-create": {SVC, MGR, ADM},
    "service:compensation-standard": {MGR, ADM},
    "service:satisfaction": {SVC, MGR, ADM},
    "service:customer-detail": {SVC, MGR, ADM},
    # finance: finance works, the manager reads (forms open read-only or 403; every POST 403), admin does all
    "finance:overview": {FIN, MGR, ADM},
    "finance:forecast": {FIN, MGR, ADM},
    "finance:forecast-export": {FIN, MGR, ADM},
    "finance:forecast-cell": {FIN, MGR, ADM},
    "finance:scenario-list": {FIN, MGR, ADM},
    "finance:scenario-create": {FIN, ADM},
    "finance:scenario-edit": {FIN, ADM},
    "finance:account-list": {FIN, MGR, ADM},
    "finance:account-create": {FIN, MGR, ADM},
    "finance:account-detail": {FIN, MGR, ADM},
    "finance:account-edit": {FIN, MGR, ADM},
    "finance:transaction-create": {FIN, MGR, ADM},
    "finance:statement-import": {FIN, MGR, ADM},
    "finance:settlement-list": {FIN, MGR, ADM},
    "finance:settlement-import": {FIN, MGR, ADM},
    "finance:receivables": {FIN, MGR, ADM},
    "finance:payables": {FIN, MGR, ADM},
    "finance:payment-create": {FIN, MGR, ADM},
    "finance:expense-list": {FIN, MGR, ADM},
    "finance:expense-create": {FIN, MGR, ADM},
    "finance:expense-edit": {FIN, MGR, ADM},
    "finance:alert-list": {FIN, MGR, ADM},
    "finance:alert-detail": {FIN, MGR, ADM},
    "finance:threshold-list": {FIN, MGR, ADM},
    "finance:playbook-step-create": {FIN, ADM},
    "finance:playbook-step-edit": {FIN, ADM},
    "finance:settings": {FIN, MGR, ADM},
    "finance:margins": {FIN, MGR, ADM},
    "finance:margins-export": {FIN, MGR, ADM},
    "finance:margins-sku": {FIN, MGR, ADM},
    "finance:budget": {FIN, MGR, ADM},
    "finance:budget-edit": {FIN, MGR, ADM},
    "finance:risk-queue": {FIN, MGR, ADM},
    "finance:risk-detail": {FIN, MGR, ADM},
    "reports:overview": {OPS, FIN, MGR, ADM},
    "reports:explorer": {OPS, FIN, MGR, ADM},
    "reports:anomalies": {OPS, FIN, MGR, ADM},
    "reports:weekly-list": {OPS, FIN, MGR, ADM},
    "reports:weekly-detail": {OPS, FIN, MGR, ADM},
    "reports:weekly-pdf": {OPS, FIN, MGR, ADM},
    "reports:weekly-xlsx": {OPS, FIN, MGR, ADM},
    "reports:daily-list": {OPS, FIN, MGR, ADM},
    "reports:daily-detail": {OPS, FIN, MGR, ADM},
    "reports:daily-pdf": {OPS, FIN, MGR, ADM},
    "reports:daily-xlsx": {OPS, FIN, MGR, ADM},
    "reports:subscriptions": {OPS, FIN, MGR, ADM},
}
# Pages that answer with a redirect (302) to the roles that may open them, 403 to the others.
REDIRECTS = {
    # the order page's hold banner: to the order's risk review, or the queue when it was never scored
    "finance:risk-order": {FIN, MGR, ADM},
}
# Actions that only take a POST: the roles allowed get 405 on a GET, every other role 403.
POST_ONLY = {
    "service:ticket-reply": {SVC, MGR, ADM},
    "service:ticket-update": {SVC, MGR, ADM},
    "service:kb-insert": {SVC, MGR, ADM},
    "service:return-action": {SVC, MGR, ADM},
    "service:compensation-decide": {MGR, ADM},
    "finance:forecast-rebuild": {FIN, ADM},
    "finance:scenario-delete": {FIN, ADM},
    "finance:expense-delete": {FIN, ADM},
    "finance:alert-acknowledge": {FIN, ADM},
    "finance:alert-resolve": {FIN, ADM},
    "finance:action-done": {FIN, ADM},
    "finance:risk-release": {FIN, ADM},
    "finance:risk-cancel": {FIN, ADM},
    "reports:weekly-generate": {MGR, ADM},
    "reports:daily-generate": {MGR, ADM},
}
# Not role pages: the auth flow, the language switch, health, the survey a customer answers (its token is
# the key), the admin (its own staff check), static. Notifications are every signed-in user's own.
NOT_ROLE_PAGES = {"login", "logout", "set_language", "healthz", "survey:answer", "notifications"}
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
    tabled = set(PAGES) | set(POST_ONLY) | set(REDIRECTS)
    assert names - tabled == set(), "pages missing from the access table"
    assert tabled - names == set(), "table lists pages that do not exist"


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


def _access_order():
    order = order_with_lines(lines=[])
    order.exception = OrderException.objects.create(order=order, kind=OrderException.Kind.ADDRESS)
    return order


def _access_sku():
    return SKUFactory(code="ACCESS-TOOLS-1")


def _access_ticket():
    from service.tests.factories_tickets import ticket_make

    return ticket_make(customer=_access_order().customer)


def _access_article():
    from service.models import Article, ArticleCategory

    return Article.objects.create(
        code="access-kb",
        category=ArticleCategory.objects.create(code="access", name="Access"),
        title_zh="发货时间",
        answer_zh="48小时内发货",
    )


def _access_return():
    from service.tests.factories_returns import delivered_order, return_make

    return return_make(order=delivered_order())


def _access_compensation():
    from service.models import Compensation

    return Compensation.objects.create(
        problem="late_delivery", severity="minor", remedy="coupon", amount="5.00", status="pending"
    )


def _access_escalated_ticket():
    from service.tests.factories_sla import escalation_make

    return escalation_make().ticket


def _access_sla_policy():
    from service.models import SLAPolicy

    return SLAPolicy.objects.order_by("pk").first()


def _access_ticket_article():
    return [_access_ticket().number, _access_article().code]


def _access_account():
    from datetime import date

    from finance.models import CashAccount

    return CashAccount.objects.create(code="acc-bank", name="Access bank", opening_on=date(2026, 1, 1))


def _access_commitment():
    from datetime import date
    from decimal import Decimal

    from finance.models import Commitment

    return Commitment.objects.create(
        name="Rent", category="rent", amount=Decimal("1000.00"), starts_on=date(2026, 1, 1)
    )


def _access_scenario():
    from finance.models import Scenario

    return Scenario.objects.create(code="access-what-if", name="What if")


def _access_alert():
    from datetime import date
    from decimal import Decimal

    from django.utils import timezone

    from finance.models import Alert, AlertAction, Scenario

    alert = Alert.objects.create(
        metric="runway",
        level="watch",
        scenario=Scenario.objects.get(code="base"),
        value=Decimal("5"),
        threshold=Decimal("6"),
        business_date=date(2026, 11, 1),
        raised_at=timezone.now(),
    )
    alert.action = AlertAction.objects.create(alert=alert, action="Chase", owner_role="finance")
    return alert


def _access_order_risk():
    from django.utils import timezone

    from finance.models import OrderRisk

    return OrderRisk.objects.create(order=_access_order(), score=70, status="held", scored_at=timezone.now())


def _access_forecast():
    """A forecast built on an empty shop: the drill-down opens its first cell (no URL arguments)."""
    from datetime import date

    from finance.services.forecast import cashflow_forecast_build

    cashflow_forecast_build(business_date=date(2026, 11, 1), scenario_codes=["base"])
    return []


def _access_playbook_step():
    from finance.models import PlaybookStep

    return PlaybookStep.objects.order_by("pk").first()


def _access_weekly_report():
    from reports import report_content, services_reports
    from shopops.common.dates import shop_today

    week = report_content.previous_week_start(shop_today())
    services_reports.weekly_report_generate(week_start=week, email=False)
    return [week.isoformat()]


def _access_daily_digest():
    from reports import services_reports
    from shopops.common.dates import shop_yesterday

    day = shop_yesterday()
    services_reports.daily_digest_generate(day=day, email=False)
    return [day.isoformat()]


# url name -> the URL arguments, made only for the page a test opens (each test opens one page).
PAGE_ARGS = {
    "catalog:sku-price": lambda: [_access_sku().code],
    "catalog:sku-costs": lambda: [_access_sku().code],
    "catalog:sku-detail": lambda: [_access_sku().code],
    "orders:order-detail": lambda: [_access_order().pk],
    "orders:exception-resolve": lambda: [_access_order().exception.pk],
    "orders:customer-detail": lambda: [_access_order().customer.pk],
    "orders:channel-edit": lambda: [_access_order().channel.code],
    "inventory:transfer-detail": lambda: [_access_transfer().number],
    "inventory:stocktake-detail": lambda: [_access_stocktake().number],
    "inventory:supplier-detail": lambda: [_access_purchase_order().supplier.code],
    "inventory:supplier-edit": lambda: [_access_purchase_order().supplier.code],
    "inventory:po-detail": lambda: [_access_purchase_order().number],
    "inventory:sku-stock": lambda: [_access_sku().code],
    "marketing:promotion-detail": lambda: [_access_promotion().code],
    "marketing:promotion-edit": lambda: [_access_promotion().code],
    "marketing:promotion-result": lambda: [_access_promotion().code],
    "marketing:campaign-detail": lambda: [_access_campaign().code],
    "marketing:campaign-edit": lambda: [_access_campaign().code],
    "marketing:segment-customers": lambda: ["champions"],
    "marketing:customer-points": lambda: [_access_order().customer.pk],
    "marketing:coupon-batch-export": lambda: [_access_coupon_batch().pk],
    "service:ticket-detail": lambda: [_access_ticket().number],
    "service:ticket-reply": lambda: [_access_ticket().number],
    "service:ticket-update": lambda: [_access_ticket().number],
    "service:sla-policy-edit": lambda: [_access_sla_policy().pk],
    "service:escalation-report": lambda: [_access_escalated_ticket().number],
    "service:kb-detail": lambda: [_access_article().code],
    "service:kb-edit": lambda: [_access_article().code],
    "service:kb-insert": _access_ticket_article,
    "service:return-detail": lambda: [_access_return().number],
    "service:return-action": lambda: [_access_return().number, "approve"],
    "service:compensation-decide": lambda: [_access_compensation().pk],
    "service:customer-detail": lambda: [_access_order().customer.pk],
    "finance:forecast-cell": lambda: _access_forecast(),
    "finance:forecast-export": lambda: _access_forecast(),
    "finance:scenario-edit": lambda: [_access_scenario().code],
    "finance:scenario-delete": lambda: [_access_scenario().code],
    "finance:account-detail": lambda: [_access_account().code],
    "finance:account-edit": lambda: [_access_account().code],
    "finance:transaction-create": lambda: [_access_account().code],
    "finance:statement-import": lambda: [_access_account().code],
    "finance:payment-create": lambda: [_access_purchase_order().number],
    "finance:expense-edit": lambda: [_access_commitment().pk],
    "finance:expense-delete": lambda: [_access_commitment().pk],
    "finance:alert-detail": lambda: [_access_alert().pk],
    "finance:alert-acknowledge": lambda: [_access_alert().pk],
    "finance:alert-resolve": lambda: [_access_alert().pk],
    "finance:action-done": lambda: [_access_alert().action.pk],
    "finance:playbook-step-edit": lambda: [_access_playbook_step().pk],
    "finance:margins-sku": lambda: [_access_sku().pk],
    "finance:risk-detail": lambda: [_access_order_risk().pk],
    "finance:risk-release": lambda: [_access_order_risk().pk],
    "finance:risk-cancel": lambda: [_access_order_risk().pk],
    "finance:risk-order": lambda: [_access_order_risk().order_id],
    "reports:weekly-detail": _access_weekly_report,
    "reports:weekly-pdf": _access_weekly_report,
    "reports:weekly-xlsx": _access_weekly_report,
    "reports:daily-detail": _access_daily_digest,
    "reports:daily-pdf": _access_daily_digest,
    "reports:daily-xlsx": _access_daily_digest,
}


class _PageURLs(dict):
    """url name -> URL, its objects created on first use."""

    def __missing__(self, name):
        make = PAGE_ARGS.get(name)
        url = reverse(name, args=make() if make else [])
        self[name] = url
        return url


@pytest.fixture
def page_urls(db):
    return _PageURLs()


@pytest.mark.django_db
@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_access_by_role(page, role, client_for, page_urls):
    client = client_for(role)
    response = client.get(page_urls[page])
    expected = 200 if role in PAGES[page] else 403
    assert response.status_code == expected, f"{role} on {page}"


@pytest.mark.django_db
@pytest.mark.parametrize("page", sorted(REDIRECTS))
def test_redirecting_page_access_by_role(page, role, client_for, page_urls):
    response = client_for(role).get(page_urls[page])
    assert response.status_code == (302 if role in REDIRECTS[page] else 403), f"{role} on {page}"


@pytest.mark.django_db
@pytest.mark.parametrize("page", sorted(POST_ONLY))
def test_post_only_action_access_by_role(page, role, client_for, page_urls):
    response = client_for(role).get(page_urls[page])
    assert response.status_code == (405 if role in POST_ONLY[page] else 403), f"{role} on {page}"


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
