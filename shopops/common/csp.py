"""Content-Security-Policy: django-csp's middleware with per-path directive overrides.

Every response gets settings.CONTENT_SECURITY_POLICY (script-src 'self': no inline script, no eval). A few
path prefixes serve third-party pages that cannot run under it; settings.CSP_PATH_OVERRIDES maps such a
prefix to the directives that replace the site-wide ones there (and only there). Today that is the Django
admin (django-unfold), see the comment on the setting in shopops/settings/base.py.

A view decorated with django-csp's @csp/@csp_replace/@csp_update keeps what the decorator says: the path
override applies only where the view set no policy of its own.
"""

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


def path_overrides(path: str) -> dict[str, list[str]] | None:
    """The directives that replace the site-wide ones for `path` (longest matching prefix), or None."""
    overrides = getattr(settings, "CSP_PATH_OVERRIDES", {}) or {}
    matches = [prefix for prefix in overrides if path.startswith(prefix)]
    if not matches:
        return None
    return overrides[max(matches, key=len)]


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if report_only or parts.config is not None or parts.replace is not None:
            return parts
        override = path_overrides(request.path_info)
        if override is not None:
            parts.replace = override
        return parts
