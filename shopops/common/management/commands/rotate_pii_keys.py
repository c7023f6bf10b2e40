"""Re-encrypt personal data with the first of FIELD_ENCRYPTION_KEYS (after a new key was put in front), and
rewrite the search hashes where PII_HASH_KEY changed. Safe to interrupt and run again; afterwards the old key
can be removed from FIELD_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand

from shopops.common import pii


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=2000, help="rows per transaction (default 2000)")

    def handle(self, *args, batch: int, **options):
        keys = len(pii.fernet_keys())
        self.stdout.write(f"Encrypting with the first of {keys} key(s).")
        for label, counts in pii.rotate_all(batch=batch).items():
            self.stdout.write(
                f"{label}: {counts['rows']} rows, {counts['reencrypted']} values re-encrypted, "
                f"{counts['hashes']} hashes rewritten"
            )
