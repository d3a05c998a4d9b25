"""`tsur replay` on a small synthetic portal export written by each test (never real rows): the
appeals go through the services with the portal's statuses, events and times; shifted in time;
idempotent; resumable; bad lines reported by number while the rest loads; the real export, when
present, lands in the right districts and blocks."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from tsur.answers.models import Answer, Rating
from tsur.appeals.models import Appeal, CloseReason, Event, Status
from tsur.replay import runner
from tsur.replay.config import read_config
from tsur.replay.models import ReplayRun

MSK = ZoneInfo("Europe/Moscow")
# ../shared/data beside the checkout (the real export; its tests skip when it is absent).
REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "spb"
APPEAL_HEADER = ["id", "created_dt", "city_object", "category", "reason", "district", "municipality", "address", "lat", "lon",
                 "text", "responsible_org", "expected_answer_dt", "answer_dt", "n_answers", "last_status", "answer_text"]
PARADNAYA = ("Содержание МКД", "Неудовлетворительное состояние парадной")  # housing
SNOW = ("Благоустройство", "Неубранный снег на автомобильных дорогах и прилегающих к ним тротуарах, спусках к воде, "
        "подземных и надземных пешеходных переходах")  # roads
ORG = 'СПб ГКУ ЖА Невского района'
M, R, INTERIM, A = "Модерация", "Рассмотрение", "Промежуточный ответ", "Получен ответ"
S, C = "Завершено: Пользователь удовлетворен решением проблемы", "Завершено: Автоматически"


def appeal(pk: str, created: str, *, topic=PARADNAYA, district="Невский", mo="муниципальный округ Ивановский",
           text="Грязно в подъезде, давно не убирали", org=ORG, answer_dt="", answer_text="") -> dict:
    return {"id": pk, "created_dt": created, "city_object": "Дом", "category": topic[0], "reason": topic[1],
            "district": district, "municipality": mo, "address": "ул. Примерная, 1", "lat": "59.87", "lon": "30.45",
            "text": text, "responsible_org": org, "expected_answer_dt": "", "answer_dt": answer_dt, "n_answers": "1",
            "last_status": "", "answer_text": answer_text}


def write(folder: Path, appeals: list[dict], history: list[tuple[str, str, str]], *, raw_appeals: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    w = csv.DictWriter(out, APPEAL_HEADER, lineterminator="\n")
    w.writeheader()
    w.writerows(appeals)
    with gzip.open(folder / "appeals.csv.gz", "wt", encoding="utf-8") as f:
        f.write(raw_appeals if raw_appeals is not None else out.getvalue())
    with gzip.open(folder / "status_history.csv.gz", "wt", encoding="utf-8") as f:
        h = csv.writer(f, lineterminator="\n")
        h.writerow(["id", "dt", "status_name"])
        h.writerows(history)
    return folder


def four_messages(folder: Path) -> Path:
    return write(
        folder,
        [
            appeal("101", "2021-01-10T09:00:00.100", answer_dt="2021-01-12T10:00:00", answer_text="Уборка проведена."),
            appeal("102", "2021-01-11T12:00:00", topic=SNOW, district="Выборгский", mo="муниципальный округ Шувалово-Озерки",
                   text="Снег на дороге\nне убран третий день", org='СПб ГКУ "Центр комплексного благоустройства"',
                   answer_dt="2021-01-12T08:00:00", answer_text="Работы запланированы."),
            appeal("103", "2021-01-12T08:30:00", answer_dt="2021-01-14T09:00:00", answer_text="Выполнено."),
            appeal("104", "2021-01-13T10:00:00", answer_dt="2021-01-25T09:00:00", answer_text="Повторно убрано."),
        ],
        [
            ("101", "2021-01-10T09:00:00.200", M), ("101", "2021-01-11T10:00:00", R), ("101", "2021-01-12T15:00:00", A),
            ("101", "2021-01-13T08:00:00", S),
            ("102", "2021-01-11T12:00:00.300", M), ("102", "2021-01-11T16:00:00", R), ("102", "2021-01-12T08:00:00", INTERIM),
            ("103", "2021-01-12T08:30:00.100", M), ("103", "2021-01-12T11:00:00", R), ("103", "2021-01-14T12:00:00", A),
            ("103", "2021-01-21T12:00:00", C),
            ("104", "2021-01-13T10:00:00.100", M), ("104", "2021-01-13T12:00:00", R), ("104", "2021-01-15T12:00:00", A),
            ("104", "2021-01-16T09:00:00", M), ("104", "2021-01-16T11:00:00", R), ("104", "2021-01-25T12:00:00", A),
            ("104", "2021-01-26T12:00:00", S),
        ],
    )


def replay(folder: Path, **options) -> runner.Outcome:
    return runner.run(read_config(runner_config()), runner.Options(data_dir=folder, **options))


def runner_config() -> Path:
    from tsur.replay.config import DEFAULT_CONFIG

    return DEFAULT_CONFIG


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=MSK)


def kinds(a: Appeal) -> list[str]:
    return list(a.events.order_by("at", "pk").values_list("kind", flat=True))


@pytest.mark.parametrize("bulk", [False, True], ids=["one service call per step", "history import per batch"])
def test_it_loads_the_history_through_the_services_with_statuses_events_and_times(db, tmp_path, bulk):
    outcome = replay(four_messages(tmp_path / "spb"), bulk=bulk)
    assert (outcome.loaded, outcome.failed, outcome.problems) == (4, 0, [])

    a = Appeal.objects.get(channel="spb-portal", external_id="101")
    assert a.status == Status.CLOSED and a.close_reason == CloseReason.SATISFIED
    assert a.received_at == moment("2021-01-10T09:00:00.100")
    assert kinds(a) == ["created", "take_to_moderation", "route", "accept", "prepare_answer", "approve_answer",
                        "publish_answer", "rate_satisfied"]
    route = a.events.get(kind="route")
    assert route.at == moment("2021-01-11T10:00:00") and "по истории портала" in route.reason
    assert a.organisation.name == ORG and a.routing_reason.endswith("по истории портала")
    # Written by the organisation at the export's answer time, published when the portal showed it.
    assert a.events.get(kind="prepare_answer").at == moment("2021-01-12T10:00:00")
    assert a.events.get(kind="publish_answer").at == moment("2021-01-12T15:00:00")
    assert a.answers.get(kind=Answer.Kind.FINAL).text == "Уборка проведена."
    assert Rating.objects.get(appeal=a).score == 5
    assert a.territory.code == "spb-mo-ivanovskiy" and a.territory.parent.code == "spb-nevskiy"
    assert a.block.key == "housing" and a.category.code.startswith("spb-mkd-")

    b = Appeal.objects.get(external_id="102")
    assert b.status == Status.IN_PROGRESS and b.block.key == "roads"
    assert b.text == "Снег на дороге\nне убран третий день"
    assert b.answers.get().kind == Answer.Kind.INTERIM and b.answers.get().text == "Работы запланированы."
    assert b.interim_answered_at == moment("2021-01-12T08:00:00")

    c = Appeal.objects.get(external_id="103")
    assert c.status == Status.CLOSED and c.close_reason == CloseReason.AUTO
    assert c.closed_at == moment("2021-01-21T12:00:00") and not Rating.objects.filter(appeal=c).exists()

    d = Appeal.objects.get(external_id="104")
    assert d.status == Status.CLOSED and d.reopened_count == 1
    assert kinds(d).count("reopen") == 1 and kinds(d).count("publish_answer") == 2
    first, last = d.answers.filter(kind=Answer.Kind.FINAL).order_by("created_at")
    assert "текст в выгрузку не вошёл" in first.text and last.text == "Повторно убрано."
    assert outcome.steps_skipped == 1  # the second «Рассмотрение»: the reopened appeal is already in work
    assert d.events.get(kind="reopen").at == moment("2021-01-16T09:00:00")


@pytest.mark.parametrize("bulk", [False, True])
def test_it_shifts_the_history_so_its_newest_day_lands_on_the_given_date(db, tmp_path, bulk):
    outcome = replay(four_messages(tmp_path / "spb"), shift_to=dt.date(2026, 12, 5), bulk=bulk)
    newest = dt.date(2021, 1, 26)
    assert outcome.shift_days == (dt.date(2026, 12, 5) - newest).days
    a = Appeal.objects.get(external_id="101")
    assert a.received_at == moment("2021-01-10T09:00:00.100") + dt.timedelta(days=outcome.shift_days)
    last = Event.objects.filter(appeal__channel="spb-portal").order_by("-at").first()
    assert last.at.astimezone(MSK).date() == dt.date(2026, 12, 5)
    # A resumed run keeps the shift; a different one is refused with a clear message.
    assert replay(tmp_path / "spb").shift_days == outcome.shift_days
    with pytest.raises(runner.ReplayError, match="уже загружены со сдвигом"):
        replay(tmp_path / "spb", shift_to=dt.date(2026, 12, 6))


@pytest.mark.parametrize("bulk", [False, True])
def test_it_is_idempotent(db, tmp_path, bulk):
    folder = four_messages(tmp_path / "spb")
    replay(folder, bulk=bulk)
    counts = (Appeal.objects.count(), Event.objects.count(), Answer.objects.count(), Rating.objects.count())
    again = replay(folder, bulk=bulk)
    assert (again.loaded, again.skipped) == (0, 4)
    assert (Appeal.objects.count(), Event.objects.count(), Answer.objects.count(), Rating.objects.count()) == counts


def test_it_resumes_an_interrupted_run_with_nothing_half_loaded(db, tmp_path):
    folder = four_messages(tmp_path / "spb")

    def interrupt(done: int, total: int, seconds: float) -> None:
        if done == 3:  # in the middle of the second batch: its first appeal is rolled back with it
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        runner.run(read_config(runner_config()), runner.Options(data_dir=folder, batch=2), interrupt)
    assert sorted(Appeal.objects.values_list("external_id", flat=True)) == ["101", "102"]
    assert ReplayRun.objects.get().state == ReplayRun.State.FAILED
    outcome = replay(folder, batch=2)
    assert (outcome.loaded, outcome.skipped) == (2, 2)
    assert Appeal.objects.count() == 4 and Appeal.objects.get(external_id="104").status == Status.CLOSED
    assert list(ReplayRun.objects.order_by("pk").values_list("state", "loaded")) == [("failed", 2), ("finished", 2)]


def test_it_reports_bad_lines_by_number_and_loads_the_rest(db, tmp_path):
    good = appeal("201", "2021-02-01T10:00:00", text="Первая строка\nвторая строка")
    rows = [
        good,                                                        # lines 2-3 (a text over two lines)
        appeal("202", "2021-02-30T10:00:00"),                         # line 4: no such date
        appeal("203", "2021-02-02T10:00:00", topic=("Кухня", "Нет такой причины")),  # line 5
        appeal("204", "2021-02-03T10:00:00", district="Нигдешний"),  # line 6
        appeal("205", "2021-02-04T10:00:00"),                         # line 7, its history has an unknown status
    ]
    out = io.StringIO()
    w = csv.DictWriter(out, APPEAL_HEADER, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    text = out.getvalue() + "206,2021-02-05T10:00:00,Дом\n"  # line 8: too few fields
    folder = write(tmp_path / "spb", [], [
        ("201", "2021-02-01T10:00:01", M), ("201", "2021-02-01T12:00:00", R),
        ("205", "2021-02-04T10:00:01", M), ("205", "2021-02-04T11:00:00", "Отправлено в космос"),
        ("205", "2021-02-04T12:00:00", R),
    ], raw_appeals=text)
    err, std = io.StringIO(), io.StringIO()
    call_command("replay", "--data", str(folder), "--quiet", stderr=err, stdout=std)
    messages = err.getvalue()
    assert "appeals.csv.gz, строка 4: сообщение 202: неверная дата создания" in messages
    assert "appeals.csv.gz, строка 5: сообщение 203: категория «Кухня»" in messages
    assert "appeals.csv.gz, строка 6: сообщение 204: район «Нигдешний»" in messages
    assert "appeals.csv.gz, строка 8: неверное число полей" in messages
    assert "status_history.csv.gz, строка 5: неизвестный статус 'Отправлено в космос'" in messages
    assert "Traceback" not in messages
    assert sorted(Appeal.objects.values_list("external_id", flat=True)) == ["201", "205"]
    assert Appeal.objects.get(external_id="201").status == Status.IN_PROGRESS
    assert Appeal.objects.get(external_id="205").status == Status.MODERATION  # loaded as far as its history goes
    assert "загружено 2" in std.getvalue()


def test_it_refuses_a_missing_file_clearly(db, tmp_path):
    folder = tmp_path / "spb"
    folder.mkdir()
    with pytest.raises(CommandError, match="файл не найден: .*status_history.csv.gz"):
        call_command("replay", "--data", str(folder), "--quiet")
    assert not Appeal.objects.exists()


def test_it_refuses_impossible_options_and_fails_when_nothing_is_usable(db, tmp_path):
    folder = four_messages(tmp_path / "spb")
    with pytest.raises(CommandError, match="позже"):
        call_command("replay", "--data", str(folder), "--from", "2021-02-01", "--to", "2021-01-01", "--quiet")
    with pytest.raises(CommandError, match="ГГГГ-ММ-ДД"):
        call_command("replay", "--data", str(folder), "--from", "вчера", "--quiet")
    with pytest.raises(CommandError, match="не загружено ни одного"):
        call_command("replay", "--data", str(folder), "--from", "2022-01-01", "--quiet")
    write(tmp_path / "bad", [], [], raw_appeals="id,text\n1,нет столбцов\n")
    with pytest.raises(CommandError, match="нет столбцов created_dt"):
        call_command("replay", "--data", str(tmp_path / "bad"), "--quiet")


def test_it_selects_by_creation_date_and_limit(db, tmp_path):
    outcome = replay(four_messages(tmp_path / "spb"), date_from=dt.date(2021, 1, 11), date_to=dt.date(2021, 1, 13), limit=2)
    assert outcome.selected == 2
    assert sorted(Appeal.objects.values_list("external_id", flat=True)) == ["102", "103"]


def test_it_sets_the_region_up_once_reusing_blocks(db):
    from tsur.directory.models import Block, Category, Organisation, Territory

    Block.objects.create(key="housing", name="ЖКХ (уже настроен)", order=4)
    call_command("replay", "--setup-only", stdout=io.StringIO())
    call_command("replay", "--setup-only", stdout=io.StringIO())
    assert Block.objects.get(key="housing").name == "ЖКХ (уже настроен)" and Block.objects.count() == 11
    assert Territory.objects.filter(parent__code="spb").count() == 18
    assert Territory.objects.filter(parent__parent__code="spb").count() == 108
    assert Category.objects.filter(code__startswith="spb-").count() == len(read_config(runner_config()).categories)
    assert Organisation.objects.filter(code__startswith="spb-org-").count() == 79


@pytest.mark.parametrize("bulk", [False, True])
def test_it_loads_the_real_export_into_the_right_districts_and_blocks(db, bulk):
    if not (REAL / "appeals.csv.gz").exists():
        pytest.skip(f"the St Petersburg export is absent ({REAL})")
    outcome = replay(REAL, limit=300, bulk=bulk)
    assert outcome.loaded + outcome.failed == 300 and outcome.failed <= 3
    config = read_config(runner_config())
    blocks = {c["code"]: c["block"] for c in config.raw["categories"]}
    with gzip.open(REAL / "appeals.csv.gz", "rt", encoding="utf-8") as f:
        source = {r["id"]: r for _, r in zip(range(300), csv.DictReader(f), strict=False)}
    for a in Appeal.objects.filter(channel="spb-portal").select_related("territory__parent", "category", "block"):
        row = source[a.external_id]
        district = a.territory if a.territory.parent.code == "spb" else a.territory.parent
        assert district.code == config.districts[row["district"]]
        assert a.block.key == blocks[a.category.code]
    assert Appeal.objects.filter(channel="spb-portal", status=Status.CLOSED).count() > 100


def test_it_hands_the_subscribers_one_batch_of_events_per_transaction(db, tmp_path):
    from tsur.appeals.events import appeal_changed, appeals_received

    changed, received = [], []
    appeal_changed.subscribe(changed.append, uid="test.replay.changed")
    appeals_received.subscribe(received.append, uid="test.replay.received")
    try:
        replay(four_messages(tmp_path / "spb"), batch=2)
    finally:
        appeal_changed.unsubscribe("test.replay.changed")
        appeals_received.unsubscribe("test.replay.received")
    assert len(changed) == 2 and len(received) == 2
    assert sorted(c.event_id for batch in changed for c in batch) == sorted(
        Event.objects.filter(appeal__channel="spb-portal").values_list("pk", flat=True)
    )


def test_it_keeps_an_appeal_of_an_unknown_organisation_with_the_center(db, tmp_path):
    folder = write(tmp_path / "spb", [appeal("301", "2021-03-01T10:00:00", org="Ведомство, которого нет в конфигурации")],
                   [("301", "2021-03-01T10:00:01", M), ("301", "2021-03-02T10:00:00", R), ("301", "2021-03-03T10:00:00", A)])
    err = io.StringIO()
    call_command("replay", "--data", str(folder), "--quiet", stderr=err, stdout=io.StringIO())
    assert "строка 2: сообщение 301: организация «Ведомство, которого нет в конфигурации» не описана" in err.getvalue()
    a = Appeal.objects.get(external_id="301")
    assert a.status == Status.MODERATION and a.organisation is None
    assert ReplayRun.objects.get().steps_skipped == 2


def test_it_stops_on_ctrl_c_with_a_message_and_no_traceback(db, tmp_path, monkeypatch):
    from tsur.replay.player import Player

    def interrupted(self, row):
        raise KeyboardInterrupt

    monkeypatch.setattr(Player, "play", interrupted)
    with pytest.raises(CommandError, match="повторный запуск продолжит") as caught:
        call_command("replay", "--data", str(four_messages(tmp_path / "spb")), "--quiet")
    assert caught.value.returncode == 130 and not Appeal.objects.exists()
    assert ReplayRun.objects.get().state == ReplayRun.State.FAILED


def test_it_falls_back_to_the_services_when_the_history_import_refuses_a_batch(db, tmp_path):
    folder = write(
        tmp_path / "spb",
        [appeal("401", "2021-03-01T10:00:00"), appeal("402", "2021-03-01T11:00:00", text="   "), appeal("403", "2021-03-01T12:00:00")],
        [("401", "2021-03-01T10:00:01", M), ("402", "2021-03-01T11:00:01", M), ("403", "2021-03-01T12:00:01", M),
         ("403", "2021-03-02T12:00:00", R)],
    )
    outcome = replay(folder, bulk=True)
    assert (outcome.loaded, outcome.failed) == (2, 1)
    assert [str(p) for p in outcome.problems] == [
        "appeals.csv.gz, строка 3: сообщение 402 не загружено: Обращение не принято: исправьте отмеченные поля. "
        "(text: Опишите проблему: текст обращения не может быть пустым.)"
    ]
    assert Appeal.objects.get(external_id="403").status == Status.IN_PROGRESS
