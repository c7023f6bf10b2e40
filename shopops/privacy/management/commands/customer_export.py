"""Export everything ShopOps holds about one customer as JSON (a personal-data request; recorded)."""

from django.core.management.base import BaseCommand, CommandError

from orders.models import Customer
from shopops.privacy import services


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("customer_id", type=int)
        parser.add_argument("--output", "-o", help="file to write (default: the standard output)")

    def handle(self, *args, customer_id: int, output: str | None, **options):
        try:
            content, filename, request = services.customer_export(customer_id=customer_id)
        except Customer.DoesNotExist as exc:
            raise CommandError(f"No customer with id {customer_id}.") from exc
        if output:
            with open(output, "wb") as handle:
                handle.write(content)
            self.stderr.write(f"Wrote {output} (SHA-256 {request.file_sha256}; request {request.pk}).")
        else:
            self.stdout.write(content.decode())
