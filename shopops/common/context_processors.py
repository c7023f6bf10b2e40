from django.conf import settings

from shopops.common import roles
from shopops.common.navigation import navigation_for
from shopops.common.notifications import notification_unread_count


def shop(request):
    """Shop-wide template context: currency, the user's role and the navigation they may use."""
    user = getattr(request, "user", None)
    context = {"SHOP_CURRENCY": settings.SHOP_CURRENCY}
    if user is not None and user.is_authenticated:
        role = roles.primary_role(user)
        context["user_role"] = role
        context["user_role_label"] = roles.ROLES.get(role, "") if role else ""
        context["navigation"] = navigation_for(user, request.resolver_match)
        context["notifications_unread"] = notification_unread_count(user=user)
    return context
