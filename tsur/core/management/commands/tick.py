from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from tsur.core.tasks import tick


class Command(BaseCommand):
    help = "Run the periodic jobs once: reminders, escalations, auto-closing, re-enqueueing lost work."

    def handle(self, *args, **options) -> None:
        self.stdout.write(json.dumps(tick.run(), ensure_ascii=False))
