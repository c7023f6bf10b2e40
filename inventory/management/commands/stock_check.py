"""Prove that the stock levels agree with the ledger: every level must equal the sum of its movements.

manage.py stock_check          list the disagreements; exit status 1 if there is any
manage.py stock_check --fix    rewrite the disagreeing levels from the ledger (the ledger is the truth)
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from catalog import selectors as catalog_selectors
from inventory import selectors
from inventory.models import StockLevel, Warehouse


class Command(BaseCommand):
    help = "Compare stock levels with the sums of the ledger; --fix rewrites the levels from the ledger."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix",
            action="store_true",
            help="Rewrite disagreeing stock levels from the ledger, in one transaction.",
        )

    def handle(self, *args, fix=False, **options):
        mismatches = self._fix() if fix else selectors.ledger_mismatches()
        self._print(mismatches)
        if not mismatches:
            self.stdout.write(self.style.SUCCESS("Stock levels agree with the ledger."))
            return
        if fix:
            self.stderr.write(
                self.style.WARNING(
                    f"WARNING: rewrote {len(mismatches)} stock level(s) from the ledger. Levels changed "
                    "outside the ledger point at a bug or a manual edit: find out why."
                )
            )
            return
        raise CommandError(f"{len(mismatches)} stock level(s) disagree with the ledger.", returncode=1)

    def _print(self, mismatches: list[dict]) -> None:
        if not mismatches:
            return
        sku_codes = dict(
            catalog_selectors.sku_client_list()
            .filter(pk__in={m["sku_id"] for m in mismatches})
            .values_list("pk", "code")
        )
        warehouse_codes = dict(Warehouse.objects.values_list("pk", "code"))
        self.stdout.write("SKU\twarehouse\ton hand (level / ledger)\treserved (level / ledger)")
        for m in sorted(mismatches, key=lambda m: (m["sku_id"], m["warehouse_id"])):
            sku = sku_codes.get(m["sku_id"], m["sku_id"])
            on_hand = f"{_show(m['on_hand'])} / {m['ledger_on_hand']}"
            reserved = f"{_show(m['reserved'])} / {m['ledger_reserved']}"
            self.stdout.write(f"{sku}\t{warehouse_codes.get(m['warehouse_id'])}\t{on_hand}\t{reserved}")

    @transaction.atomic
    def _fix(self) -> list[dict]:
        # Lock every level in primary-key order (the order the services lock in): no movement can be
        # written while the levels are compared and rewritten, so the sums read next are final.
        list(StockLevel.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        mismatches = selectors.ledger_mismatches()
        existing = []
        missing = []
        for m in mismatches:
            if m["on_hand"] is None:
                missing.append(
                    StockLevel(
                        sku_id=m["sku_id"],
                        warehouse_id=m["warehouse_id"],
                        on_hand=m["ledger_on_hand"],
                        reserved=m["ledger_reserved"],
                    )
                )
            else:
                existing.append(m)
        keys = {(m["sku_id"], m["warehouse_id"]) for m in existing}
        levels = {
            (level.sku_id, level.warehouse_id): level
            for level in StockLevel.objects.filter(sku_id__in={k[0] for k in keys})
            if (level.sku_id, level.warehouse_id) in keys
        }
        for m in existing:
            level = levels[(m["sku_id"], m["warehouse_id"])]
            level.on_hand, level.reserved = m["ledger_on_hand"], m["ledger_reserved"]
        try:
            with transaction.atomic():
                StockLevel.objects.bulk_update(levels.values(), ["on_hand", "reserved"], batch_size=500)
                StockLevel.objects.bulk_create(missing, batch_size=500)
        except IntegrityError as exc:
            raise CommandError(
                f"The ledger itself gives an impossible level (negative, or reserved above on hand): {exc}"
            ) from exc
        return mismatches


def _show(value) -> str:
    return "-" if value is None else str(value)
