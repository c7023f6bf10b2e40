from datetime import date

from django.core.management.base import BaseCommand, CommandError

from shopops import nightly
from shopops.common.dates import shop_yesterday


class Command(BaseCommand):
    help = "Run the nightly pipeline for one business date (default: yesterday in the shop's time zone)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="business date YYYY-MM-DD, to replay history")
        parser.add_argument(
            "--async",
            dest="enqueue",
            action="store_true",
            help="enqueue the chain for the Celery workers instead of running it here",
        )

    def handle(self, *args, **options):
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else shop_yesterday()
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, not {options['date']!r}") from exc
        if options["enqueue"]:
            result = nightly.pipeline(day).apply_async()
            self.stdout.write(f"Enqueued the nightly pipeline for {day} (last task id {result.id}).")
            return
        self.stdout.write(f"Nightly pipeline for {day}:")
        for step, outcome in nightly.run_now(day):
            self.stdout.write(f"  {step}: {outcome}")
        self.stdout.write(self.style.SUCCESS("Done."))
