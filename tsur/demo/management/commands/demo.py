"""`tsur demo`: the whole platform with the Kaluga demo on the embedded default (SQLite, background
work in-process): migrates, loads the demo once, prints the URL and the logins, serves."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tsur.appeals.models import Appeal
from tsur.core.tasks import InProcessScheduler
from tsur.demo.loader import DEMO_API_KEY, DEMO_PASSWORD, create_users, load_demo
from tsur.demo.monitoring import demo_keys, load_sources


class Command(BaseCommand):
    help = "Run the platform with the Kaluga demo on the embedded default."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address:port to listen on")
        parser.add_argument("--appeals", type=int, default=400)
        parser.add_argument("--history-days", type=int, default=365, help="days of generated history (0: none)")
        parser.add_argument("--no-serve", action="store_true", help="prepare the database and exit")

    def handle(self, *args, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if not Appeal.objects.exists():
            self.stdout.write("Загружаю демо-конфигурацию Калужской области…")
            load_demo(count=options["appeals"], history_days=max(0, options["history_days"]))
        users = create_users()
        load_sources(demo_keys=True)  # the monitoring sources' fixed demo keys, printed below
        addr = options["addr"]
        url = f"http://{addr}"
        if not os.environ.get("TSUR_SITE_URL"):
            settings.SITE_URL = url  # links in residents' notifications point at this server
        self.stdout.write("")
        self.stdout.write(f"ЦУР (демо) — {url}/")
        self.stdout.write(f"  рабочее место операторов: {url}/workspace/")
        self.stdout.write(f"  ситуационный центр:       {url}/workspace/center/  (analyst, operator, admin)")
        self.stdout.write(f"  форма жителя (виджет):    {url}/widget/")
        self.stdout.write(f"  опросы жителей:           {url}/polls/  (коды подтверждения — в {settings.VAR_DIR}/outbox/poll-codes.jsonl)")
        self.stdout.write(f"  API и документация:       {url}/api/docs   Open311: {url}/open311/v2/services.json")
        self.stdout.write(f"  администрирование:        {url}/admin/")
        self.stdout.write(f"Пароль всех демо-пользователей: {DEMO_PASSWORD}")
        for username, role, scope in users.logins:
            self.stdout.write(f"  {username:<28} {role:<24} {scope}")
        self.stdout.write(f"Демо-ключ для подачи обращений (Open311 api_key и POST /api/appeals): {DEMO_API_KEY}")
        self.stdout.write(f"Ключи источников мониторинга (POST {url}/api/monitoring/events, Authorization: Bearer …):")
        for _code, name, key in demo_keys():
            self.stdout.write(f"  {key:<44} {name}")
        if options["no_serve"]:
            return
        interval = settings.TSUR_INPROCESS_TICK_SECONDS or 60
        InProcessScheduler(interval).start()
        call_command("runserver", addr, use_reloader=False, use_threading=True)
