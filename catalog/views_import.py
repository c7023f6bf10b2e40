"""The catalogue's import and export pages: upload a CSV or XLSX file → preview (counts, row errors; a dry
run) → apply, all or nothing, or only the valid rows when the user ticks that choice. And the full
catalogue as a file in the import's format (round trip).

Nothing is stored between the steps: the preview carries the rows it read, signed for this user and for an
hour, in its confirm form; the confirm step checks them again before applying. (The order and rate imports
do the same with the forms in orders.forms, which catalog, a lower layer, may not import.)
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import imports, selectors
from shopops.common import roles
from shopops.common.export import EXPORT_FORMATS, export_response

IMPORTERS = frozenset({roles.OPERATIONS, roles.ADMIN})
MAX_BYTES = 4 * 1024 * 1024
PREVIEW_MAX_AGE = 60 * 60  # seconds a preview may be confirmed
ERRORS_SHOWN = 200
_INPUT = "form-control form-control-sm"


def importers_only(view):
    """Operations (pricing) and admin only, for every method: these pages write the catalogue."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not roles.user_roles(request.user) & IMPORTERS:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.shopops_roles = {"read": IMPORTERS, "write": IMPORTERS}
    return wrapped


# --- forms --------------------------------------------------------------------------------------------


class UploadForm(forms.Form):
    """A CSV (UTF-8 or GB18030) or XLSX file; `data` holds its bytes once valid."""

    file = forms.FileField(
        label=gettext_lazy("CSV or XLSX file"),
        widget=forms.FileInput(attrs={"class": _INPUT, "accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": MAX_BYTES // (1024 * 1024)}
            )
        self.data_bytes = upload.read()
        return upload


class ConfirmForm(forms.Form):
    """The confirm step: the previewed rows, signed for this user and an hour, and the valid-rows choice."""

    salt = ""

    payload = forms.CharField(widget=forms.HiddenInput)
    apply_valid = forms.BooleanField(
        label=gettext_lazy("Apply the valid rows and skip the rows with errors"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    @classmethod
    def sign(cls, *, user, name: str, table: imports.Table) -> str:
        return signing.dumps(
            {"user": user.pk, "name": name, "rows": table.rows}, salt=cls.salt, compress=True
        )

    def clean_payload(self):
        try:
            payload = signing.loads(self.cleaned_data["payload"], salt=self.salt, max_age=PREVIEW_MAX_AGE)
        except signing.SignatureExpired as exc:
            raise forms.ValidationError(_("The preview has expired: upload the file again.")) from exc
        except signing.BadSignature as exc:
            raise forms.ValidationError(
                _("The preview could not be verified: upload the file again.")
            ) from exc
        if not isinstance(payload, dict) or payload.get("user") != self.user.pk:
            raise forms.ValidationError(_("The preview could not be verified: upload the file again."))
        return payload

    def table(self) -> imports.Table:
        return imports.Table(rows=[(line, values) for line, values in self.cleaned_data["payload"]["rows"]])


class CatalogConfirmForm(ConfirmForm):
    salt = "catalog.import-preview"


class CompetitorConfirmForm(ConfirmForm):
    salt = "catalog.competitor-import-preview"


# --- the pages ----------------------------------------------------------------------------------------


CATALOG_HELP = (
    ("code", True, gettext_lazy("The SKU code: an existing SKU is updated, any other created.")),
    ("name", False, gettext_lazy("The SKU's name; required for a new SKU.")),
    (
        "category",
        False,
        gettext_lazy("A category code; required for a new SKU, which gets a product of its own."),
    ),
    ("unit_cost", False, gettext_lazy("Purchase cost, such as 40.00; required for a new SKU.")),
    ("list_price", False, gettext_lazy("List price, not under the margin floor; required for a new SKU.")),
    ("weight", False, gettext_lazy("Weight in kg, such as 0.350 (default 0).")),
    ("role", False, gettext_lazy("hero, core, long_tail, new or image (default core).")),
    ("active", False, gettext_lazy("true or false (default true).")),
)
COMPETITOR_HELP = (
    ("sku", True, gettext_lazy("Our SKU code.")),
    ("competitor", True, gettext_lazy("The competitor's name, such as its store.")),
    ("channel", False, gettext_lazy("Our channel code where the offer was seen; blank for none.")),
    ("price", True, gettext_lazy("The competitor's price, such as 79.00.")),
    (
        "seen_at",
        True,
        gettext_lazy("When it was seen: 2026-06-18 10:21 (shop time) or ISO 8601 with an offset."),
    ),
)
CATALOG_TEMPLATE_ROWS = (
    ("SKU-0101", "Electric toothbrush, black", "oral-care", "40.00", "129.00", "0.350", "core", "true"),
    ("SKU-0001", "", "", "", "119.00", "", "", ""),
)
COMPETITOR_TEMPLATE_ROWS = (
    ("SKU-0001", "BrightSmile flagship store", "tmall", "119.00", "2026-06-18 10:21"),
    ("SKU-0001", "Dentix", "", "99.00", "2026-06-18T10:21:00+08:00"),
)


@dataclass(frozen=True)
class _Kind:
    """What differs between the two imports."""

    url_name: str
    template: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    help: tuple
    example_rows: tuple
    confirm_form: type[ConfirmForm]
    filename: str
    run: Callable[..., imports.ImportResult]  # (table=, name=, user=, apply=, apply_valid=)


def _run_catalog(*, table, name, user, apply=False, apply_valid=False) -> imports.ImportResult:
    return imports.catalog_import(table=table, name=name, user=user, apply=apply, apply_valid=apply_valid)


def _run_competitors(*, table, name, user, apply=False, apply_valid=False) -> imports.ImportResult:
    return imports.competitor_import(table=table, apply=apply, apply_valid=apply_valid)


CATALOG = _Kind(
    url_name="catalog:import",
    template="catalog/import.html",
    columns=imports.CATALOG_COLUMNS,
    required=imports.CATALOG_REQUIRED,
    help=CATALOG_HELP,
    example_rows=CATALOG_TEMPLATE_ROWS,
    confirm_form=CatalogConfirmForm,
    filename="catalogue-import-template",
    run=_run_catalog,
)
COMPETITORS = _Kind(
    url_name="catalog:competitor-import",
    template="catalog/competitor_import.html",
    columns=imports.COMPETITOR_COLUMNS,
    required=imports.COMPETITOR_REQUIRED,
    help=COMPETITOR_HELP,
    example_rows=COMPETITOR_TEMPLATE_ROWS,
    confirm_form=CompetitorConfirmForm,
    filename="competitor-prices-template",
    run=_run_competitors,
)


def _template_file(kind: _Kind) -> HttpResponse:
    return export_response(filename=kind.filename, fmt="csv", headers=kind.columns, rows=kind.example_rows)


def _page(request, kind: _Kind, context: dict, status: int = 200):
    context = {
        "form": UploadForm(),
        "columns": kind.help,
        "max_mb": MAX_BYTES // (1024 * 1024),
        "max_rows": imports.MAX_ROWS,
        **context,
    }
    return render(request, kind.template, context, status=status)


def _preview(request, kind: _Kind, *, name: str, table: imports.Table, result: imports.ImportResult):
    confirm = None
    if not any(error.line <= 1 for error in result.errors) and result.to_write > 0:
        confirm = kind.confirm_form(
            initial={"payload": kind.confirm_form.sign(user=request.user, name=name, table=table)},
            user=request.user,
        )
    return _page(
        request,
        kind,
        {
            "name": name,
            "result": result,
            "errors": result.errors[:ERRORS_SHOWN],
            "errors_hidden": max(len(result.errors) - ERRORS_SHOWN, 0),
            "confirm": confirm,
        },
    )


def _import(request, kind: _Kind):
    if request.method != "POST":
        if request.GET.get("template") == "csv":
            return _template_file(kind)
        return _page(request, kind, {})

    if "payload" in request.POST:
        confirm = kind.confirm_form(request.POST, user=request.user)
        if not confirm.is_valid():
            return _page(request, kind, {"confirm_errors": confirm.errors["payload"]}, status=400)
        name, table = confirm.cleaned_data["payload"]["name"], confirm.table()
        apply_valid = confirm.cleaned_data["apply_valid"]
        result = kind.run(table=table, name=name, user=request.user, apply=True, apply_valid=apply_valid)
        if not result.applied:
            # Errors and no choice to skip them, or the data changed since the preview: nothing written.
            if not result.ok and not apply_valid:
                messages.error(
                    request,
                    _(
                        "Nothing has been imported: %(count)s row(s) have errors. Correct the file, or tick "
                        '"apply the valid rows".'
                    )
                    % {"count": result.invalid_rows},
                )
            return _preview(request, kind, name=name, table=table, result=result)
        text = _("Imported %(name)s. New: %(created)s, updated: %(updated)s, unchanged: %(unchanged)s.") % {
            "name": name,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        }
        if result.errors:
            text += " " + _("%(count)s row(s) with errors were skipped.") % {"count": result.invalid_rows}
        messages.success(request, text)
        return redirect(reverse(kind.url_name))

    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, kind, {"form": form})
    name = form.cleaned_data["file"].name
    table = imports.table_read(name=name, data=form.data_bytes, columns=kind.columns, required=kind.required)
    result = kind.run(table=table, name=name, user=request.user, apply=False)
    return _preview(request, kind, name=name, table=table, result=result)


@importers_only
def catalog_import(request):
    """Import the catalogue from a CSV or XLSX file (see catalog.imports for the rules)."""
    return _import(request, CATALOG)


@importers_only
def competitor_import(request):
    """Import competitor prices from a CSV or XLSX file."""
    return _import(request, COMPETITORS)


@importers_only
@roles.reading_page
def catalog_export(request):
    """The whole catalogue in the import's columns (?format=csv or xlsx; CSV by default)."""
    fmt = request.GET.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        fmt = "csv"
    skus = selectors.sku_list(ordering="code")
    return export_response(
        filename="catalogue",
        fmt=fmt,
        headers=imports.CATALOG_COLUMNS,
        rows=imports.catalog_export_rows(skus.iterator(chunk_size=2000)),
    )
