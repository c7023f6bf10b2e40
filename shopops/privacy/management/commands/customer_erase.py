"""Erase (anonymise) one customer's personal data everywhere, keeping their orders and every figure on them
(a personal-data request; recorded). Needs --yes."""

from django.core.management.base import BaseCommand, CommandError

from orders.models import Customer
from shopops.privacy import services


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("customer_id", type=int)
        parser.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")

    def handle(self, *args, customer_id: int, yes: bool, **options):
        if not yes:
            raise CommandError("Erasing cannot be undone: run again with --yes to confirm.")
        try:
            request = services.customer_erase(customer_id=customer_id)
        except Customer.DoesNotExist as exc:
            raise CommandError(f"No customer with id {customer_id}.") from exc
        self.stdout.write(f"Customer {request.customer_ref} erased (request {request.pk}): {request.counts}")
