"""`tsur replay`: load a real region's history (the St Petersburg portal export by default)
through the platform's services, at its real dates or shifted, with a progress bar on stderr."""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone

from tsur.replay import runner
from tsur.replay.config import DEFAULT_CONFIG, ConfigError, read_config, set_up_region


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"дата в формате ГГГГ-ММ-ДД, а не {value!r}") from None


def _who() -> str:
    """The operating-system user who ran the command, for the run's record."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "неизвестный пользователь"


def default_data_dir() -> Path:
    """../shared/data relative to the project checkout."""
    return Path(settings.BASE_DIR).resolve().parent / "shared" / "data"


class ProgressBar:
    """count, share, rate and time left, redrawn in place on stderr."""

    def __init__(self, stream, width: int = 30) -> None:
        self.stream, self.width = stream, width
        self.drawn = -1.0

    def __call__(self, done: int, total: int, seconds: float) -> None:
        # Redrawn at most twice a second (and at the end): the terminal is not the bottleneck.
        if done < total and seconds - self.drawn < 0.5:
            return
        self.drawn = seconds
        share = done / total if total else 1.0
        rate = done / seconds if seconds > 0 else 0.0
        left = (total - done) / rate if rate else 0.0
        bar = "#" * round(share * self.width)
        self.stream.write(
            f"\r[{bar:<{self.width}}] {done}/{total} {share:6.1%}  {rate:7.1f} обр./с  "
            f"осталось {int(left // 60):d}:{int(left % 60):02d}"
        )
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Воспроизвести реальную историю обращений региона (портал «Наш Санкт-Петербург») через сервисы платформы."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", default=None, help="каталог данных (по умолчанию ../shared/data); файлы в <каталог>/<регион>/")
        parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="файл конфигурации региона (JSON)")
        parser.add_argument("--limit", type=int, default=None, help="не более N сообщений (после отбора по датам)")
        parser.add_argument("--from", dest="date_from", default=None, help="сообщения, созданные с этой даты (ГГГГ-ММ-ДД)")
        parser.add_argument("--to", dest="date_to", default=None, help="сообщения, созданные по эту дату включительно")
        parser.add_argument("--shift-to", default=None, help="сдвинуть время: последний день данных станет этой датой (или today)")
        parser.add_argument("--batch", type=int, default=200, help="сообщений в одной транзакции (по умолчанию 200)")
        parser.add_argument(
            "--bulk", action="store_true",
            help="пакетная запись через импорт истории (без событий подписчикам: затем tsur analytics rebuild и tsur tension recompute)",
        )
        parser.add_argument("--setup-only", action="store_true", help="только создать справочники региона")
        parser.add_argument("--quiet", action="store_true", help="без индикатора хода")

    def handle(self, *args, **o) -> None:
        try:
            config = read_config(o["config"])
        except ConfigError as exc:
            raise CommandError(str(exc)) from None
        if o["setup_only"]:
            counts = set_up_region(config)
            self.stdout.write("Справочники региона созданы: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
            return
        try:
            shift_to = None
            if o["shift_to"]:
                shift_to = timezone.localdate() if o["shift_to"] == "today" else _date(o["shift_to"])
            options = runner.Options(
                data_dir=self._data_dir(o["data"], config.region),
                limit=o["limit"],
                date_from=_date(o["date_from"]) if o["date_from"] else None,
                date_to=_date(o["date_to"]) if o["date_to"] else None,
                shift_to=shift_to,
                batch=o["batch"],
                explain_skips=o["verbosity"] >= 2,
                bulk=o["bulk"],
                started_by=f"командная строка ({_who()})",
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        bar = None if o["quiet"] else ProgressBar(sys.stderr)
        try:
            outcome = runner.run(config, options, bar)
        except runner.ReplayError as exc:
            raise CommandError(str(exc)) from None
        except KeyboardInterrupt:
            raise CommandError(self._stopped("прервано"), returncode=130) from None
        except DatabaseError as exc:
            raise CommandError(self._stopped(f"ошибка базы данных: {exc}")) from None
        for problem in outcome.problems:
            self.stderr.write(str(problem))
        self.stdout.write("Итог: " + runner.summary(outcome))
        if outcome.loaded + outcome.skipped == 0:
            raise CommandError("не загружено ни одного сообщения: в выгрузке нет пригодных строк для выбранных условий")

    @staticmethod
    def _stopped(why: str) -> str:
        return f"\n{why}. Загруженные пакеты сохранены целиком, незавершённый отменён; повторный запуск продолжит с того же места."

    @staticmethod
    def _data_dir(value: str | None, region: str) -> Path:
        base = Path(value) if value else default_data_dir()
        # --data may name the datasets' folder (../shared/data) or the region's own folder in it.
        return base / region if (base / region / "appeals.csv.gz").exists() or not (base / "appeals.csv.gz").exists() else base
