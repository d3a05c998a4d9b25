from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tsur.demo.history import DEFAULT_PER_DAY
from tsur.demo.loader import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the Kaluga demo configuration (reference data, users, a replayed history of appeals)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--appeals", type=int, default=400, help="how many demo appeals to replay (default 400)")
        parser.add_argument(
            "--history-days", type=int, default=365,
            help="days of generated history before the replayed appeals (default 365; 0: none)",
        )
        parser.add_argument(
            "--history-per-day", type=float, default=DEFAULT_PER_DAY,
            help=f"generated appeals on an average day (default {DEFAULT_PER_DAY})",
        )

    def handle(self, *args, **options) -> None:
        if options["history_days"] < 0 or options["history_per_day"] <= 0:
            raise CommandError("--history-days must be 0 or more and --history-per-day above 0")
        counts, users = load_demo(
            count=options["appeals"], history_days=options["history_days"], history_per_day=options["history_per_day"],
            progress=lambda n: self.stderr.write(f"история: записано {n} обращений"),
        )
        for key, value in counts.items():
            self.stdout.write(f"{key}: {value}")
        self.stdout.write(f"demo password for every user: {DEMO_PASSWORD}")
        for username, role, scope in users.logins:
            self.stdout.write(f"  {username:<28} {role:<24} {scope}")
