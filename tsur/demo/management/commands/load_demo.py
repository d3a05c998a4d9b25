from __future__ import annotations

from django.core.management.base import BaseCommand

from tsur.demo.loader import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the Kaluga demo configuration (reference data, users, a replayed history of appeals)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--appeals", type=int, default=400, help="how many demo appeals to replay (default 400)")

    def handle(self, *args, **options) -> None:
        counts, users = load_demo(count=options["appeals"])
        for key, value in counts.items():
            self.stdout.write(f"{key}: {value}")
        self.stdout.write(f"demo password for every user: {DEMO_PASSWORD}")
        for username, role, scope in users.logins:
            self.stdout.write(f"  {username:<28} {role:<24} {scope}")
