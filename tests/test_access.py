"""The permission matrix: every URL pattern × method × who is asking, in one table (ACCESS), checked against
Django's URL resolver.

Who asks: each of the 7 roles, a signed-in user with no role, the anonymous, and for the REST API an API key
with the scope a method needs, a key with every scope but that one, no key, and a signed-in session without
a key. The table is written out here, independently of shopops.common.roles; `test_every_url_is_in_the_table`
walks every pattern of the resolver (named or not, the API under /api/v1/ included; the Django admin is the
one rule "admin only") and fails on a pattern missing from the table or a table row without a pattern.

What the page rules mean (signed in; the anonymous are always sent to the login page):
- GET: 200 for the roles in `get`, 403 for everyone else.
- POST (empty, rolled back): a role in `post` is let in (anything but 401/403/405 and 5xx: a form error, a
  redirect); a role that may open the page but not write is 403; a page without a form (post=None) refuses
  it to everyone (405; 403 where the view checks the role or a write permission first).
- PUT, PATCH, DELETE: 405 for everyone signed in (shopops.common.http_methods), before the view runs.
- A POST-only action: GET is 405 for the roles in `post`, 403 (or 405) for the others.
"""

import dataclasses
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from orders.models import OrderException
from orders.tests.factories import order_with_lines
from shopops.common import roles
from shopops.common.models import ApiClient

OPS, PLAN, MKT, SVC, FIN, MGR, ADM = (
    "operations",
    "inventory_planner",
    "marketing",
    "service_agent",
    "finance",
    "manager",
    "admin",
)
ALL = frozenset(roles.ROLES)
NOBODY = "no-role"  # signed in, no role
ANON = "anonymous"
SIGNED_IN = ALL | {NOBODY}
PRINCIPALS = (*sorted(ALL), NOBODY, ANON)
PAGE_METHODS = ("GET", "PUT", "PATCH", "DELETE", "POST")  # POST last: it may sign out (logout)

# Outcomes besides a status code
LOGIN = "login redirect"  # 302 to the login page
LET_IN = "let in"  # past the access checks: not 401/403/405, not 5xx (a form naming no object may 404)
REFUSED = "refused"  # 403 or 405: the page takes no such request


def _f(*groups):
    return frozenset().union(*[{g} if isinstance(g, str) else g for g in groups])


@dataclasses.dataclass(frozen=True)
class Page:
    """A page: `get` roles open it (`status`, 200 or 302 for a page that redirects), `post` roles submit
    its form; post=None: no form."""

    get: frozenset
    post: frozenset | None = None
    status: int = 200

    def expect(self, who, method):
        if who == ANON:
            return LOGIN
        if method in ("PUT", "PATCH", "DELETE"):
            return 405
        if method == "POST" and self.post is None:
            return REFUSED  # no form: 405 (or 403, from a view that checks the role first)
        if who not in self.get:
            return 403
        if method == "GET":
            return self.status
        return LET_IN if who in (self.post or ()) else 403


@dataclasses.dataclass(frozen=True)
class Action:
    """A POST-only action (a button on another page)."""

    post: frozenset

    def expect(self, who, method):
        if who == ANON:
            return LOGIN
        if method in ("PUT", "PATCH", "DELETE"):
            return 405
        if method == "GET":
            return 405 if who in self.post else REFUSED
        return LET_IN if who in self.post else 403


@dataclasses.dataclass(frozen=True)
class Fixed:
    """A page outside the roles (the auth flow, health, the public survey): per method, what the anonymous
    and what every signed-in user get."""

    anon: dict
    signed_in: dict
    by_role: dict = dataclasses.field(default_factory=dict)  # method -> {role: status}: exceptions

    def expect(self, who, method):
        if who == ANON:
            return self.anon[method]
        return self.by_role.get(method, {}).get(who, self.signed_in[method])


@dataclasses.dataclass(frozen=True)
class Api:
    """A REST endpoint: per method, the scopes of which a key needs one. No key (anonymous or a signed-in
    session) → 401, a key without the scope → 403, a key with it → let in; other methods → 405."""

    methods: dict

    def __init__(self, **methods):
        object.__setattr__(self, "methods", {m.upper(): tuple(s) for m, s in methods.items()})


@dataclasses.dataclass(frozen=True)
class PublicApi:
    """An API view without keys: the schema and its docs (GET for anyone), the Shopify webhook (POST, signed
    with the channel's secret: unsigned → 401 for anyone, an API key changes nothing)."""

    methods: dict


@dataclasses.dataclass(frozen=True)
class AdminOnly:
    """The Django admin (every admin:* pattern): admin role or staff only; the others go to its login."""


def page(get, post=None):
    return Page(get=_f(get), post=None if post is None else _f(post))


def form(writers, readers=()):
    """A page with a form: `writers` open and submit it, `readers` only open it."""
    return Page(get=_f(writers, readers), post=_f(writers))


def action(roles_):
    return Action(post=_f(roles_))


def redirect(get):
    return Page(get=_f(get), status=302)


CAT = {OPS, PLAN, MKT, FIN, MGR, ADM}
ORD = {OPS, SVC, FIN, MGR, ADM}
INV = {OPS, PLAN, MGR, ADM}
MKA = {MKT, MGR, ADM}
SVA = {SVC, MGR, ADM}
FNA = {FIN, MGR, ADM}
REP = {OPS, FIN, MGR, ADM}


_OTHER_405 = {"PUT": 405, "PATCH": 405, "DELETE": 405}
_LOGIN_ALL = dict.fromkeys(PAGE_METHODS, LOGIN)
TWO_FACTOR = {FIN, MGR, ADM}

# url name (or, for an unnamed pattern, its route) -> who may do what. Reading pages first in each area, then
# pages with a form, then POST-only actions.
ACCESS = {
    # --- outside the roles: the auth flow, the language switch, health, notifications, the public survey
    "login": Fixed(
        anon={"GET": 200, "POST": 200, **_OTHER_405},  # an empty POST: the form again, with its errors
        signed_in={"GET": 302, "POST": 302, **_OTHER_405},  # already signed in: sent on
    ),
    "logout": Fixed(anon=_LOGIN_ALL, signed_in={"GET": 405, "POST": 302, **_OTHER_405}),
    "set_language": Fixed(
        anon={"GET": 302, "POST": 302, **_OTHER_405},
        signed_in={"GET": 302, "POST": 302, **_OTHER_405},
    ),
    "healthz": Fixed(
        anon={"GET": 200, "POST": 405, **_OTHER_405}, signed_in={"GET": 200, "POST": 405, **_OTHER_405}
    ),
    # the survey a customer answers: the token in the URL is the key (an unknown token: 404); an empty POST
    # shows the form again
    "survey:answer": Fixed(
        anon={"GET": 200, "POST": 200, **_OTHER_405}, signed_in={"GET": 200, "POST": 200, **_OTHER_405}
    ),
    # every signed-in user's own
    "notifications": form(SIGNED_IN),
    # two-factor authentication: required (and so set up, in these sessions) for finance, manager and admin
    "accounts:security": Fixed(anon=_LOGIN_ALL, signed_in={"GET": 200, "POST": 405, **_OTHER_405}),
    "accounts:totp-enrol": Fixed(anon=_LOGIN_ALL, signed_in={"GET": 200, "POST": LET_IN, **_OTHER_405}),
    # already verified, or nothing to verify: sent on
    "accounts:verify": Fixed(anon=_LOGIN_ALL, signed_in={"GET": 302, "POST": 302, **_OTHER_405}),
    # without an authenticator: sent to the security page; with one: the count, a POST makes new codes
    "accounts:recovery-codes": Fixed(
        anon=_LOGIN_ALL,
        signed_in={"GET": 302, "POST": 302, **_OTHER_405},
        by_role={"GET": dict.fromkeys(TWO_FACTOR, 200), "POST": dict.fromkeys(TWO_FACTOR, 200)},
    ),
    # turning it off: only where it is optional
    "accounts:two-factor-disable": Fixed(
        anon=_LOGIN_ALL,
        signed_in={"GET": 405, "POST": 302, **_OTHER_405},
        by_role={"POST": dict.fromkeys(TWO_FACTOR, 403)},
    ),
    # --- home, audit trail, failed jobs
    "home": page(ALL),
    "audit-log": page({MGR, ADM}),
    "jobs-failed": page({MGR, ADM}),
    "jobs-failed-retry": action({ADM}),
    # personal-data requests (export, erase): admin only
    "privacy:request-list": page({ADM}),
    "privacy:customer": page({ADM}),
    "privacy:customer-export": page({ADM}),
    "privacy:customer-erase": action({ADM}),
    # --- catalog
    "catalog:overview": page(CAT),
    "catalog:sku-list": page(CAT),
    "catalog:sku-detail": page(CAT),
    "catalog:recommendations": form({OPS, ADM}, CAT),
    "catalog:export": page({OPS, ADM}),
    "catalog:bundles": page({OPS, ADM}),
    "catalog:import": form({OPS, ADM}),
    "catalog:competitor-import": form({OPS, ADM}),
    # pricing tools: operations and admin (catalog.change_sku); manager and the others do not open them
    "catalog:sku-price": form({OPS, ADM}),
    "catalog:sku-costs": form({OPS, ADM}),
    "catalog:bulk-price": form({OPS, ADM}),
    "catalog:channel-prices": form({OPS, ADM}),
    "catalog:tier-prices": form({OPS, ADM}),
    "catalog:bundle-create": form({OPS, ADM}),
    # --- orders
    "orders:overview": page(ORD),
    "orders:order-detail": page(ORD),
    "orders:customer-detail": page(ORD),
    "orders:channel-list": page({OPS, FIN, MGR, ADM}),
    "orders:exception-list": form({OPS, ADM}, ORD),  # bulk resolve
    "orders:exception-resolve": form({OPS, ADM}),
    "orders:channel-edit": form({ADM}),
    "orders:order-import": form({OPS, ADM}),
    "orders:rate-list": form({FIN, ADM}, {MGR}),
    "orders:rate-import": form({FIN, ADM}),
    # --- inventory: the area reads; the forms that write are the planner's and admin's
    "inventory:overview": page(INV),
    "inventory:ledger": page(INV),
    "inventory:transfer-list": page(INV),
    "inventory:stocktake-list": page(INV),
    "inventory:supplier-list": page(INV),
    "inventory:po-list": page(INV),
    "inventory:sku-stock": page(INV),
    "inventory:forecast-accuracy": page(INV),
    "inventory:kpis": page(INV),
    "inventory:transfer-detail": form({PLAN, ADM}, INV),
    "inventory:stocktake-detail": form({PLAN, ADM}, INV),
    "inventory:supplier-detail": form({PLAN, ADM}, INV),
    "inventory:po-detail": form({PLAN, ADM}, INV),
    "inventory:replenishment": form({PLAN, ADM}, INV),  # approving suggestions
    "inventory:adjust": form({PLAN, ADM}),
    "inventory:return-create": form({PLAN, ADM}),
    "inventory:transfer-create": form({PLAN, ADM}),
    "inventory:stocktake-create": form({PLAN, ADM}),
    "inventory:supplier-create": form({PLAN, ADM}),
    "inventory:supplier-edit": form({PLAN, ADM}),
    "inventory:po-create": form({PLAN, ADM}),
    # --- marketing: the area reads; creating and editing is marketing's and admin's (manager reads)
    "marketing:overview": page(MKA),
    "marketing:promotion-list": page(MKA),
    "marketing:promotion-detail": page(MKA),
    "marketing:promotion-results": page(MKA),
    "marketing:promotion-result": page(MKA),
    "marketing:campaign-list": page(MKA),
    "marketing:referral-list": page(MKA),
    "marketing:segment-grid": page(MKA),
    "marketing:segment-customers": page(MKA),
    "marketing:winback-list": page(MKA),
    "marketing:birthday-list": page(MKA),
    "marketing:coupon-list": page(MKA),
    "marketing:redemption-list": page(MKA),
    "marketing:flash-sale-list": page(MKA),
    "marketing:coupon-batch-export": page(MKA),
    "marketing:promotion-simulate": form(MKA),  # a simulation: reading roles submit it too, nothing is saved
    "marketing:campaign-detail": form({MKT, ADM}, MKA),  # checklist
    "marketing:calendar": form({MKT, ADM}, MKA),
    "marketing:membership": form({MKT, ADM}, MKA),
    "marketing:customer-points": form({MKT, ADM}, MKA),
    "marketing:promotion-create": form({MKT, ADM}),
    "marketing:promotion-edit": form({MKT, ADM}),
    "marketing:campaign-create": form({MKT, ADM}),
    "marketing:campaign-edit": form({MKT, ADM}),
    "marketing:ad-import": form({MKT, ADM}),
    "marketing:referral-create": form({MKT, ADM}),
    "marketing:coupon-batch-create": form({MKT, ADM}),
    "marketing:coupon-create": form({MKT, ADM}),
    # --- service: agents, managers (as supervisors) and admin read and work tickets, returns and
    # compensation; supervisor-only (service.supervise_ticket): SLA policies and settings, the compensation
    # standard, filing the escalation report
    "service:overview": page(SVA),
    "service:ticket-list": page(SVA),
    "service:ticket-detail": page(SVA),
    "service:sla-policy-list": page(SVA),
    "service:escalation-list": page(SVA),
    "service:kb-list": page(SVA),
    "service:kb-suggest": page(SVA),
    "service:kb-coverage": page(SVA),
    "service:kb-detail": page(SVA),
    "service:feedback-list": page(SVA),
    "service:return-list": page(SVA),
    "service:return-detail": page(SVA),
    "service:compensation-list": page(SVA),
    "service:satisfaction": page(SVA),
    "service:customer-detail": page(SVA),
    "service:ticket-create": form(SVA),
    "service:kb-create": form(SVA),
    "service:kb-edit": form(SVA),
    "service:feedback-import": form(SVA),
    "service:keyword-report": form(SVA),  # rebuild a month
    "service:return-create": form(SVA),
    "service:compensation-create": form(SVA),
    "service:escalation-report": form({MGR, ADM}, SVA),
    "service:sla-policy-create": form({MGR, ADM}),
    "service:sla-policy-edit": form({MGR, ADM}),
    "service:sla-settings": form({MGR, ADM}),
    "service:compensation-standard": form({MGR, ADM}),
    "service:ticket-reply": action(SVA),
    "service:ticket-update": action(SVA),
    "service:kb-insert": action(SVA),
    "service:return-action": action(SVA),
    "service:compensation-decide": action({MGR, ADM}),
    # --- finance: finance works, the manager reads (every POST 403), admin does all
    "finance:forecast": page(FNA),
    "finance:forecast-export": page(FNA),
    "finance:forecast-cell": page(FNA),
    "finance:scenario-list": page(FNA),
    "finance:account-list": page(FNA),
    "finance:account-detail": page(FNA),
    "finance:settlement-list": page(FNA),
    "finance:receivables": page(FNA),
    "finance:payables": page(FNA),
    "finance:expense-list": page(FNA),
    "finance:alert-list": page(FNA),
    "finance:alert-detail": page(FNA),
    "finance:margins": page(FNA),
    "finance:margins-export": page(FNA),
    "finance:margins-sku": page(FNA),
    "finance:budget": page(FNA),
    "finance:risk-queue": page(FNA),
    "finance:risk-detail": page(FNA),
    # the order page's hold banner: to the order's risk review, or the queue when it was never scored
    "finance:risk-order": redirect(FNA),
    "finance:overview": form({FIN, ADM}, FNA),
    "finance:account-create": form({FIN, ADM}, FNA),
    "finance:account-edit": form({FIN, ADM}, FNA),
    "finance:transaction-create": form({FIN, ADM}, FNA),
    "finance:statement-import": form({FIN, ADM}, FNA),
    "finance:settlement-import": form({FIN, ADM}, FNA),
    "finance:payment-create": form({FIN, ADM}, FNA),
    "finance:expense-create": form({FIN, ADM}, FNA),
    "finance:expense-edit": form({FIN, ADM}, FNA),
    "finance:threshold-list": form({FIN, ADM}, FNA),
    "finance:settings": form({FIN, ADM}, FNA),
    "finance:budget-edit": form({FIN, ADM}, FNA),
    "finance:scenario-create": form({FIN, ADM}),
    "finance:scenario-edit": form({FIN, ADM}),
    "finance:playbook-step-create": form({FIN, ADM}),
    "finance:playbook-step-edit": form({FIN, ADM}),
    "finance:forecast-rebuild": action({FIN, ADM}),
    "finance:scenario-delete": action({FIN, ADM}),
    "finance:expense-delete": action({FIN, ADM}),
    "finance:alert-acknowledge": action({FIN, ADM}),
    "finance:alert-resolve": action({FIN, ADM}),
    "finance:action-done": action({FIN, ADM}),
    "finance:risk-release": action({FIN, ADM}),
    "finance:risk-cancel": action({FIN, ADM}),
    # --- reports
    "reports:overview": page(REP),
    "reports:explorer": page(REP),
    "reports:anomalies": page(REP),
    "reports:weekly-list": page(REP),
    "reports:weekly-detail": page(REP),
    "reports:weekly-pdf": page(REP),
    "reports:weekly-xlsx": page(REP),
    "reports:daily-list": page(REP),
    "reports:daily-detail": page(REP),
    "reports:daily-pdf": page(REP),
    "reports:daily-xlsx": page(REP),
    "reports:subscriptions": form(REP),  # one's own subscriptions
    "reports:weekly-generate": action({MGR, ADM}),
    "reports:daily-generate": action({MGR, ADM}),
    # --- the REST API (/api/v1/): per method, the scopes of which a key needs one
    "api-order-sync": Api(post=["orders:write"]),
    "api-order-list": Api(get=["orders:read"]),
    "api-order-detail": Api(get=["orders:read"]),
    "api-sku-list": Api(get=["catalog:read"], put=["catalog:write"]),
    "api-competitor-prices": Api(post=["catalog:write"]),
    "api-stock-list": Api(get=["stock:read"]),
    "api-inventory-forecasts": Api(get=["inventory:read"]),
    "api-inventory-suggestions": Api(get=["inventory:read"]),
    "api-inventory-levels": Api(get=["inventory:read"]),
    "api-pricing-quote": Api(post=["pricing:quote"]),
    "api-promotion-list": Api(get=["marketing:read", "marketing:write"], post=["marketing:write"]),
    "api-promotion-detail": Api(get=["marketing:read", "marketing:write"], put=["marketing:write"]),
    "api-flash-claim-create": Api(post=["pricing:quote", "marketing:write"]),
    "api-ad-metrics": Api(post=["marketing:write"]),
    "api-ticket-list": Api(get=["service:read", "service:write"], post=["service:write"]),
    "api-ticket-detail": Api(get=["service:read", "service:write"]),
    "api-ticket-message-create": Api(post=["service:write"]),
    "api-feedback": Api(get=["service:read", "service:write"], post=["service:write"]),
    "api-return-create": Api(post=["service:write"]),
    "api-return-detail": Api(get=["service:read", "service:write"]),
    "api-survey-answer": Api(post=["service:write"]),
    "api-reports-kpis": Api(get=["reports:read"]),
    "api-shopify-webhook": PublicApi(methods={"POST": 401}),  # signed by the channel's secret, not a key
    "api-schema": PublicApi(methods={"GET": 200}),
    "api-docs": PublicApi(methods={"GET": 200}),
    # --- the Django admin: one rule for every admin:* pattern
    "admin:*": AdminOnly(),
}


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


def _access_survey():
    from service.tests.factories_surveys import SurveyFactory

    return SurveyFactory(kind="csat")


def _access_failed_task():
    from shopops.common.models import FailedTask

    now = timezone.now()
    return FailedTask.objects.create(
        task_name="shopops.tests.fail",
        task_id="matrix-task",
        exception_type="RuntimeError",
        first_failed_at=now,
        last_failed_at=now,
    )


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
    "jobs-failed-retry": lambda: [_access_failed_task().pk],
    "survey:answer": lambda: [_access_survey().token],
    "privacy:customer": lambda: [_access_order().customer.pk],
    "privacy:customer-export": lambda: [_access_order().customer.pk],
    "privacy:customer-erase": lambda: [_access_order().customer.pk],
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


# --- the walk ------------------------------------------------------------------------------------------


def url_patterns(resolver=None, namespace="", prefix=""):
    """(table key, pattern) for every pattern of the resolver: its full name, or for an unnamed one its
    route; every pattern of the Django admin is "admin:*"."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                yield "admin:*", pattern
                continue
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern, ns, route)
        elif isinstance(pattern, URLPattern):
            yield (f"{namespace}{pattern.name}" if pattern.name else route), pattern


def _drf_methods(pattern) -> set[str] | None:
    """The methods a REST framework view handles (its own handlers, not OPTIONS), or None for a page."""
    view_class = getattr(pattern.callback, "cls", None)
    if view_class is None:
        return None
    return {
        m.upper()
        for m in view_class.http_method_names
        if m not in ("options", "head") and hasattr(view_class, m)
    }


def test_every_url_is_in_the_table():
    patterns = dict(url_patterns())
    assert set(patterns) - set(ACCESS) == set(), "URL patterns missing from the access table"
    assert set(ACCESS) - set(patterns) == set(), "the table lists URLs that do not exist"


def test_the_api_rows_name_exactly_the_methods_each_view_handles():
    for key, pattern in url_patterns():
        rule = ACCESS[key]
        methods = _drf_methods(pattern)
        if isinstance(rule, Api | PublicApi):
            assert methods is not None, f"{key} is not a REST framework view"
            assert set(rule.methods) == methods, key
            if isinstance(rule, Api):
                view_class = pattern.callback.cls
                assert view_class.required_scope in {s for scopes in rule.methods.values() for s in scopes}, (
                    key
                )
        else:
            assert methods is None, f"{key} is a REST framework view: give it an Api row"


# --- pages ---------------------------------------------------------------------------------------------

PAGE_RULES = sorted(k for k, rule in ACCESS.items() if isinstance(rule, Page | Action | Fixed))


def _matches(response, expected) -> bool:
    status = response.status_code
    if expected == LOGIN:
        return status == 302 and response["Location"].startswith(reverse("login"))
    if expected == LET_IN:
        return status not in (401, 403, 405) and status < 500
    if expected == REFUSED:
        return status in (403, 405)
    return status == expected


def _send(client, method, url):
    """The request; a POST that gets in is rolled back, so that every principal meets the same objects."""
    with transaction.atomic():
        response = getattr(client, method.lower())(url)
        transaction.set_rollback(True)
    return response


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGE_RULES)
def test_page_matrix(name, client_for, page_urls):
    """Every role, a user without a role and the anonymous × GET, POST (empty), PUT, PATCH, DELETE."""
    rule = ACCESS[name]
    url = page_urls[name]
    wrong = []
    for who in PRINCIPALS:
        client = Client() if who == ANON else client_for(None if who == NOBODY else who)
        for method in PAGE_METHODS:
            expected = rule.expect(who, method)
            response = _send(client, method, url)
            if not _matches(response, expected):
                wrong.append(f"{who} {method}: {response.status_code}, expected {expected}")
        if who != ANON:
            client.logout()
    assert not wrong, f"{name} ({url}):\n" + "\n".join(wrong)


@pytest.mark.django_db
def test_the_admin_is_for_the_admin_role_only(client_for):
    """Every admin:* pattern goes through the admin site's own check: admin role (or staff) only."""
    admin_urls = [
        "/admin/",
        reverse("admin:common_apiclient_changelist"),
        reverse("admin:auth_user_changelist"),
    ]
    for who in PRINCIPALS:
        client = Client() if who == ANON else client_for(None if who == NOBODY else who)
        for url in admin_urls:
            get, post = client.get(url), _send(client, "POST", url)
            if who == ADM:
                assert get.status_code == 200, (who, url)
            elif who == ANON:  # to a login page: the admin index has its own, the rest ours
                for response in (get, post):
                    assert response.status_code == 302, (who, url)
                    assert response["Location"].startswith((reverse("login"), reverse("admin:login"))), (
                        who,
                        url,
                    )
            else:
                for response in (get, post):
                    assert response.status_code == 302, (who, url)
                    assert response["Location"].startswith(reverse("admin:login")), (who, url)
            put = client.put(url)
            assert put.status_code == (302 if who == ANON else 405), (who, url)
        if who != ANON:
            client.logout()


# --- the REST API --------------------------------------------------------------------------------------

API_ARGS = {
    "api-order-detail": {"channel": "tmall", "external_id": "none"},
    "api-promotion-detail": {"code": "NONE"},
    "api-flash-claim-create": {"code": "NONE"},
    "api-ticket-detail": {"number": "T-NONE"},
    "api-ticket-message-create": {"number": "T-NONE"},
    "api-return-detail": {"number": "R-NONE"},
    "api-survey-answer": {"token": "none"},
    "api-shopify-webhook": {"channel": "tmall"},
}
SCOPES = [code for code, _label in ApiClient.SCOPES]


def _key(scopes) -> str:
    _client, key = ApiClient.objects.create_key(name="matrix", scopes=sorted(scopes))
    return key


@pytest.fixture
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(k for k, rule in ACCESS.items() if isinstance(rule, Api | PublicApi)))
def test_api_matrix(name, client_for, _empty_cache):
    """Every method × no key, a signed-in session without a key (the API ignores sessions: 401), a key
    without the scope (403), a key with each scope that serves (let in); methods the view does not handle
    → 405 to a key with every scope."""
    rule = ACCESS[name]
    url = reverse(name, kwargs=API_ARGS.get(name))
    anonymous = Client()
    session = client_for(ADM)
    full_key = _key(SCOPES)
    wrong = []

    def check(who, client, method, expected, key=None):
        headers = {"HTTP_AUTHORIZATION": f"Api-Key {key}"} if key else {}
        with transaction.atomic():
            response = getattr(client, method.lower())(url, content_type="application/json", **headers)
            transaction.set_rollback(True)
        status = response.status_code
        ok = (status not in (401, 403, 405) and status < 500) if expected == LET_IN else status == expected
        if not ok:
            wrong.append(f"{who} {method}: {status}, expected {expected}")

    for method in PAGE_METHODS:
        if isinstance(rule, PublicApi):
            expected = rule.methods.get(method, 405)
            for who, client, key in (
                ("anonymous", anonymous, None),
                ("session", session, None),
                ("any key", anonymous, full_key),
            ):
                check(who, client, method, expected, key)
            continue
        scopes = rule.methods.get(method)
        check("anonymous", anonymous, method, 401)
        if scopes is None:
            check("key with every scope", anonymous, method, 405, full_key)
            continue
        check("session without a key", session, method, 401)
        check("key without the scope", anonymous, method, 403, _key(set(SCOPES) - set(scopes)))
        for scope in scopes:
            check(f"key with {scope}", anonymous, method, LET_IN, _key([scope]))
    assert not wrong, f"{name} ({url}):\n" + "\n".join(wrong)


# --- lists and exports are filtered too: no cost for a service agent ------------------------------------

COST = Decimal("47.83")  # a unit cost no other figure of the shop below shares
# the unit cost, the line's cost of goods (3 x), the unit and line margins at 99.00 (they give the cost away)
COST_FIGURES = ("47.83", "143.49", "51.17", "153.51")


def _cost_shop():
    """An order of 3 x 99.00 of a SKU costing 47.83 (the line keeps the cost), with its exception, a ticket,
    a return and a supplier offer at that cost: every page a service agent opens has something to show."""
    from inventory.models import Supplier, SupplierSKU
    from orders.models import OrderLine
    from service.tests.factories_returns import return_make
    from service.tests.factories_tickets import ticket_make

    sku = SKUFactory(code="COST-1", unit_cost=COST, list_price=Decimal("99.00"))
    order = order_with_lines(lines=[(sku, 3, Decimal("99.00"), Decimal("0.00"))], status="delivered")
    OrderLine.objects.filter(order=order).update(unit_cost=COST)
    OrderException.objects.create(order=order, kind=OrderException.Kind.ADDRESS)
    supplier = Supplier.objects.create(code="sup-cost", name="Cost supplier")
    SupplierSKU.objects.create(supplier=supplier, sku=sku, unit_cost=COST)
    ticket = ticket_make(customer=order.customer, order=order)
    returned = return_make(order=order)
    return {
        "orders:order-detail": [order.pk],
        "orders:customer-detail": [order.customer.pk],
        "service:customer-detail": [order.customer.pk],
        "service:ticket-detail": [ticket.number],
        "service:return-detail": [returned.number],
    }


def _text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8", "replace")


@pytest.mark.django_db
def test_no_page_or_export_a_service_agent_opens_shows_a_cost(client_for):
    """Every page the table opens to service agents, and its CSV export where it has one: no unit cost, cost
    of goods or margin (shopops.common.privacy.COST_ROLES)."""
    from shopops.common.privacy import COST_ROLES, can_see_costs

    assert SVC not in COST_ROLES
    args = _cost_shop()
    client = client_for(SVC)
    assert can_see_costs(client.get(reverse("home")).wsgi_request.user) is False
    exported = []
    for name, rule in sorted(ACCESS.items()):
        if not (isinstance(rule, Page) and SVC in rule.get and rule.status == 200):
            continue
        with transaction.atomic():  # the objects of PAGE_ARGS, made for this page only
            make = PAGE_ARGS.get(name)
            url = reverse(name, args=args.get(name) or (make() if make else []))
            for query in ("", "?export=csv", "?format=csv"):
                response = client.get(url + query)
                assert response.status_code == 200, (name, query)
                text = _text(response)
                for figure in COST_FIGURES:
                    assert figure not in text, f"{name}{query} shows {figure}"
                if response["Content-Type"].startswith("text/csv"):
                    exported.append(name + query)
            transaction.set_rollback(True)
    # the lists' exports were among them (and the order's line with its cost was in the ones tested)
    assert {
        "orders:overview?export=csv",
        "service:ticket-list?export=csv",
        "service:return-list?export=csv",
    } <= set(exported), exported


@pytest.mark.django_db
def test_the_cost_figures_are_there_for_the_roles_that_may_see_them(client_for):
    """The check above is not vacuous: the same shop shows the cost on the SKU page to operations."""
    _cost_shop()
    text = _text(client_for(OPS).get(reverse("catalog:sku-detail", args=["COST-1"])))
    assert "47.83" in text


# --- personal data: phones, emails and addresses in full only for the roles whose work needs them ---------

PERSONAL = {OPS, SVC, ADM}
# url name -> the personal fields it shows
PERSONAL_DATA_PAGES = {
    "orders:order-detail": ("phone", "address"),
    "orders:customer-detail": ("phone", "email"),
    "service:customer-detail": ("phone",),
}
FULL = {"phone": "13912345678", "email": "wang.fang@example.com", "address": "上海市浦东新区世纪大道1000号"}
MASKED_PHONE = "139****5678"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PERSONAL_DATA_PAGES))
def test_personal_data_is_masked_for_the_roles_that_do_not_need_it(name, client_for):
    order = order_with_lines(lines=[], address=FULL["address"])
    customer = order.customer
    customer.phone, customer.email = FULL["phone"], FULL["email"]
    customer.save()
    url = reverse(name, args=[order.pk if name == "orders:order-detail" else customer.pk])
    for role in sorted(ACCESS[name].get):
        client = client_for(role)
        text = client.get(url).content.decode()
        for field in PERSONAL_DATA_PAGES[name]:
            assert (FULL[field] in text) is (role in PERSONAL), f"{role} on {name}: {field}"
        if role not in PERSONAL:
            assert MASKED_PHONE in text, f"{role} on {name}"
        client.logout()


# --- other checks --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_navigation_shows_only_the_areas_of_the_role(client_for):
    html = client_for(SVC).get(reverse("home")).content.decode()
    assert 'data-area="service"' in html and 'data-area="orders"' in html
    assert 'data-area="finance"' not in html and 'data-area="catalog"' not in html


@pytest.mark.django_db
def test_healthz_needs_no_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
