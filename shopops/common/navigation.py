"""The main navigation: one entry per area, shown to the roles that may open it."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shopops.common import roles

NAVIGATION = [
    (roles.HOME, _("Dashboard"), "home"),
    (roles.CATALOG, _("Catalog"), "catalog:overview"),
    (roles.ORDERS, _("Orders"), "orders:overview"),
    (roles.INVENTORY, _("Inventory"), "inventory:overview"),
    (roles.MARKETING_AREA, _("Marketing"), "marketing:overview"),
    (roles.SERVICE, _("Service"), "service:overview"),
    (roles.FINANCE_AREA, _("Finance"), "finance:overview"),
    (roles.REPORTS, _("Reports"), "reports:overview"),
    (roles.JOBS, _("Failed jobs"), "jobs-failed"),
    (roles.AUDIT, _("Audit trail"), "audit-log"),
]


def navigation_for(user, resolver_match=None):
    current_app = resolver_match.app_name if resolver_match else ""
    current_name = resolver_match.url_name if resolver_match else ""
    items = []
    for area, label, url_name in NAVIGATION:
        if not roles.can_open(user, area):
            continue
        namespace = url_name.split(":")[0] if ":" in url_name else ""
        active = (namespace and namespace == current_app) or (not namespace and current_name == url_name)
        items.append({"area": area, "label": label, "url": reverse(url_name), "active": bool(active)})
    return items
