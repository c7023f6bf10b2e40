"""Personal data: who may see it unmasked, and how it is masked for everyone else."""

from shopops.common import roles

# Roles whose work needs customers' phones and addresses in full.
PERSONAL_DATA_ROLES = {roles.OPERATIONS, roles.SERVICE_AGENT, roles.ADMIN}


def can_see_personal_data(user) -> bool:
    return bool(roles.user_roles(user) & PERSONAL_DATA_ROLES)


# Roles that may see costs: unit costs, cost of goods, landed costs, and margins (a price and its margin give
# the cost away). Everybody but the service agent. A page or export a service agent opens shows none of them
# (tests/test_access.py checks every one); a template that shows a cost where both may look guards it with
# `{% if can_see_costs %}` (the shop context processor sets it).
COST_ROLES = set(roles.ROLES) - {roles.SERVICE_AGENT}


def can_see_costs(user) -> bool:
    return bool(roles.user_roles(user) & COST_ROLES)


def mask_phone(phone: str) -> str:
    """13800000000 → 138****0000; short numbers keep only their last two digits."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 2, 0) + digits[-2:]


def mask_name(name: str) -> str:
    """王芳 → 王*; Alice → A****."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


def mask_email(email: str) -> str:
    """wangfang@example.com → w*******@example.com; without an @ the whole value is masked like a name."""
    if not email:
        return ""
    local, at, domain = email.partition("@")
    return f"{mask_name(local)}{at}{domain}"


def mask_address(address: str) -> str:
    """The first 6 characters (province and city, usually) then ****; short ones keep their first one."""
    if not address:
        return ""
    return address[:6] + "****" if len(address) > 6 else address[:1] + "****"


def shown(user, kind: str, value: str) -> str:
    """`value` as `user` may see it: in full for the personal-data roles, else masked (kind: phone, email,
    address, name)."""
    if can_see_personal_data(user):
        return value or ""
    return MASKS[kind](value or "")


MASKS = {"phone": mask_phone, "email": mask_email, "address": mask_address, "name": mask_name}


# --- personal-data requests (PIPL / GDPR): what each app contributes ---------------------------------------

ERASED = "[erased]"


def erased_name(customer_id: int) -> str:
    """What an erased customer's name becomes (and every copy of it in other apps' rows)."""
    return f"erased-{customer_id}"


def records(queryset) -> list[dict]:
    """Rows as JSON-ready dicts (every concrete column; decimals, dates and times as ISO text): for the
    export of everything about one customer."""
    from datetime import date, datetime
    from decimal import Decimal

    def plain(value):
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, datetime | date):
            return value.isoformat()
        return value

    names = [f.attname for f in queryset.model._meta.concrete_fields if not f.attname.endswith("_hash")]
    return [{k: plain(v) for k, v in row.items()} for row in queryset.values(*names)]


def scrub(text: str, values) -> str:
    """`text` with every occurrence of the given personal values (names, phones, emails, addresses; blank
    ones ignored, longest first) replaced by ERASED."""
    text = text or ""
    for value in sorted({v for v in values if v and len(v) >= 2}, key=len, reverse=True):
        text = text.replace(value, ERASED)
    return text
