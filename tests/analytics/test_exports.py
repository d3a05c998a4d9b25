"""Exports of the drill-down list and the KPI table: CSV and XLSX open, hold the rows, carry no
personal data at all, and are streamed."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.analytics.helpers import DAY0, history
from tests.factories import new_appeal
from tsur.core import clock

PERIOD = {"from": "2025-03-01", "to": "2025-03-31"}
NAME, SURNAME, PHONE, EMAIL = "Аркадий", "Пупырышкин", "+7 916 123-45-67", "pupyrysh@example.org"


@pytest.fixture
def planted(world):
    history(world)
    with clock.at(DAY0):
        return new_appeal(
            world, name=f"{NAME} {SURNAME}", phone=PHONE, email=EMAIL,
            text=f"Яма у дома, пишет {NAME} {SURNAME}, звоните {PHONE} или пишите {EMAIL}",
        )


def body(resp) -> bytes:
    assert resp.status_code == 200
    assert resp.streaming
    return b"".join(resp.streaming_content)


def assert_no_personal_data(raw: bytes) -> None:
    texts = [raw]
    if raw[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            texts += [z.read(n) for n in z.namelist()]
    for blob in texts:
        for secret in (SURNAME, PHONE, "123-45-67", "9161234567", EMAIL, "pupyrysh"):
            assert secret.encode() not in blob, secret


def test_it_exports_the_drill_down_list_as_csv(world, client, planted):
    client.force_login(world.analyst)
    raw = body(client.get(reverse("workspace:center_appeals_export", args=["csv"]), PERIOD))
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0].startswith("Обращения все поступившие: с 01.03.2025 по 31.03.2025")
    assert rows[1][:3] == ["Номер", "Поступило (МСК)", "Канал"]
    numbers = {r[0] for r in rows[2:]}
    assert planted.number in numbers and len(rows) - 2 == 9
    mine = next(r for r in rows if r[0] == planted.number)
    assert mine[1] == "03.03.2025 10:00"  # Moscow time
    assert_no_personal_data(raw)


def test_it_exports_a_measure_as_xlsx(world, client, planted):
    client.force_login(world.analyst)
    raw = body(client.get(reverse("workspace:center_appeals_export", args=["xlsx"]), {**PERIOD, "only": "answered"}))
    sheet = load_workbook(io.BytesIO(raw), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert "с опубликованным ответом" in rows[0][0]
    assert rows[1][0] == "Номер" and len(rows) - 2 == 5
    assert_no_personal_data(raw)


def test_it_exports_the_kpi_table(world, client, planted, settings):
    settings.TSUR_KPI_MIN_ANSWERED = 1
    client.force_login(world.operator)
    raw = body(client.get(reverse("workspace:center_kpi_export", args=["csv"]), PERIOD))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][:4] == ["Группа", "Место в группе", "Организация", "Итоговый балл"]
    assert {r[2] for r in rows[2:]} == {"Миндор", "Горадмин", "Регоператор"}
    raw = body(client.get(reverse("workspace:center_kpi_export", args=["xlsx"]), PERIOD))
    rows = [list(r) for r in load_workbook(io.BytesIO(raw), read_only=True).active.iter_rows(values_only=True)]
    assert rows[1][2] == "Организация" and len(rows) == 5


def test_it_refuses_an_unknown_format_and_bad_filters(world, client):
    client.force_login(world.analyst)
    assert client.get(reverse("workspace:center_appeals_export", args=["pdf"])).status_code == 404
    resp = client.get(reverse("workspace:center_appeals_export", args=["csv"]), {"channel": "pigeon"})
    assert resp.status_code == 400 and "Канал «pigeon» не известен" in resp.content.decode()
