"""ПОС import: an export (CSV or XLSX) with configurable columns, a dry run, a report of what was
created, updated or rejected and why, idempotent on the ПОС number, statuses reproduced through
the appeal services."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from tsur.appeals.models import Appeal, Notification, Status
from tsur.channels.models import InboundMessage
from tsur.channels.pos_import.importer import import_file

HEADER = ["Номер", "Дата", "Текст", "Категория", "Адрес", "Статус", "Ответ", "Ответственный"]


def csv_file(tmp_path, rows, header=HEADER, encoding="utf-8", name="export.csv", sep=";"):
    lines = [sep.join(header)] + [sep.join(f'"{v}"' if sep in v or "\n" in v else v for v in row) for row in rows]
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


ROWS = [
    ["1001", "01.03.2026 10:15", "Яма на дороге у дома 5", "Ямы на дороге", "ул. Ленина, 5", "Новое", "", ""],
    ["1002", "02.03.2026", "Не вывозят мусор", "Не вывозят мусор", "", "В работе", "", "Региональный оператор ТКО"],
    ["1003", "2026-03-03 09:00", "Нет отопления в школе", "Нет отопления", "", "Ответ дан", "Отопление включено 4 марта.", ""],
    ["1004", "04.03.2026", "Реклама стройматериалов", "", "", "Отклонено", "Не является обращением.", ""],
    ["1005", "05.03.2026", "Сломана лавочка", "Лавочки во дворе", "", "Передано в архив", "", ""],
    ["", "05.03.2026", "Без номера", "", "", "Новое", "", ""],
    ["1006", "позавчера", "Плохая дата", "", "", "Новое", "", ""],
    ["1007", "05.03.2026", "", "", "", "Новое", "", ""],
    ["1001", "05.03.2026", "Повтор номера", "", "", "Новое", "", ""],
]


def by_number(report):
    return {r.number: r for r in report.rows if r.number and r.action != "rejected"}


def test_it_imports_an_export_with_the_usual_columns(world, tmp_path):
    report = import_file(csv_file(tmp_path, ROWS), name="export.csv")
    assert report.problems == []
    assert report.counts == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 4}
    rows = by_number(report)
    new = Appeal.objects.get(number=rows["1001"].appeal)
    assert new.channel == "pos_import" and new.regime == "message"
    assert new.external_id == "pos:1001" and new.category.code == "pothole" and new.address == "ул. Ленина, 5"
    assert new.received_at == dt.datetime(2026, 3, 1, 10, 15, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert new.status == Status.MODERATION  # «Новое»: where every channel's new appeal starts

    in_work = Appeal.objects.get(number=rows["1002"].appeal)
    assert in_work.status == Status.IN_PROGRESS and in_work.organisation.code == "waste-op"

    answered = Appeal.objects.get(number=rows["1003"].appeal)
    assert answered.status == Status.PUBLISHED
    assert answered.answers.get().text == "Отопление включено 4 марта."
    event = answered.events.get(kind="pos_import")
    assert event.data["source_status"] == "Ответ дан" and event.data["reproduced"] is True

    rejected = Appeal.objects.get(number=rows["1004"].appeal)
    assert rejected.status == Status.REJECTED and "Не является обращением." in rejected.rejection_note

    unknown = Appeal.objects.get(number=rows["1005"].appeal)
    assert unknown.status == Status.MODERATION and unknown.category is None
    assert rows["1005"].reasons == [
        "статус «Передано в архив» не распознан: обращение поступит на модерацию",
        "категория «Лавочки во дворе» не найдена в классификаторе: без категории",
    ]
    rejected_rows = [r for r in report.rows if r.action == "rejected"]
    assert [(r.line, r.reasons) for r in rejected_rows] == [
        (7, ["нет номера сообщения ПОС"]),
        (8, ["дата «позавчера» не распознана"]),
        (9, ["нет текста сообщения"]),
        (10, ["номер уже встречался в строке 2"]),
    ]
    # The raw row is kept untouched; residents are not written to about imported messages.
    assert InboundMessage.objects.get(external_id="1003").raw["columns"]["Ответ"] == "Отопление включено 4 марта."
    assert not Notification.objects.filter(state=Notification.State.PENDING).exists()
    assert Notification.objects.filter(appeal=answered, kind="answer", state=Notification.State.SKIPPED).exists()
    assert "Итого: создано 5, обновлено 0, без изменений 0, отклонено 4" in report.as_text()


def test_it_never_creates_a_second_appeal_and_moves_an_appeal_forward_on_reimport(world, tmp_path):
    first = import_file(csv_file(tmp_path, [ROWS[2][:5] + ["Зарегистрировано", "", ""]]))
    number = first.rows[0].appeal
    again = import_file(csv_file(tmp_path, [ROWS[2]]))
    assert again.counts["updated"] == 1 and again.rows[0].appeal == number
    assert Appeal.objects.get(number=number).status == Status.PUBLISHED
    third = import_file(csv_file(tmp_path, [ROWS[2]]))
    assert third.counts["unchanged"] == 1
    assert Appeal.objects.count() == 1 and InboundMessage.objects.count() == 1
    assert [e.reason for e in Appeal.objects.get().events.filter(kind="pos_import")] == [
        "Импорт из ПОС: статус «Зарегистрировано»",
        "Импорт из ПОС: статус «Ответ дан» (повторный импорт)",
    ]


def test_a_dry_run_writes_nothing_and_reports_what_would_happen(world, tmp_path):
    path = csv_file(tmp_path, ROWS)
    dry = import_file(path, dry_run=True)
    assert not Appeal.objects.exists() and not InboundMessage.objects.exists()
    real = import_file(path)
    assert dry.counts == real.counts
    assert [(r.number, r.action) for r in dry.rows] == [(r.number, r.action) for r in real.rows]
    # The dry run promises the status the import then reaches («На модерации», not «Получено»).
    assert [r.status for r in dry.rows if r.action == "created"] == [r.status for r in real.rows if r.action == "created"]
    assert import_file(path, dry_run=True).counts == {"created": 0, "updated": 0, "unchanged": 5, "rejected": 4}


def test_an_answered_message_without_the_answer_stays_in_moderation_with_the_source_status_recorded(world, tmp_path):
    report = import_file(csv_file(tmp_path, [["77", "01.03.2026", "Яма во дворе", "", "", "Решено", "", ""]]))
    appeal = Appeal.objects.get()
    assert appeal.status == Status.MODERATION  # not moved on: where it started
    assert report.rows[0].reasons == ["в выгрузке нет текста ответа: статус не воспроизводится, обращение оставлено на модерации"]
    event = appeal.events.get(kind="pos_import")
    assert event.data["source_status"] == "Решено" and event.data["reproduced"] is False
    assert event.data["why"].startswith("в выгрузке нет текста ответа")


def test_it_reads_xlsx_with_columns_named_in_the_channel_settings(world, tmp_path, channel_config):
    config = channel_config("pos_import", {"columns": {"number": "Рег. номер", "text": "Суть"}, "statuses": {"Исполнено": "in_progress"}})
    book = Workbook()
    sheet = book.active
    sheet.append(["Рег. номер", "Дата", "Суть", "Статус"])
    sheet.append([55001, dt.datetime(2026, 2, 10, 8, 30), "Снег на дороге не убирают", "Исполнено"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    report = import_file(path, config=config)
    assert report.counts["created"] == 1
    assert report.columns == {"number": "Рег. номер", "date": "Дата", "text": "Суть", "status": "Статус"}
    appeal = Appeal.objects.get()
    assert appeal.external_id == f"{config.code}:55001" and appeal.status == Status.IN_PROGRESS


def test_it_reads_windows_1251_with_a_mapping_given_for_one_file(world, tmp_path):
    path = csv_file(tmp_path, [["9", "01.03.2026", "Яма"]], header=["Код", "Дата", "Обращение"], encoding="cp1251", sep=",")
    report = import_file(path, columns={"number": "Код", "text": "Обращение"})
    assert report.counts["created"] == 1


def test_it_refuses_a_file_without_the_required_columns(world, tmp_path):
    report = import_file(csv_file(tmp_path, [["1", "x"]], header=["Номер", "Что-то"]))
    assert report.problems == [
        "нет столбца «дата» (ожидался один из: дата, дата сообщения, дата создания, дата поступления, дата регистрации, создано)",
        "нет столбца «текст» (ожидался один из: текст, текст сообщения, текст обращения, сообщение, содержание, суть)",
        "в файле есть столбцы: Номер, Что-то",
    ]
    assert not InboundMessage.objects.exists()


def test_the_command_imports_and_prints_the_report(world, tmp_path, capsys):
    path = csv_file(tmp_path, ROWS[:2])
    call_command("pos_import", str(path), "--dry-run")
    assert "Пробный прогон: ничего не записано." in capsys.readouterr().out
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"number": "Номер"}), encoding="utf-8")
    call_command("pos_import", str(path), "--mapping", f"@{mapping}", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["created"] == 2 and report["channel"] == "pos"
    with pytest.raises(CommandError, match="Файл не принят"):
        call_command("pos_import", str(csv_file(tmp_path, [["1"]], header=["Номер"])))
    with pytest.raises(CommandError, match="Канал «nope» не найден"):
        call_command("pos_import", str(path), "--channel", "nope")


def test_the_channel_must_be_a_pos_import_channel(world, channel_config):
    channel_config("elsewhere", code="other")
    with pytest.raises(CommandError, match="не является каналом импорта из ПОС"):
        call_command("pos_import", __file__, "--channel", "other")
