"""Exports of a poll's results (CSV and XLSX, answers and summary): the figures are there, the
personal data is not — a phone, an e-mail and a name planted in the contacts used to vote and in a
free answer are searched for in the exported bytes."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook

from .test_results import answers_for, by_code

pytestmark = pytest.mark.django_db

PHONE = "+7 916 555-12-34"
EMAIL = "irina.sokolova@example.org"
NAME = "Ирина Соколова"
NEEDLES = ("555-12-34", "5551234", "79165551234", "irina.sokolova", "Соколова", "example.org")


@pytest.fixture
def planted(poll, world):
    by_code(poll, PHONE, world.village, answers_for(poll, 0, 5, f"Меня зовут {NAME}, пишите на {EMAIL} или звоните {PHONE}"))
    by_code(poll, EMAIL, world.district, answers_for(poll, 1, 2, "Нужны скамейки у подъезда"))
    return poll


def _bytes(response) -> bytes:
    return b"".join(response.streaming_content)


def _xlsx_text(raw: bytes) -> str:
    # Every part of the workbook, shared strings included, as text.
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


@pytest.mark.parametrize("part", ["answers", "summary"])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_no_personal_data_in_any_export(client, planted, world, part, kind):
    client.force_login(world.operator)
    r = client.get(f"/workspace/polls/{planted.pk}/results/{part}.{kind}")
    assert r.status_code == 200
    assert r["Content-Disposition"].endswith(f'.{kind}"')
    raw = _bytes(r)
    text = raw.decode("utf-8-sig") if kind == "csv" else _xlsx_text(raw)
    for needle in NEEDLES:
        assert needle not in text, needle
    if part == "answers":
        assert "Нужны скамейки у подъезда" in text  # the free answers are there, masked where needed


def test_the_answers_csv_has_one_row_per_answer(client, planted, world):
    client.force_login(world.analyst)
    raw = _bytes(client.get(f"/workspace/polls/{planted.pk}/results/answers.csv"))
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][:4] == ["Бюллетень", "Время голоса (МСК)", "Территория", "Канал"]
    body = rows[2:]
    # Two ballots: single + one multiple + scale + text each.
    assert len(body) == 8
    assert {r[0] for r in body} == {"1", "2"}  # ballots numbered within the poll, no ids or keys
    assert body[0][1] == "10.03.2027 15:00"  # Moscow time
    assert {r[2] for r in body} == {"Село", "Район"}
    assert ["Детская площадка"] == [r[6] for r in body if r[0] == "1" and r[4] == "1"]


def test_the_summary_xlsx_reads_like_the_page(client, planted, world):
    client.force_login(world.operator)
    raw = _bytes(client.get(f"/workspace/polls/{planted.pk}/results/summary.xlsx"))
    ws = load_workbook(io.BytesIO(raw), read_only=True).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][0] == f"Итоги опроса «{planted.title}»"
    overall = [r for r in rows[2:] if r[0] == 1 and r[2] == "Все территории"]
    assert [(r[3], r[4], r[5]) for r in overall] == [("Детская площадка", 1, 50.0), ("Освещение", 1, 50.0), ("Парковка", 0, 0.0)]
    assert any(r[3] == "Среднее по шкале" and r[4] == 3.5 for r in rows[2:])
    assert all(r[7] in ("мало ответов", None, "") for r in rows[2:])


def test_an_unknown_export_is_not_found_and_outsiders_are_refused(client, planted, world):
    client.force_login(world.operator)
    assert client.get(f"/workspace/polls/{planted.pk}/results/answers.pdf").status_code == 404
    client.force_login(world.executor)
    assert client.get(f"/workspace/polls/{planted.pk}/results/answers.csv").status_code == 403
