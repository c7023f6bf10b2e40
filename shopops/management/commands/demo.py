import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from orders.models import Order
from shopops import nightly
from shopops.common.dates import shop_today, shop_yesterday
from shopops.demo.finance import finance_history_replay, risky_orders_sync
from shopops.demo.reports import reports_seed
from shopops.demo.rollups import demo_rollups_build
from shopops.demo.seed import seed_demo
from shopops.demo_users import demo_users_ensure


class Command(BaseCommand):
    help = (
        "The one-command demo: migrate, seed the small demo if the database is empty, run the nightly "
        "pipeline, create one login per role and serve the dashboard."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", default="small", choices=["tiny", "small", "large"])
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="prepare everything, then exit")

    def handle(self, *args, **options):
        started = time.monotonic()
        (settings.BASE_DIR / "var").mkdir(exist_ok=True)
        self.stdout.write("Migrating the database…")
        call_command("migrate", interactive=False, verbosity=0)

        seeded = not Order.objects.exists()
        if seeded:
            self.stdout.write(f"Seeding the {options['scale']} demo (seed {options['seed']})…")
            counts = seed_demo(scale=options["scale"], seed=options["seed"])
            self.stdout.write(
                "  " + ", ".join(f"{k}: {v:,}" for k, v in counts.items() if isinstance(v, int))
            )
            self.stdout.write(f"  order facts (KPI rollups): {demo_rollups_build():,} day rows")
        else:
            self.stdout.write("The database already has orders: not seeding.")

        day = shop_yesterday()
        self.stdout.write(f"Running the nightly pipeline for {day}…")
        for step, outcome in nightly.run_now(day):
            self.stdout.write(f"  {step}: {outcome}")

        if seeded:
            # The seed set the level of cash against a forecast without the demand forecast and the
            # replenishment suggestions the pipeline has just built: set it again, and replay the history.
            self.stdout.write("Replaying the finance history against today's forecast…")
            self.stdout.write(f"  {finance_history_replay(end_date=day)}")
        self.stdout.write("Cash-on-delivery orders arriving now, scored by the risk job…")
        self.stdout.write(f"  {risky_orders_sync(now=timezone.now())}")

        users = demo_users_ensure()
        self.stdout.write("The report archive: last week's manager report and yesterday's digest…")
        self.stdout.write(f"  {reports_seed(today=shop_today(), yesterday=day)}")
        self.stdout.write(
            "\nDemo logins (username / password — role; two-factor secret for an authenticator app):"
        )
        for username, password, role, otp_secret in users:
            self.stdout.write(
                f"  {username:<18} {password}  — {role}"
                + (f"; 2FA secret {otp_secret}" if otp_secret else "")
            )
        self.stdout.write(
            "  finance, manager and admin log in with a second step: add the secret to an authenticator app "
            "(time-based, 6 digits, 30 s) and enter its code."
        )
        self.stdout.write(self.style.SUCCESS(f"\nReady in {time.monotonic() - started:.1f} s."))

        if options["no_serve"]:
            return
        self.stdout.write(
            self.style.SUCCESS(f"Serving the dashboard at http://{options['addrport']}/ (Ctrl+C to stop)")
        )
        call_command("runserver", options["addrport"], use_reloader=False, skip_checks=True)
