from django.core.management.base import BaseCommand, CommandError

from shopops.common.api import SCOPE_NAMES, parse_rate
from shopops.common.audit import audit_context
from shopops.common.models import ApiClient


class Command(BaseCommand):
    help = (
        "Create an API client and print its key, once: only a hash is stored. "
        "The key alone goes to stdout (KEY=$(manage.py create_api_client ...)), the summary to stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="who uses the key, e.g. 'tmall connector' (50 characters at most)")
        parser.add_argument(
            "--scopes",
            required=True,
            help=f"comma-separated scopes, of: {', '.join(code for code, _label in ApiClient.SCOPES)}",
        )
        parser.add_argument("--rate", default="600/min", help="rate limit, e.g. 600/min or 20/s (600/min)")

    def handle(self, *args, name, scopes, rate, **options):
        name = name.strip()
        if not name or len(name) > 50:
            raise CommandError("The name must have 1 to 50 characters.")
        wanted = list(dict.fromkeys(s.strip() for s in scopes.split(",") if s.strip()))
        if not wanted:
            raise CommandError("Give at least one scope with --scopes.")
        unknown = [s for s in wanted if s not in SCOPE_NAMES]
        if unknown:
            known = ", ".join(code for code, _label in ApiClient.SCOPES)
            raise CommandError(f"Unknown scope(s): {', '.join(unknown)}. Known: {known}.")
        try:
            parse_rate(rate)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        with audit_context(source="command:create_api_client"):
            client, key = ApiClient.objects.create_key(name=name, scopes=wanted, rate_limit=rate.strip())
        self.stderr.write(
            f"Created API client {client.name!r} (prefix {client.prefix}), scopes {', '.join(wanted)}, "
            f"rate {client.rate_limit}. The key is shown only now; store it safely:"
        )
        self.stdout.write(key)
