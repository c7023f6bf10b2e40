"""Compare the KPI rollups (order facts) with a fresh computation from the orders; exit 1 on a difference."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from orders import selectors as order_selectors
from orders import services as order_services
from reports import kpis
from shopops.common.dates import shop_today


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Dates are YYYY-MM-DD, not {value!r}.") from exc


class Command(BaseCommand):
    help = (
        "Compare the KPI rollups of [--start, --end) with a direct computation from the orders table: every "
        "day x channel fact, every SKU fact, every customer's chain, and the KPI totals of the period. "
        "Prints the differences and exits with status 1 when there are any; --rebuild then repairs them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", help="first shop-local date (default: 35 days ago)")
        parser.add_argument("--end", help="last shop-local date, excluded (default: tomorrow)")
        parser.add_argument("--all", action="store_true", help="every date that has orders")
        parser.add_argument("--rebuild", action="store_true", help="rebuild the period when it differs")

    def handle(self, *args, **options):
        today = shop_today()
        start = _date(options["start"]) if options["start"] else today - timedelta(days=35)
        end = _date(options["end"]) if options["end"] else today + timedelta(days=1)
        if options["all"]:
            span = order_selectors.order_date_span()
            if span is None:
                self.stdout.write("No orders: nothing to check.")
                return
            start, end = span[0], max(span[1], today) + timedelta(days=1)
        if end <= start:
            raise CommandError("--end must be after --start.")
        problems = order_services.order_facts_check(start=start, end=end)
        rollup, direct = kpis.kpi_totals(start=start, end=end), kpis.kpi_totals_direct(start=start, end=end)
        problems += [
            f"KPI {key}: rollups {rollup[key]}, direct {direct[key]}"
            for key in kpis.ORDER_KPIS
            if rollup[key] != direct[key]
        ]
        if not problems:
            self.stdout.write(
                self.style.SUCCESS(
                    f"KPI rollups of {start} .. {end} (excluded) equal the direct computation: "
                    f"{rollup['orders']:,} orders, GMV {rollup['gmv']}, {rollup['customers']:,} customers."
                )
            )
            return
        for line in problems[:200]:
            self.stdout.write(line)
        if len(problems) > 200:
            self.stdout.write(f"… and {len(problems) - 200} more")
        if options["rebuild"]:
            result = order_services.order_facts_rebuild(start=start, end=end)
            self.stdout.write(f"Rebuilt {result['days']} day rows.")
        raise CommandError(f"{len(problems)} difference(s) between the KPI rollups and the orders.")
