"""The audit trail page: who changed what, when, before and after; by object and by user (admin, manager).

The entries themselves are written by django-auditlog and the services' explicit records
(shopops.common.audit). This page only reads them, and links each object to the page that shows it.
"""

import contextlib
from collections import defaultdict

from django import forms
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from shopops.common import audit, roles
from shopops.common.pagination import paginate, querystring_without_page

_INPUT = "form-control form-control-sm"
_SELECT = "form-select form-select-sm"

# model label -> (page, the model's value the page's URL takes, or None for a page without arguments).
# Pages that every role of the audit page (manager, admin) may open.
OBJECT_PAGES = {
    "catalog.sku": ("catalog:sku-detail", "code"),
    "catalog.skucost": ("catalog:sku-detail", "sku__code"),
    "catalog.channelprice": ("catalog:sku-detail", "sku__code"),
    "catalog.membertierprice": ("catalog:sku-detail", "sku__code"),
    "inventory.stocklevel": ("inventory:sku-stock", "sku__code"),
    "inventory.stocktake": ("inventory:stocktake-detail", "number"),
    "inventory.supplier": ("inventory:supplier-detail", "code"),
    "inventory.suppliersku": ("inventory:supplier-detail", "supplier__code"),
    "orders.order": ("orders:order-detail", "pk"),
    "orders.channel": ("orders:channel-list", None),
    "orders.exchangerate": ("orders:rate-list", None),
    "service.compensation": ("service:ticket-detail", "ticket__number"),
    "service.compensationrule": ("service:compensation-standard", None),
    "service.compensationlimit": ("service:compensation-standard", None),
    "service.slapolicy": ("service:sla-policy-list", None),
    "service.servicesettings": ("service:sla-settings", None),
    "finance.alertthreshold": ("finance:threshold-list", None),
    "finance.playbookstep": ("finance:threshold-list", None),
    "finance.financesettings": ("finance:settings", None),
    "finance.scenario": ("finance:scenario-list", None),
    "marketing.promotion": ("marketing:promotion-detail", "code"),
    "marketing.membershiptierrule": ("marketing:membership", None),
    "marketing.marketingsettings": ("marketing:membership", None),
}


class AuditFilterForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Object type"), required=False, widget=forms.Select(attrs={"class": _SELECT})
    )
    object = forms.CharField(
        label=_("Object"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": _INPUT, "placeholder": _("id or name")}),
    )
    user = forms.TypedChoiceField(
        label=_("User"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": _SELECT}),
    )
    action = forms.TypedChoiceField(
        label=_("Action"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("any")), *((value, label) for value, label in audit.ACTION_LABELS.items())],
        widget=forms.Select(attrs={"class": _SELECT}),
    )
    since = forms.DateField(
        label=_("From"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date", "class": _INPUT}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=_("To"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date", "class": _INPUT}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", _("any")), *audit.audit_model_choices()]
        self.fields["user"].choices = [
            ("", _("anyone")),
            *((u.pk, u.get_full_name() or u.username) for u in audit.audit_actor_choices()),
        ]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end date is before the start date."))
        return data


def _object_urls(entries, user) -> dict[int, str]:
    """The page of each entry's object, where one exists: one query per kind of object on the page."""
    wanted = defaultdict(set)
    models = {}
    for entry in entries:
        label = entry.content_type.app_label + "." + entry.content_type.model
        models[label] = entry.content_type.model_class()
        if models[label] is not None and (label in OBJECT_PAGES or roles.ADMIN in roles.user_roles(user)):
            wanted[label].add(entry.object_pk)
    urls = {}
    for label, pks in wanted.items():
        model = models[label]
        page, attribute = OBJECT_PAGES.get(label, (None, None))
        if page is None:  # the Django admin, for admins
            lookup = "prefix" if model._meta.label == "common.ApiClient" else "pk"
            found = dict(model._default_manager.filter(**{f"{lookup}__in": pks}).values_list(lookup, "pk"))
            args_of = {str(key): [pk] for key, pk in found.items()}
            page = f"admin:{model._meta.app_label}_{model._meta.model_name}_change"
        elif attribute is None:
            args_of = {pk: [] for pk in pks}
        else:
            numeric = [int(pk) for pk in pks if pk.isdigit()]
            args_of = {
                str(pk): [value]
                for pk, value in model._default_manager.filter(pk__in=numeric).values_list("pk", attribute)
                if value is not None
            }
        for entry in entries:
            label_of_entry = entry.content_type.app_label + "." + entry.content_type.model
            if label_of_entry == label and entry.object_pk in args_of:
                with contextlib.suppress(NoReverseMatch):
                    urls[entry.pk] = reverse(page, args=args_of[entry.object_pk])
    return urls


def _type_label(entry) -> str:
    model = entry.content_type.model_class()
    return capfirst(str(model._meta.verbose_name)) if model else entry.content_type.model


# Keys of an entry's additional_data shown under its changes, in this order.
NOTE_KEYS = {
    "reason": _("why"),
    "detail": _("detail"),
    "reference": _("reference"),
    "source": _("source"),
}


def _note(data) -> list[tuple[str, str]]:
    if not isinstance(data, dict):
        return []
    return [(label, str(data[key])) for key, label in NOTE_KEYS.items() if data.get(key) not in (None, "")]


@require_GET
@roles.area_required(roles.AUDIT)
def audit_log(request):
    """The audit trail, newest first: filters by object type, object (``catalog.sku:12`` from a History
    link, or an id or part of a name), user, action and dates (shop time, both days included)."""
    form = AuditFilterForm(request.GET or None)
    filters = {}
    if form.is_bound:
        form.is_valid()  # the valid fields filter; the others show their error
        data = form.cleaned_data
        filters = {
            "model": data.get("type") or "",
            "obj": data.get("object") or "",
            "actor_id": data.get("user"),
            "action": data.get("action"),
            "since": data.get("since"),
            "until": data.get("until"),
        }
    page_obj = paginate(request, audit.audit_entry_list(**filters))
    entries = list(page_obj)
    urls = _object_urls(entries, request.user)
    rows = [
        {
            "entry": e,
            "type": _type_label(e),
            "action": audit.ACTION_LABELS.get(e.action, e.get_action_display()),
            "changes": audit.audit_change_rows(e),
            "note": _note(e.additional_data),
            "url": urls.get(e.pk),
        }
        for e in entries
    ]
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "rows": rows,
            "page_obj": page_obj,
            "query": querystring_without_page(request),
        },
    )
