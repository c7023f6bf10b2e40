import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from orders import channel_settings
from orders.models import Channel
from shopops.common.audit import audit_context


class Command(BaseCommand):
    help = (
        "Set or replace a channel's webhook secret. Pass - as SECRET to read it from standard input, "
        "which keeps it out of the shell history and the process list. The secret is never printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("channel", help="the channel's code, e.g. shopify")
        parser.add_argument("secret", help="the shared secret, or - to read it from standard input")

    def handle(self, *args, **options):
        code, secret = options["channel"], options["secret"]
        if secret == "-":  # noqa: S105 - "read it from stdin", not a password
            secret = sys.stdin.readline().strip()
        try:
            with audit_context(source="command:set_channel_secret"):
                channel = channel_settings.channel_secret_set(code=code, secret=secret)
        except Channel.DoesNotExist as exc:
            known = ", ".join(Channel.objects.order_by("code").values_list("code", flat=True)) or "none"
            raise CommandError(f"Unknown channel '{code}'. Channels: {known}.") from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Webhook secret of channel '{channel.code}' set."))
