import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orders import rates
from shopops.common.audit import audit_context


class Command(BaseCommand):
    help = (
        "Import exchange rates from a CSV file with the header date,currency,rate_to_shop_currency. "
        "All or nothing: any invalid row is printed and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8, with or without BOM, or GB18030)")
        parser.add_argument("--dry-run", action="store_true", help="validate and count, but write nothing")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            text = rates.csv_text_decode(path.read_bytes())
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not CSV text in UTF-8 or GB18030.") from exc

        with audit_context(source="command:import_rates"):
            result = rates.rates_import(rows=io.StringIO(text, newline=""), apply=not options["dry_run"])
        for error in result.errors:
            column = f", {error.field}" if error.field else ""
            self.stderr.write(f"row {error.row}{column}: {error.message}")
        if not result.ok:
            raise CommandError(f"{result.invalid_rows} invalid row(s) in {path}: nothing was imported.")
        summary = f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}"
        if options["dry_run"]:
            self.stdout.write(f"Dry run, nothing written: would have {summary}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {path}: {summary}."))
