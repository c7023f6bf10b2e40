"""Personal data: who may see it unmasked, and how it is masked for everyone else."""

from shopops.common import roles

# Roles whose work needs customers' phones and addresses in full.
PERSONAL_DATA_ROLES = {roles.OPERATIONS, roles.SERVICE_AGENT, roles.ADMIN}


def can_see_personal_data(user) -> bool:
    return bool(roles.user_roles(user) & PERSONAL_DATA_ROLES)


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
