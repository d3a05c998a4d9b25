"""`manage.py deadline`: compute the deadlines of one item and print them as JSON."""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tsur.deadlines.compute import calendar_for, compute_due, default_policies, policy_for_regime
from tsur.deadlines.models import DeadlinePolicy
from tsur.directory.models import Organisation, Regime, Urgency
from tsur.lib.workcal import WorkCalendar

EXIT_USAGE = 2


def _non_negative(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ArgumentTypeError(f"ожидается целое число, получено «{value}»") from None
    if number < 0:
        raise ArgumentTypeError("число дней не может быть отрицательным")
    return number


def parse_moment(value: str, tz: ZoneInfo, what: str) -> dt.datetime:
    """An ISO-8601 date-time; one without an offset is read in `tz`."""
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            f"{what}: «{value}» — не дата и время в формате ISO-8601 (например, 2025-03-10T09:00:00+03:00)",
            returncode=EXIT_USAGE,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment


def _iso(moment: dt.datetime | None, tz: ZoneInfo) -> str | None:
    return None if moment is None else moment.astimezone(tz).isoformat()


class Command(BaseCommand):
    help = "Рассчитать сроки по регламенту (инцидент, сообщение, обращение) и вывести их в JSON."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--regime", required=True, choices=Regime.values, help="режим сроков")
        parser.add_argument("--urgency", default=Urgency.NORMAL.value, choices=Urgency.values, help="срочность")
        parser.add_argument(
            "--received", required=True, help="время поступления, ISO-8601; без смещения — по московскому времени"
        )
        parser.add_argument("--organisation", help="код организации (её рабочие часы и календарь)")
        parser.add_argument("--interim", help="время промежуточного ответа, ISO-8601")
        parser.add_argument("--extension-days", type=_non_negative, default=0, help="продление, календарных дней")

    def handle(self, *args: Any, **options: Any) -> None:
        tz = ZoneInfo(settings.TIME_ZONE)
        received = parse_moment(options["received"], tz, "--received")
        interim = parse_moment(options["interim"], tz, "--interim") if options.get("interim") else None
        if interim is not None and interim < received:
            raise CommandError("--interim: промежуточный ответ не может быть раньше поступления", returncode=EXIT_USAGE)

        # On a database not migrated yet (a fresh checkout) the defaults of PRODUCT.md still answer.
        ready = {"deadlines_deadlinepolicy", "directory_organisation"} <= set(connection.introspection.table_names())
        organisation = None
        code = options.get("organisation")
        if code:
            if not ready:
                raise CommandError("--organisation: база данных ещё не создана, выполните «tsur migrate»", returncode=EXIT_USAGE)
            organisation = Organisation.objects.filter(code=code).first()
            if organisation is None:
                raise CommandError(f"--organisation: организация с кодом «{code}» не найдена", returncode=EXIT_USAGE)

        if ready:
            policy, from_db = policy_for_regime(options["regime"])
            calendar = calendar_for(organisation)
        else:
            policy, from_db = DeadlinePolicy(**next(p for p in default_policies() if p["regime"] == options["regime"])), False
            calendar = WorkCalendar(tz=tz)
        dates = compute_due(
            policy,
            options["urgency"],
            received,
            calendar,
            interim_at=interim,
            extension_days=options["extension_days"],
        )
        result = {
            "regime": options["regime"],
            "urgency": options["urgency"],
            "received": _iso(received, calendar.tz),
            "due": _iso(dates.due, calendar.tz),
            "registration_due": _iso(dates.registration_due, calendar.tz),
            "transfer_due": _iso(dates.transfer_due, calendar.tz),
            "unit": dates.unit,
            "amount": dates.amount,
            "interim": _iso(interim, calendar.tz),
            "extension_days": options["extension_days"],
            "organisation": organisation.code if organisation else None,
            "policy_source": "db" if from_db else "default",
            "explain": dates.explain,
        }
        self.stdout.write(json.dumps(result, ensure_ascii=False))
