"""Personal-data requests: the export of everything about one customer, and the erasure of a customer.

Each app reads and erases its own data (its `customer_export` selector and `customer_personal_erase`
service); this module puts them together. An erasure runs every app's part in one transaction, orders last
(the other apps scrub the personal values orders still holds). Both requests are recorded: a PrivacyRequest
row and an audit entry (shopops.common.audit), never with the personal data itself."""

import hashlib
import json
import re

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from finance.selectors import risk as finance_risk_selectors
from finance.services import risk as finance_risk_services
from marketing.selectors import privacy as marketing_selectors
from marketing.services import privacy as marketing_services
from orders import selectors as order_selectors
from orders import services as order_services
from orders.models import Customer
from service.selectors import privacy as service_selectors
from service.services import privacy as service_services
from shopops.common.audit import UPDATE, audit_record
from shopops.privacy.models import PrivacyRequest

EXPORT_FORMAT = "shopops.personal-data-export/1"
ACCESS = 3  # django-auditlog's LogEntry.Action.ACCESS: personal data was read out


def _ref(customer: Customer) -> str:
    return f"{customer.channel.code}:{customer.external_id}"


def _who(user) -> str:
    return user.get_username() if user is not None and user.is_authenticated else ""


def _user(user):
    return user if user is not None and user.is_authenticated else None


def customer_export_data(*, customer_id: int) -> dict:
    """Everything ShopOps holds about the customer, by app and table, personal data in clear."""
    return {
        "format": EXPORT_FORMAT,
        "customer_id": customer_id,
        "orders": order_selectors.customer_export(customer_id=customer_id),
        "marketing": marketing_selectors.customer_export(customer_id=customer_id),
        "service": service_selectors.customer_export(customer_id=customer_id),
        "finance": finance_risk_selectors.customer_export(customer_id=customer_id),
    }


def _counts(data: dict) -> dict:
    return {
        f"{app}.{table}": (len(rows) if isinstance(rows, list) else 1)
        for app, tables in data.items()
        if isinstance(tables, dict)
        for table, rows in tables.items()
    }


def customer_export(*, customer_id: int, user=None) -> tuple[bytes, str, PrivacyRequest]:
    """The export file (JSON, UTF-8), its file name, and the recorded request. Raises
    Customer.DoesNotExist."""
    customer = order_selectors.customer_get(pk=customer_id)
    now = timezone.now()
    data = {"generated_at": now.isoformat(), **customer_export_data(customer_id=customer_id)}
    content = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, cls=DjangoJSONEncoder).encode()
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        request = PrivacyRequest.objects.create(
            kind=PrivacyRequest.Kind.EXPORT,
            customer_id=customer.pk,
            customer_ref=_ref(customer)[:140],
            requested_by=_user(user),
            requested_by_name=_who(user),
            file_sha256=digest,
            counts=_counts(data),
        )
        audit_record(
            obj_or_model=Customer,
            object_pk=customer.pk,
            object_repr=f"customer {_ref(customer)}",
            action=ACCESS,
            changes={},
            actor=_user(user),
            additional_data={"privacy_request": request.pk, "kind": "export", "file_sha256": digest},
        )
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", _ref(customer))
    return content, f"customer-{safe}-{now:%Y%m%d}.json", request


@transaction.atomic
def customer_erase(*, customer_id: int, user=None) -> PrivacyRequest:
    """Anonymise the customer everywhere, in one transaction (see each app's customer_personal_erase):
    personal fields blanked or replaced, the customer's own free text removed, staff notes scrubbed of their
    personal data; orders and every figure on them unchanged. Raises Customer.DoesNotExist."""
    customer = Customer.objects.select_related("channel").select_for_update(of=("self",)).get(pk=customer_id)
    ref = _ref(customer)
    values = order_selectors.customer_personal_values(customer_id=customer.pk)
    counts = {
        "service": service_services.customer_personal_erase(customer_id=customer.pk, personal_values=values),
        "marketing": marketing_services.customer_personal_erase(
            customer_id=customer.pk, personal_values=values
        ),
        "finance": finance_risk_services.customer_personal_erase(
            customer_id=customer.pk, personal_values=values
        ),
        "orders": order_services.customer_personal_erase(customer_id=customer.pk),
    }
    request = PrivacyRequest.objects.create(
        kind=PrivacyRequest.Kind.ERASE,
        customer_id=customer.pk,
        customer_ref=ref[:140],
        requested_by=_user(user),
        requested_by_name=_who(user),
        counts=counts,
    )
    hidden = "(personal data)"
    audit_record(
        obj_or_model=Customer,
        object_pk=customer.pk,
        object_repr=f"customer {ref}",
        action=UPDATE,
        changes={
            "name": [hidden, f"erased-{customer.pk}"],
            "phone": [hidden, ""],
            "email": [hidden, ""],
            "addresses": [hidden, ""],
        },
        actor=_user(user),
        additional_data={"privacy_request": request.pk, "kind": "erase", "rows": counts},
    )
    return request


def request_list():
    return PrivacyRequest.objects.select_related("requested_by").order_by("-at", "-id")


def customer_requests(*, customer_id: int):
    return request_list().filter(customer_id=customer_id)
