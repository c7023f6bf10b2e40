"""The audit trail: who changed what, when (UTC), before and after.

Two ways in, one table (django-auditlog's LogEntry):

- Ordinary saves of the models listed in AUDITED are recorded by django-auditlog's signals, limited to the
  fields that matter. The actor, the client address and the correlation id come from `AuditMiddleware`
  (web requests) or from `audit_context(actor=..., source=...)` (jobs and commands).
- Writes that bypass model signals (queryset.update(), bulk_create, bulk_update, raw SQL) record explicitly
  with `audit_record` / `audit_record_many`, inside the transaction of the change, so that a rolled-back
  change leaves no record. Models recorded only this way are listed in EXPLICIT (stock levels, orders'
  refunds: auditing every save of those would put a write on the order sync's hot path).

Values are stored as text: Decimal exactly as it is (`str(Decimal("12.50"))`), datetimes in UTC, None as
"None" (django-auditlog's own convention). LogEntry.timestamp is an aware UTC datetime.

This module sits in the bottom layer: it names the audited models by label ("catalog.SKU") and never
imports the apps.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from auditlog.cid import get_cid
from auditlog.middleware import AuditlogMiddleware
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.db.models.signals import pre_save
from django.utils import timezone
from django.utils.encoding import smart_str
from django.utils.module_loading import import_string
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

SECRET_MASK = "••••••"  # noqa: S105 (what a secret shows as, not a secret)

# Models recorded by django-auditlog's signals, with the fields that matter (the rows' own created_at and
# updated_at are left out everywhere: UNTRACKED). Secrets are masked whole; an API client's key hash is
# never recorded (its primary key contains it: see _entry_complete).
UNTRACKED = ["created_at", "updated_at"]
_SECRET = {"mask_callable": "shopops.common.audit.mask_secret"}
AUDITED: dict[str, dict] = {
    # catalogue: prices, costs, pricing rules and the margin floor
    "catalog.SKU": {"include_fields": ["code", "list_price", "unit_cost", "active"]},
    "catalog.SKUCost": {"exclude_fields": ["sku"]},
    "catalog.ChannelPrice": {"include_fields": ["sku", "channel", "price"]},
    "catalog.MemberTierPrice": {"include_fields": ["sku", "tier", "price"]},
    "catalog.ChannelAdjustment": {"include_fields": ["channel", "percent", "round_to_9"]},
    "catalog.CategoryPricing": {"include_fields": ["category", "margin_floor"]},
    "catalog.CategoryCommission": {"include_fields": ["category", "channel", "rate"]},
    "catalog.PricingSettings": {},
    # inventory: stocktakes, reorder settings, suppliers' lead times and costs (adjustments: EXPLICIT)
    "inventory.Stocktake": {"include_fields": ["number", "status", "approved_by", "approved_at"]},
    "inventory.InventorySettings": {},
    "inventory.Supplier": {
        "include_fields": [
            "code",
            "lead_time_days",
            "lead_time_spread_days",
            "payment_terms_days",
            "qualified",
            "active",
        ]
    },
    "inventory.SupplierSKU": {
        "include_fields": ["supplier", "sku", "unit_cost", "min_order_qty", "case_pack"]
    },
    # orders: channel fees and exchange rates (refunds: EXPLICIT, orders are not audited wholesale)
    "orders.Channel": {
        "include_fields": [
            "code",
            "name",
            "commission_rate",
            "payment_fee_rate",
            "settlement_days",
            "currency",
            "active",
            "webhook_secret",
        ],
        "mask_fields": ["webhook_secret"],
        **_SECRET,
    },
    "orders.ExchangeRate": {"include_fields": ["date", "currency", "rate_to_shop_currency"]},
    # service: compensation, its standard and limits, SLA policies and settings
    "service.Compensation": {
        "include_fields": [
            "ticket",
            "order",
            "problem",
            "severity",
            "remedy",
            "amount",
            "status",
            "requested_by",
            "decided_by",
            "decided_at",
        ]
    },
    "service.CompensationRule": {"include_fields": ["problem", "severity", "remedy", "amount", "active"]},
    "service.CompensationLimit": {},
    "service.SLAPolicy": {},
    "service.ServiceSettings": {},
    # finance: settings, alert thresholds and playbooks, scenarios, budgets
    "finance.FinanceSettings": {"mask_fields": ["webhook_secret"], **_SECRET},
    "finance.AlertThreshold": {},
    "finance.PlaybookStep": {},
    "finance.Scenario": {},
    "finance.Budget": {},
    # marketing: settings that move money (points value, tiers) and promotions' terms
    "marketing.MarketingSettings": {},
    "marketing.MembershipTierRule": {},
    "marketing.Promotion": {"exclude_fields": ["used", "created_by"]},
    # reports
    "reports.ReportSettings": {},
    # people, roles, permissions and API keys
    "auth.User": {
        "include_fields": ["username", "is_active", "is_staff", "is_superuser"],
        "m2m_fields": {"groups", "user_permissions"},
    },
    "auth.Group": {"include_fields": ["name"], "m2m_fields": {"permissions"}},
    "common.ApiClient": {
        "include_fields": ["name", "prefix", "scopes", "rate_limit", "revoked", "expiry_date"]
    },
}
# Models recorded only by explicit records from their services.
EXPLICIT = ("inventory.StockLevel", "orders.Order")
# Labels of change keys that are not model fields ("channel_price:tmall" on a SKU).
EXTRA_LABELS = {
    "channel_price": _("Channel price"),
    "tier_price": _("Member tier price"),
}

CREATE, UPDATE, DELETE = 0, 1, 2  # LogEntry.Action
ACTIONS = {"create": CREATE, "update": UPDATE, "delete": DELETE}
ACTION_LABELS = {CREATE: _("created"), UPDATE: _("changed"), DELETE: _("deleted")}


def log_entry_model():
    from auditlog import get_logentry_model

    return get_logentry_model()


def mask_secret(value: str) -> str:
    """A secret shows only whether it is set: the audit must not become a place to read it."""
    return SECRET_MASK if value else ""


# --- who and where: the request, or a job's context ---------------------------------------------------------

_context: ContextVar[dict | None] = ContextVar("shopops_audit_context", default=None)


def _current() -> dict:
    return _context.get() or {}


@contextlib.contextmanager
def audit_context(*, actor=None, source: str = ""):
    """Outside a web request (Celery tasks, management commands, tests): the user the following changes are
    made for and/or a `source` ("import", "nightly", a command's name) stored in each entry's
    additional_data. Nests; the previous context is restored on exit."""
    values = dict(_current())
    if actor is not None:
        values["actor"] = actor
    if source:
        values["source"] = source
    token = _context.set(values)
    try:
        yield
    finally:
        _context.reset(token)


class AuditMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware (actor, address and correlation id on every entry of the request).
    The client address is the one the login protection uses (settings.AXES_CLIENT_IP_CALLABLE: the
    trusted-proxy rule), else REMOTE_ADDR; never the first X-Forwarded-For entry django-auditlog would take,
    which the client writes itself. The context is also kept for explicit records (`audit_record`) and
    ends with the request."""

    @staticmethod
    def _get_remote_addr(request):
        path = getattr(settings, "AXES_CLIENT_IP_CALLABLE", None)
        if path:
            return import_string(path)(request)
        return request.META.get("REMOTE_ADDR") or None

    @staticmethod
    def _get_remote_port(request):
        port = str(request.META.get("REMOTE_PORT", ""))
        return int(port) if port.isdigit() else None

    def __call__(self, request):
        token = _context.set(
            {
                "actor": getattr(request, "user", None),
                "remote_addr": self._get_remote_addr(request),
                "remote_port": self._get_remote_port(request),
            }
        )
        try:
            return super().__call__(request)
        finally:
            _context.reset(token)


def _authenticated(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def current_actor(actor=None):
    """`actor` when it is a signed-in user, else the request's (or audit_context's) user, else None."""
    return _authenticated(actor) or _authenticated(_current().get("actor"))


# --- registration -------------------------------------------------------------------------------------------


def audit_register_all() -> None:
    """Register AUDITED with django-auditlog and hook the completion of every entry. Called once from the
    project's AppConfig.ready(), when every app's models are loaded."""
    from auditlog.registry import auditlog

    for label, options in AUDITED.items():
        model = apps.get_model(label)
        if not auditlog.contains(model):
            auditlog.register(
                model, **{**options, "exclude_fields": [*options.get("exclude_fields", []), *UNTRACKED]}
            )
    pre_save.connect(_entry_complete, sender=log_entry_model(), dispatch_uid="shopops-audit-complete")
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_task_started, weak=False, dispatch_uid="shopops-audit-task-started")
    task_postrun.connect(_task_finished, weak=False, dispatch_uid="shopops-audit-task-finished")


# A Celery task's changes carry its name as their source ("task:catalog.recommendations_build"): the
# context is set when the task starts and restored when it ends (same thread, eager or on a worker).
_task_tokens: dict = {}


def _task_started(sender=None, task_id=None, task=None, **kwargs):
    name = getattr(task or sender, "name", "") or "?"
    _task_tokens[task_id] = _context.set({**_current(), "source": f"task:{name}"})


def _task_finished(sender=None, task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        with contextlib.suppress(ValueError):  # set in another context: nothing of ours to restore
            _context.reset(token)


def audit_table_ready(using: str = "default") -> bool:
    """Whether django-auditlog's table exists (not during the first migrations of a new database)."""
    from django.db import connections

    return log_entry_model()._meta.db_table in connections[using].introspection.table_names()


def audited_models() -> list[type[Model]]:
    return [apps.get_model(label) for label in (*AUDITED, *EXPLICIT)]


def _entry_complete(sender, instance, **kwargs):
    """Every entry, signal-made or explicit: the actor and source of audit_context when the request gave
    none, and an API client's primary key (prefix.key-hash) cut to its prefix."""
    context = _current()
    if instance.actor_id is None:
        actor = _authenticated(context.get("actor"))
        if actor is not None:
            instance.actor_id = actor.pk
            instance.actor_email = getattr(actor, "email", None) or None
    if context.get("source"):
        data = instance.additional_data if isinstance(instance.additional_data, dict) else {}
        if "source" not in data:
            instance.additional_data = {**data, "source": context["source"]}
    if instance.content_type_id == _api_client_type().pk and "." in (instance.object_pk or ""):
        instance.object_pk = instance.object_pk.split(".", 1)[0]
        instance.object_id = None


def _api_client_type() -> ContentType:
    return ContentType.objects.get_for_model(apps.get_model("common.ApiClient"))


# --- explicit records -------------------------------------------------------------------------------------


@contextlib.contextmanager
def audit_signals_paused():
    """No signal-made entries inside: for a service that records the same change explicitly (with its
    reason) and would otherwise be recorded twice."""
    from auditlog.context import disable_auditlog

    with disable_auditlog():
        yield


def audit_text(value) -> str:
    """A value as the audit stores it: Decimal exact, datetimes in UTC (naive text, as django-auditlog
    writes them), dates ISO, model instances by primary key, None as "None"."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = value.astimezone(UTC).replace(tzinfo=None)
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Model):
        return smart_str(value.pk)
    return smart_str(value)


def audit_changes(before: Mapping, after: Mapping, fields: Iterable[str] | None = None) -> dict[str, list]:
    """{field: [before, after]} of the fields whose value differs (equal Decimals such as 1.0 and 1.00
    are not a change)."""
    names = list(fields) if fields is not None else sorted(set(before) | set(after))
    return {
        name: [before.get(name), after.get(name)] for name in names if before.get(name) != after.get(name)
    }


@dataclass(frozen=True)
class AuditRecord:
    """One explicit entry. `obj_or_model` is the changed instance, or its model class with `object_pk`
    (and `object_repr`) given. `changes` maps a field to [before, after] (any values; stored as text) or to
    django-auditlog's many-to-many shape {"type": "m2m", "operation": "add"|"delete", "objects": [...]}."""

    obj_or_model: Model | type[Model]
    action: int | str
    changes: Mapping
    object_pk: object = None
    object_repr: str = ""
    additional_data: Mapping | None = None
    extra: dict = field(default_factory=dict)


def _changes_text(changes: Mapping) -> dict:
    stored = {}
    for name, value in changes.items():
        if isinstance(value, Mapping):  # many-to-many
            stored[name] = {**value, "objects": [smart_str(o) for o in value.get("objects", [])]}
        else:
            before, after = value
            stored[name] = [audit_text(before), audit_text(after)]
    return stored


def _entry(record: AuditRecord, *, actor, context: dict, cid, now):
    LogEntry = log_entry_model()
    target = record.obj_or_model
    is_instance = isinstance(target, Model)
    model = type(target) if is_instance else target
    pk = record.object_pk if record.object_pk is not None else (target.pk if is_instance else None)
    if pk is None:
        raise ValueError("An audit record needs the object's primary key.")
    action = ACTIONS[record.action] if isinstance(record.action, str) else int(record.action)
    data = dict(record.additional_data or {})
    if context.get("source") and "source" not in data:
        data["source"] = context["source"]
    object_pk = smart_str(pk)
    if model._meta.label == "common.ApiClient":
        object_pk = object_pk.split(".", 1)[0]  # prefix.key-hash: never the hash
    return LogEntry(
        content_type=ContentType.objects.get_for_model(model),
        object_pk=object_pk,
        object_id=pk if isinstance(pk, int) else None,
        object_repr=record.object_repr or (smart_str(target) if is_instance else f"{model.__name__} {pk}"),
        action=action,
        changes=_changes_text(record.changes),
        actor_id=actor.pk if actor is not None else None,
        actor_email=(getattr(actor, "email", None) or None) if actor is not None else None,
        remote_addr=context.get("remote_addr"),
        remote_port=context.get("remote_port"),
        cid=cid,
        timestamp=now,
        additional_data=data or None,
        **record.extra,
    )


def audit_record_many(records: Iterable[AuditRecord], *, actor=None) -> list:
    """Write many explicit entries in one INSERT (bulk paths). Updates that change nothing are skipped.
    Call it inside the transaction of the change. `actor`: the user the change is made for; default the
    request's (or audit_context's) user; None for jobs."""
    context = _current()
    who = current_actor(actor)
    cid = get_cid()
    now = timezone.now()
    entries = [
        _entry(record, actor=who, context=context, cid=cid, now=now)
        for record in records
        if record.changes or record.action not in (UPDATE, "update")
    ]
    if not entries:
        return []
    return log_entry_model().objects.bulk_create(entries, batch_size=1000)


def audit_record(
    *,
    obj_or_model,
    action,
    changes: Mapping,
    object_pk=None,
    object_repr: str = "",
    actor=None,
    additional_data: Mapping | None = None,
):
    """Write one explicit entry (see AuditRecord); returns it, or None when an update changed nothing."""
    written = audit_record_many(
        [AuditRecord(obj_or_model, action, changes, object_pk, object_repr, additional_data)], actor=actor
    )
    return written[0] if written else None


# --- reading: the browse page -----------------------------------------------------------------------------


def audit_model_choices() -> list[tuple[str, str]]:
    """(label, verbose name) of every audited model, by name."""
    return sorted(
        ((m._meta.label_lower, capfirst(str(m._meta.verbose_name))) for m in audited_models()),
        key=lambda choice: choice[1].lower(),
    )


def audit_actor_choices() -> QuerySet:
    """The users who may have made a change: every staff account (the shop's own people)."""
    return get_user_model().objects.order_by("username").only("pk", "username", "first_name", "last_name")


def audit_object_parse(text: str) -> tuple[str, str] | None:
    """ "catalog.sku:12" → ("catalog.sku", "12"); None for anything else."""
    label, sep, pk = (text or "").strip().partition(":")
    if not sep or not pk or label.count(".") != 1:
        return None
    return label.lower(), pk


def _content_type(label: str) -> ContentType | None:
    app_label, _dot, model = label.lower().partition(".")
    try:
        return ContentType.objects.get_by_natural_key(app_label, model)
    except ContentType.DoesNotExist:
        return None


def audit_entry_list(
    *,
    model: str = "",
    obj: str = "",
    actor_id: int | None = None,
    action: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet:
    """The audit entries, newest first, filtered by model label ("catalog.sku"), object ("catalog.sku:12"
    for one object, else a primary key or part of its name), actor, action and shop-local dates (both
    days included)."""
    from shopops.common.dates import day_start

    entries = log_entry_model().objects.select_related("content_type", "actor").order_by("-timestamp", "-id")
    exact = audit_object_parse(obj)
    if exact is not None:
        model, obj = exact[0], ""
        entries = entries.filter(object_pk=exact[1])
    if model:
        content_type = _content_type(model)
        entries = entries.filter(content_type=content_type) if content_type else entries.none()
    if obj:
        entries = entries.filter(Q(object_pk=obj) | Q(object_repr__icontains=obj))
    if actor_id is not None:
        entries = entries.filter(actor_id=actor_id)
    if action is not None:
        entries = entries.filter(action=action)
    if since is not None:
        entries = entries.filter(timestamp__gte=day_start(since))
    if until is not None:
        entries = entries.filter(timestamp__lt=day_start(until + timedelta(days=1)))
    return entries


@dataclass(frozen=True)
class ChangeRow:
    label: str
    before: str = ""
    after: str = ""
    added: tuple = ()
    removed: tuple = ()


def _field(model, name: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _label(model, key: str) -> str:
    base, _sep, qualifier = key.partition(":")
    found = _field(model, base)
    label = (
        capfirst(str(found.verbose_name)) if found is not None and hasattr(found, "verbose_name") else None
    )
    label = label or str(EXTRA_LABELS.get(base) or capfirst(base.replace("_", " ")))
    return f"{label} ({qualifier})" if qualifier else label


def _shown(model_field, value) -> str:
    if value in (None, "None", ""):
        return "—"
    if model_field is not None and getattr(model_field, "choices", None):
        return str({str(k): v for k, v in model_field.flatchoices}.get(str(value), value))
    return str(value)


def audit_change_rows(entry) -> list[ChangeRow]:
    """An entry's changes for display: one row per field, before → after, or the objects added to and
    removed from a many-to-many field."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    rows = []
    for key, value in sorted((entry.changes or {}).items()):
        label = _label(model, key)
        if isinstance(value, Mapping):
            objects = tuple(str(o) for o in value.get("objects", []))
            if value.get("operation") == "add":
                rows.append(ChangeRow(label, added=objects))
            else:
                rows.append(ChangeRow(label, removed=objects))
        elif isinstance(value, list | tuple) and len(value) == 2:
            model_field = _field(model, key.partition(":")[0])
            rows.append(ChangeRow(label, _shown(model_field, value[0]), _shown(model_field, value[1])))
    return rows
