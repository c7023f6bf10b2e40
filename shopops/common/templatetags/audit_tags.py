"""`{% audit_history_url obj as url %}`: the audit trail of one object (or, given a model label such as
"finance.alertthreshold", of every object of that kind) for the users who may read the audit trail; ""
for the others, so that pages show the "History" link only to them."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from shopops.common import roles

register = template.Library()


@register.simple_tag(takes_context=True)
def audit_history_url(context, target) -> str:
    request = context.get("request")
    if request is None or not roles.can_open(request.user, roles.AUDIT):
        return ""
    if isinstance(target, str):
        query = {"type": target.lower()}
    else:
        query = {"object": f"{target._meta.label_lower}:{target.pk}"}
    return f"{reverse('audit-log')}?{urlencode(query)}"
