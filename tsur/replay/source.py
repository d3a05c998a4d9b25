"""Reading a portal export: the appeals file and the status history file, checked row by row.

Every problem is a `Problem` naming the file and the line where the bad record starts, so the
command prints one message per line and loads the rest. Nothing here writes to the database."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from tsur.replay.config import RegionConfig, normalised

APPEALS_FILE = "appeals.csv.gz"
HISTORY_FILE = "status_history.csv.gz"
APPEAL_COLUMNS = ("id", "created_dt", "category", "reason", "district", "municipality", "address", "lat", "lon", "text",
                  "responsible_org", "answer_dt", "answer_text")
HISTORY_COLUMNS = ("id", "dt", "status_name")

# The portal's public statuses and what the replay does with each (tsur.replay.player).
MODERATION = "Модерация"
REVIEW = "Рассмотрение"
INTERIM = "Промежуточный ответ"
ANSWERED = "Получен ответ"
SATISFIED = "Завершено: Пользователь удовлетворен решением проблемы"
AUTO_CLOSED = "Завершено: Автоматически"
CONFIRMED = "Завершено: Народный контролер подтвердил решение проблемы"
STATUSES = frozenset({MODERATION, REVIEW, INTERIM, ANSWERED, SATISFIED, AUTO_CLOSED, CONFIRMED})

# A status change stamped before the message itself was created is impossible; the portal's own
# clocks differ by a fraction of a second (the first «Модерация» comes ~0.1 s after creation).
CLOCK_SLACK = dt.timedelta(minutes=1)


class SourceError(Exception):
    """The export cannot be read at all (a missing file, a missing column)."""


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}, строка {self.line}: {self.message}"


@dataclass(frozen=True)
class Step:
    at: dt.datetime  # aware, in the data's own time (before any shift)
    status: str


@dataclass
class Row:
    """One appeal of the export, checked and resolved to the platform's codes."""

    line: int
    external_id: str
    created: dt.datetime
    text: str
    category_code: str
    territory_code: str
    address: str
    lat: float
    lon: float
    organisation_code: str  # "" when the export names none (or one the configuration lacks)
    answer_at: dt.datetime | None
    answer_text: str
    history: list[Step] = field(default_factory=list)
    history_cut: str = ""  # why the history stops early (a bad status row), shown as a warning


def _open(path: Path) -> io.TextIOBase:
    if not path.exists():
        raise SourceError(f"файл не найден: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    return opener(path, "rt", encoding="utf-8", newline="")


def _records(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str] | None, str]]:
    """(line where the record starts, record or None, error) for each record of a CSV file."""
    try:
        handle = _open(path)
        with handle:
            reader = csv.DictReader(handle)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise SourceError(f"{path.name}: нет столбцов {', '.join(missing)} (строка заголовка 1)")
            start = reader.line_num + 1
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield start, None, f"строка CSV не разбирается: {exc}"
                    start = reader.line_num + 1
                    continue
                if None in record or any(record.get(c) is None for c in required):
                    yield start, None, f"неверное число полей ({len(record) - (None in record)} вместо {len(reader.fieldnames)})"
                else:
                    yield start, record, ""
                start = reader.line_num + 1
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path.name} не читается: {exc}") from None


def parse_moment(value: str, zone: ZoneInfo) -> dt.datetime:
    """An export's local time (ISO, no zone) as an aware datetime; ValueError if it is no date."""
    moment = dt.datetime.fromisoformat(value.strip())
    if moment.tzinfo is not None:
        raise ValueError("время с часовым поясом, а выгрузка пишет местное время без пояса")
    if not 2000 <= moment.year <= 2100:
        raise ValueError(f"невозможный год {moment.year}")
    return moment.replace(tzinfo=zone)


def read_history(path: Path, zone: ZoneInfo, problems: list[Problem]) -> tuple[dict[str, list[Step]], dict[str, str]]:
    """Each message's status changes in time order, and for messages whose history has a bad row
    why it stops there (the steps before it still load)."""
    history: dict[str, list[Step]] = {}
    cut: dict[str, str] = {}
    for line, record, error in _records(path, HISTORY_COLUMNS):
        if record is None:
            problems.append(Problem(path.name, line, error))
            continue
        key = record["id"].strip()
        if not key:
            problems.append(Problem(path.name, line, "пустой id сообщения"))
            continue
        if key in cut:
            continue
        status = record["status_name"].strip()
        try:
            at = parse_moment(record["dt"], zone)
        except ValueError as exc:
            reason = f"неверная дата {record['dt']!r}: {exc}"
        else:
            steps = history.setdefault(key, [])
            if status not in STATUSES:
                reason = f"неизвестный статус {status!r}"
            elif steps and at < steps[-1].at:
                reason = f"время {record['dt']} раньше предыдущего статуса сообщения"
            else:
                steps.append(Step(at, status))
                continue
        problems.append(Problem(path.name, line, f"{reason}; история сообщения {key} загружается до этой строки"))
        cut[key] = f"история обрывается на строке {line} файла {path.name}"
    return history, cut


def read_appeals(path: Path, config: RegionConfig, zone: ZoneInfo, problems: list[Problem]) -> Iterator[Row]:
    """The appeals of the export, in file order, each checked and resolved to codes; a row that
    cannot be loaded becomes a Problem and is not yielded."""
    for line, record, error in _records(path, APPEAL_COLUMNS):
        if record is None:
            problems.append(Problem(path.name, line, error))
            continue
        try:
            yield _row(line, record, config, zone, problems, path.name)
        except ValueError as exc:
            problems.append(Problem(path.name, line, str(exc)))


def _row(line: int, r: dict[str, str], config: RegionConfig, zone: ZoneInfo, problems: list[Problem], name: str) -> Row:
    key = r["id"].strip()
    if not key:
        raise ValueError("пустой id сообщения")
    try:
        created = parse_moment(r["created_dt"], zone)
    except ValueError as exc:
        raise ValueError(f"сообщение {key}: неверная дата создания {r['created_dt']!r} ({exc})") from None
    category = config.categories.get((normalised(r["category"]), normalised(r["reason"])))
    if category is None:
        raise ValueError(f"сообщение {key}: категория «{r['category']}» / причина «{r['reason']}» не описана в конфигурации региона")
    district = normalised(r["district"])
    territory = config.municipalities.get((district, normalised(r["municipality"]))) or config.districts.get(district)
    if territory is None:
        raise ValueError(f"сообщение {key}: район «{r['district']}» не описан в конфигурации региона")
    try:
        lat, lon = float(r["lat"]), float(r["lon"])
    except ValueError:
        raise ValueError(f"сообщение {key}: координаты не числа ({r['lat']!r}, {r['lon']!r})") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"сообщение {key}: координаты вне допустимого диапазона ({lat}, {lon})")
    answer_at = None
    if r["answer_dt"].strip():
        try:
            answer_at = parse_moment(r["answer_dt"], zone)
        except ValueError as exc:
            raise ValueError(f"сообщение {key}: неверная дата ответа {r['answer_dt']!r} ({exc})") from None
        if answer_at < created - CLOCK_SLACK:
            raise ValueError(f"сообщение {key}: ответ ({r['answer_dt']}) раньше самого сообщения ({r['created_dt']})")
    organisation = ""
    if r["responsible_org"].strip():
        organisation = config.organisations.get(normalised(r["responsible_org"]), "")
        if not organisation:
            problems.append(Problem(name, line, f"сообщение {key}: организация «{r['responsible_org']}» не описана в конфигурации; "
                                                 "загружается без направления в организацию"))
    return Row(
        line=line, external_id=key, created=created, text=r["text"], category_code=category, territory_code=territory,
        address=r["address"].strip(), lat=lat, lon=lon, organisation_code=organisation, answer_at=answer_at,
        answer_text=r["answer_text"].strip(),
    )
