from django.conf import settings

from shopops.common import roles
from shopops.common.navigation import navigation_for
from shopops.common.notifications import notification_unread_count
from shopops.common.privacy import can_see_costs


def shop(request):
    """Shop-wide template context: currency, the user's role, the navigation they may use and whether they
    may see costs."""
    user = getattr(request, "user", None)
    context = {"SHOP_CURRENCY": settings.SHOP_CURRENCY}
    if user is not None and user.is_authenticated:
        role = roles.primary_role(user)
        context["user_role"] = role
        context["user_role_label"] = roles.ROLES.get(role, "") if role else ""
        context["navigation"] = navigation_for(user, request.resolver_match)
        context["notifications_unread"] = notification_unread_count(user=user)
        context["can_see_costs"] = can_see_costs(user)
    return context
