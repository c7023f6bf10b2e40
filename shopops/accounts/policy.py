"""Who must use two-factor authentication, and the session keys the accounts app keeps."""

from shopops.common import roles

# Two-factor authentication is required for the roles that see money and everything (shared/domain.md,
# "Security and data"); every other role may turn it on from the security page.
TWO_FACTOR_REQUIRED_ROLES = frozenset({roles.FINANCE, roles.MANAGER, roles.ADMIN})

RECOVERY_CODE_COUNT = 10

# Session keys (the session is server-side: a client cannot set them).
ENROLLED_KEY = "_accounts_2fa_enrolled"  # does the user have a confirmed device? noted at login
LOGIN_AT_KEY = "_accounts_login_at"  # Unix time of the login
SEEN_AT_KEY = "_accounts_seen_at"  # Unix time of the last request, written at most once a minute


def two_factor_required(user) -> bool:
    """Finance, manager and admin (superusers count as admin) must verify a second factor."""
    return bool(roles.user_roles(user) & TWO_FACTOR_REQUIRED_ROLES)
