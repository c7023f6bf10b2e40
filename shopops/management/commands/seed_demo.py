"""seed_demo: deterministic demo data (catalogue, channels, customers, two years of orders, stock)."""

import argparse
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shopops.demo.rollups import demo_rollups_build
from shopops.demo.seed import (
    SCALES,
    DemoDataExists,
    DemoResetBlocked,
    default_end_date,
    demo_data_present,
    demo_data_reset,
    seed_demo,
)


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"must be a date YYYY-MM-DD, not {value!r}") from exc


class Command(BaseCommand):
    help = (
        "Fill the database with deterministic demo data: two years of orders ending on --end-date "
        "(default today in the shop's time zone). Refuses when there are orders, unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=list(SCALES),
            default="small",
            help="tiny ≈ 2k orders, small ≈ 100k orders, large = 1M orders and 10k SKUs.",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (same seed and end date, same data)."
        )
        parser.add_argument(
            "--end-date", type=_iso_date, default=None, help="Last day with orders, YYYY-MM-DD."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the existing shop data (orders, customers, stock, catalogue, ...) first.",
        )

    def handle(self, *args, scale, seed, end_date, reset, verbosity=1, **options):
        started = time.monotonic()

        def progress(message: str):
            if verbosity >= 2:
                self.stdout.write(f"  {message}")

        if isinstance(end_date, str):  # call_command(..., end_date="2025-06-30") skips the parser's type
            try:
                end_date = _iso_date(end_date)
            except argparse.ArgumentTypeError as exc:
                raise CommandError(f"--end-date {exc}") from exc
        end_date = end_date or default_end_date()
        # One transaction: a failed seed leaves the old data in place.
        try:
            with transaction.atomic():
                if reset:
                    deleted = demo_data_reset()
                    if verbosity >= 1 and any(deleted.values()):
                        self.stdout.write(
                            "Deleted " + ", ".join(f"{n:,} {label}" for label, n in deleted.items() if n)
                        )
                elif demo_data_present():
                    raise CommandError(
                        "The database already has shop data (orders, catalogue or stock). "
                        "Run with --reset to replace it with demo data."
                    )
                counts = seed_demo(scale=scale, seed=seed, end_date=end_date, progress=progress)
                counts["fact_day_rows"] = demo_rollups_build()
        except (DemoDataExists, DemoResetBlocked) as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded demo data (scale {scale}, seed {seed}, {end_date:%Y-%m-%d} back two years) "
                    f"in {elapsed:.1f} s:"
                )
            )
            self.stdout.write(
                "  " + ", ".join(f"{name.replace('_', ' ')} {n:,}" for name, n in counts.items())
            )
