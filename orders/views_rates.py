"""The exchange-rate pages: finance and admin maintain the rates, managers read them."""

import io
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from orders import rates
from orders.forms import RateForm, RateImportConfirmForm, RateImportForm, rate_import_sign
from shopops.common import roles
from shopops.common.dates import parse_iso_date
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.pagination import paginate

RATE_READERS = frozenset({roles.FINANCE, roles.MANAGER, roles.ADMIN})
RATE_EDITORS = frozenset({roles.FINANCE, roles.ADMIN})
SAFE_METHODS = ("GET", "HEAD")
PREVIEW_ROWS_SHOWN = 200


def roles_required(*, read: frozenset[str], write: frozenset[str]):
    """View decorator: GET/HEAD need one of the `read` roles, every other method one of `write`; else 403.

    The rates sit between two areas (orders owns them, finance keeps them), so the page states its own
    roles instead of naming an area."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            allowed = read if request.method in SAFE_METHODS else write
            if not roles.user_roles(request.user) & allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.shopops_roles = {"read": read, "write": write}
        return wrapped

    return decorator


def _can_edit(user) -> bool:
    return bool(roles.user_roles(user) & RATE_EDITORS)


@roles_required(read=RATE_READERS, write=RATE_EDITORS)
def rate_list(request):
    """The stored rates (filter, page, export) and, for editors, a form to add or correct one rate."""
    params = request.GET
    currency = params.get("currency", "").strip()
    date_from, date_to = parse_iso_date(params.get("date_from")), parse_iso_date(params.get("date_to"))
    rate_rows = rates.exchange_rate_list(currency=currency, date_from=date_from, date_to=date_to)

    fmt = params.get("export")
    if request.method == "GET" and fmt in EXPORT_FORMATS:
        # The columns of the import file, so that an exported CSV can be corrected and imported again.
        return export_response(
            filename="exchange-rates",
            fmt=fmt,
            headers=list(rates.IMPORT_COLUMNS),
            rows=(
                (r.date, r.currency, r.rate_to_shop_currency)
                for r in rate_rows.only("date", "currency", "rate_to_shop_currency").iterator(chunk_size=2000)
            ),
        )

    can_edit = _can_edit(request.user)
    form = None
    if request.method == "POST":
        form = RateForm(request.POST)
        if form.is_valid():
            result = rates.rates_import(rows=[form.cleaned_data], apply=True)
            if result.ok:
                change = result.changes[0]
                _message_saved(request, change)
                return redirect(request.get_full_path())
            form.add_row_errors(result.errors)
    elif can_edit:
        form = RateForm(initial=_correction_initial(params.get("correct")))

    query = params.copy()
    for key in ("page", "correct", "export"):
        query.pop(key, None)
    return render(
        request,
        "orders/rates.html",
        {
            "page_obj": paginate(request, rate_rows),
            "query": query.urlencode(),
            "currencies": rates.exchange_rate_currencies(),
            "filters": params,
            "form": form,
            "can_edit": can_edit,
        },
    )


def _correction_initial(pk) -> dict:
    """The form prefilled with a stored rate, from the list's "Correct" link."""
    if not (pk and str(pk).isdigit()):
        return {}
    rate = rates.exchange_rate_list().filter(pk=pk).first()
    if rate is None:
        return {}
    return {"date": rate.date, "currency": rate.currency, "rate_to_shop_currency": rate.rate_to_shop_currency}


def _message_saved(request, change: rates.RateChange) -> None:
    values = {"currency": change.currency, "date": change.date.isoformat(), "rate": change.new_rate}
    if change.action == rates.RateChange.CREATE:
        text = _("Added the rate of %(currency)s on %(date)s: %(rate)s.") % values
    elif change.action == rates.RateChange.UPDATE:
        text = _("Corrected the rate of %(currency)s on %(date)s to %(rate)s (was %(old)s).") % {
            **values,
            "old": change.old_rate,
        }
    else:
        text = _("The rate of %(currency)s on %(date)s was already %(rate)s.") % values
    messages.success(request, text)


@roles_required(read=RATE_EDITORS, write=RATE_EDITORS)
def rate_import(request):
    """Import a CSV of rates: upload → preview with row errors and counts → confirm applies all or none.

    Nothing is stored between the steps: the preview carries the file, signed, in its confirm form, and
    the confirm step validates it again before applying."""
    if request.method != "POST":
        return render(request, "orders/rates_import.html", {"form": RateImportForm()})

    if "payload" in request.POST:
        confirm = RateImportConfirmForm(request.POST, user=request.user)
        if not confirm.is_valid():
            return render(
                request,
                "orders/rates_import.html",
                {"form": RateImportForm(), "confirm_errors": confirm.errors["payload"]},
                status=400,
            )
        payload = confirm.cleaned_data["payload"]
        result = rates.rates_import(rows=io.StringIO(payload["text"], newline=""), apply=True)
        if not result.applied:  # the rules changed since the preview (say, the shop currency)
            return _preview(request, name=payload["name"], text=payload["text"], result=result)
        messages.success(
            request,
            _("Imported %(name)s. Added: %(created)s, corrected: %(updated)s, unchanged: %(unchanged)s.")
            % {
                "name": payload["name"],
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            },
        )
        return redirect("orders:rate-list")

    form = RateImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "orders/rates_import.html", {"form": form})
    name = form.cleaned_data["file"].name
    result = rates.rates_import(rows=io.StringIO(form.text, newline=""), apply=False)
    return _preview(request, name=name, text=form.text, result=result)


def _preview(request, *, name: str, text: str, result: rates.RatesImportResult):
    can_apply = result.ok and result.to_write > 0
    confirm = None
    if can_apply:
        confirm = RateImportConfirmForm(
            initial={"payload": rate_import_sign(user=request.user, name=name, text=text)}, user=request.user
        )
    changes = [change for change in result.changes if change.action != rates.RateChange.UNCHANGED]
    return render(
        request,
        "orders/rates_import.html",
        {
            "form": RateImportForm(),
            "name": name,
            "result": result,
            "changes": changes[:PREVIEW_ROWS_SHOWN],
            "changes_hidden": max(len(changes) - PREVIEW_ROWS_SHOWN, 0),
            "confirm": confirm,
        },
    )
