"""The client's IP address behind the reverse proxies this deployment trusts (axes keys lockouts on it).

`TRUSTED_PROXY_COUNT` (environment, default 0) is the number of reverse proxies in front of Django that
append the address they received the request from to `X-Forwarded-For` (nginx `proxy_add_x_forwarded_for`,
Caddy, Traefik, a cloud load balancer). With N such proxies the client is the N-th entry from the right:
everything left of it may have been written by the client and is ignored. With 0 (no proxy, or one that is
not configured so) the header is ignored altogether and `REMOTE_ADDR` is the client.
"""

import ipaddress

from django.conf import settings


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_ip_address(request) -> str | None:
    """`AXES_CLIENT_IP_CALLABLE`: X-Forwarded-For's N-th entry from the right when N proxies are trusted,
    else REMOTE_ADDR (also when the header is missing, too short or not an address)."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= count and _valid_ip(forwarded[-count]):
            return forwarded[-count]
    return remote
