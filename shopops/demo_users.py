"""One demo login per role, for the one-command demo and the browser tests."""

from django.contrib.auth.models import Group, User
from django.db import transaction

from shopops.accounts.policy import TWO_FACTOR_REQUIRED_ROLES
from shopops.accounts.services import totp_device_ensure, totp_secret
from shopops.common import roles

DEMO_PASSWORD = "shopops-demo"  # noqa: S105 - a published demo password, local demo only

DEMO_NAMES = {
    roles.OPERATIONS: ("Li", "Na"),
    roles.INVENTORY_PLANNER: ("Zhang", "Wei"),
    roles.MARKETING: ("Wang", "Fang"),
    roles.SERVICE_AGENT: ("Liu", "Yang"),
    roles.FINANCE: ("Chen", "Jing"),
    roles.MANAGER: ("Zhao", "Min"),
    roles.ADMIN: ("Admin", "ShopOps"),
}


@transaction.atomic
def demo_users_ensure(password: str = DEMO_PASSWORD) -> list[tuple[str, str, str, str]]:
    """Create (or reset) one user per role named after the role; returns (username, password, role, otp
    secret). The roles that require two-factor authentication (finance, manager, admin) get an authenticator
    device with a random secret, kept across runs; its base32 secret goes into an authenticator app (empty
    for the other roles)."""
    roles.roles_sync()  # the groups come from a migration; a flushed test database may have lost them
    created = []
    for role in roles.ROLES:
        first, last = DEMO_NAMES[role]
        user, _ = User.objects.get_or_create(username=role, defaults={"first_name": first, "last_name": last})
        user.set_password(password)
        user.email = user.email or f"{role}@demo.shopops.example"  # the reports' subscribers need one
        user.is_staff = role == roles.ADMIN
        user.is_superuser = role == roles.ADMIN
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        secret = totp_secret(totp_device_ensure(user=user)) if role in TWO_FACTOR_REQUIRED_ROLES else ""
        created.append((role, password, str(roles.ROLES[role]), secret))
    return created
