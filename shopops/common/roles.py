"""Roles: Django groups, what each may open, and the permissions each holds.

The role is the unit of access in ShopOps. Pages name their *area*; `AREA_ROLES` says which roles may
open each area (manager reads everything; admin may do everything). Model permissions on the groups
serve the Django admin and the API and are kept in step by `roles_sync` after every migrate.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.utils.translation import gettext_lazy as _

OPERATIONS = "operations"
INVENTORY_PLANNER = "inventory_planner"
MARKETING = "marketing"
SERVICE_AGENT = "service_agent"
FINANCE = "finance"
MANAGER = "manager"
ADMIN = "admin"

ROLES = {
    OPERATIONS: _("Operations"),
    INVENTORY_PLANNER: _("Inventory planner"),
    MARKETING: _("Marketing"),
    SERVICE_AGENT: _("Service agent"),
    FINANCE: _("Finance"),
    MANAGER: _("Manager"),
    ADMIN: _("Administrator"),
}

HOME = "home"
CATALOG = "catalog"
ORDERS = "orders"
INVENTORY = "inventory"
MARKETING_AREA = "marketing"
SERVICE = "service"
FINANCE_AREA = "finance"
REPORTS = "reports"
JOBS = "jobs"  # background jobs: the failed-jobs table (/jobs/failed/)
AUDIT = "audit"  # the audit trail (/audit/)

# Which roles may open the pages of each area. Manager and admin open every area.
AREA_ROLES = {
    HOME: set(ROLES),
    CATALOG: {OPERATIONS, INVENTORY_PLANNER, MARKETING, FINANCE, MANAGER, ADMIN},
    ORDERS: {OPERATIONS, SERVICE_AGENT, FINANCE, MANAGER, ADMIN},
    INVENTORY: {OPERATIONS, INVENTORY_PLANNER, MANAGER, ADMIN},
    MARKETING_AREA: {MARKETING, MANAGER, ADMIN},
    SERVICE: {SERVICE_AGENT, MANAGER, ADMIN},
    FINANCE_AREA: {FINANCE, MANAGER, ADMIN},
    REPORTS: {OPERATIONS, FINANCE, MANAGER, ADMIN},
    JOBS: {MANAGER, ADMIN},
    AUDIT: {MANAGER, ADMIN},
}

# Model permissions per role: app label -> actions on every model of that app.
ROLE_PERMISSIONS = {
    OPERATIONS: {
        "catalog": ("view", "add", "change"),
        "orders": ("view", "add", "change"),
        "inventory": ("view",),
        "reports": ("view",),
    },
    INVENTORY_PLANNER: {"catalog": ("view",), "inventory": ("view", "add", "change")},
    MARKETING: {"catalog": ("view",), "orders": ("view",), "marketing": ("view", "add", "change")},
    SERVICE_AGENT: {"orders": ("view",), "service": ("view", "add", "change")},
    FINANCE: {
        "catalog": ("view",),
        "orders": ("view",),
        "finance": ("view", "add", "change"),
        "reports": ("view",),
    },
    MANAGER: dict.fromkeys(
        ("catalog", "orders", "inventory", "marketing", "service", "finance", "reports"), ("view",)
    )
    | {"reports": ("view", "add", "change")}
    # Service supervisors are managers: they reassign tickets, edit SLA policies, approve compensation
    # above an agent's limit and file the written report of an escalated complaint.
    | {"service": ("view", "add", "change", "supervise")},
    # Pricing below the margin floor (catalog.override_margin_floor) is the admin's, or given to a person.
    ADMIN: dict.fromkeys(
        ("catalog", "orders", "inventory", "marketing", "service", "finance", "reports", "common", "auth"),
        ("view", "add", "change", "delete", "override", "supervise"),
    ),
}


def user_roles(user) -> set[str]:
    """The role names of a user (cached on the user object for the request)."""
    if not user.is_authenticated:
        return set()
    if not hasattr(user, "_shopops_roles"):
        roles = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        if user.is_superuser:
            roles.add(ADMIN)
        user._shopops_roles = roles
    return user._shopops_roles


def can_open(user, area: str) -> bool:
    return bool(user_roles(user) & AREA_ROLES[area])


def primary_role(user) -> str | None:
    """The role shown in the header: the first of the user's roles in ROLES order."""
    roles = user_roles(user)
    return next((name for name in ROLES if name in roles), None)


def area_required(area: str):
    """View decorator: the user must hold a role that may open `area`, else 403."""
    if area not in AREA_ROLES:
        raise ValueError(f"Unknown area {area!r}")

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not can_open(request.user, area):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.shopops_area = area
        return wrapped

    return decorator


def permission_required(area: str, permission: str):
    """View decorator for pages that write: the user must open `area` and hold `permission` (every method,
    GET included), else 403."""

    def decorator(view):
        @area_required(area)
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def post_requires(request, permission: str) -> None:
    """For a reading page with a form: a POST needs `permission`, else 403."""
    if request.method == "POST" and not request.user.has_perm(permission):
        raise PermissionDenied


def reading_page(view):
    """View decorator for a page without a form: anything but GET and HEAD → 405. Put it under
    `area_required`, so that a role outside the area still gets 403."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return view(request, *args, **kwargs)

    return wrapped


def roles_sync(apps=None, *, using="default") -> None:
    """Create the role groups and give each exactly the permissions in ROLE_PERMISSIONS. Each group's
    change is recorded in the audit trail, once per group and marked as the role sync's (not with
    historical models in a data migration: the audit table may not exist yet)."""
    from shopops.common import audit  # models: not importable while the app registry loads

    audited = apps is None and audit.audit_table_ready(using)
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    with audit.audit_signals_paused():
        for role, grants in ROLE_PERMISSIONS.items():
            group, _created = Group.objects.using(using).get_or_create(name=role)
            wanted = []
            for app_label, actions in grants.items():
                codename_prefixes = tuple(f"{action}_" for action in actions)
                for perm in Permission.objects.using(using).filter(content_type__app_label=app_label):
                    if perm.codename.startswith(codename_prefixes):
                        wanted.append(perm)
            before = set(group.permissions.values_list("pk", flat=True)) if audited else set()
            group.permissions.set(wanted)
            if audited:
                _permissions_audit(audit, Permission, group, before, {p.pk for p in wanted}, using)


def _permissions_audit(audit, Permission, group, before: set[int], after: set[int], using: str) -> None:
    """What the role sync added to and removed from a group's permissions, as audit entries."""
    names = {
        pk: f"{app_label}.{codename}"
        for pk, app_label, codename in Permission.objects.using(using)
        .filter(pk__in=before ^ after)
        .values_list("pk", "content_type__app_label", "codename")
    }
    audit.audit_record_many(
        [
            audit.AuditRecord(
                group,
                "update",
                {"permissions": {"type": "m2m", "operation": op, "objects": sorted(names[pk] for pk in pks)}},
                additional_data={"source": "roles_sync"},
            )
            for op, pks in (("add", after - before), ("delete", before - after))
            if pks
        ]
    )


def roles_sync_on_migrate(sender, app_config=None, using="default", **kwargs):
    """post_migrate receiver: only once per migrate, after the last app (ours) has its permissions."""
    if app_config is not None and app_config.label == "shopops":
        roles_sync(using=using)
