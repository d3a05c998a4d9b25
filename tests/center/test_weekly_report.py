"""The weekly report for the governor's meeting: its sections in Russian (HTML), the PDF with
Cyrillic text, the stored reports and the Monday schedule that makes each week's report once."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from zoneinfo import ZoneInfo

import pytest

from tests.center.helpers import make_point
from tests.factories import new_appeal
from tsur.core import clock
from tsur.workspace.center import tasks, weekly
from tsur.workspace.center import weekly_store as store
from tsur.workspace.center.weekly_week import Week

MSK = ZoneInfo("Europe/Moscow")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=MSK)  # Wednesday of week 48
SECTIONS = ("Главное за неделю", "Точки напряжённости", "Изменения к прошлой неделе", "Показатели организаций", "Больше всего просрочено")


@pytest.fixture
def week_of_appeals(world):
    """Week 47 (16–22 Nov 2026): four appeals and a growing point of tension; week 46: one."""
    with clock.at(NOW):
        appeals = [new_appeal(world, received_at=dt.datetime(2026, 11, 16 + d, 10, tzinfo=MSK)) for d in range(4)]
        new_appeal(world, received_at=dt.datetime(2026, 11, 10, 10, tzinfo=MSK))
        make_point(world, appeals=appeals, first_seen=dt.datetime(2026, 11, 18, 9, tzinfo=MSK), start=dt.date(2026, 11, 16))
    return world


def _pdf_text(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the PDF's text cannot be read back")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


def test_it_shows_the_weeks_report_with_every_section(client, week_of_appeals):
    client.force_login(week_of_appeals.analyst)
    with clock.at(NOW):
        response = client.get("/workspace/center/reports/weekly/", {"week": "2026-W47"})
    assert response.status_code == 200
    html = response.content.decode()
    for title in SECTIONS:
        assert title in html
    assert "Неделя 47: 16–22 ноября 2026 г." in html
    assert "Ямы на дороге — Район" in html and "12 обращений за неделю при обычных 2,5" in html
    assert "<svg" in html and "Поступило обращений по дням" in html
    assert "+300\u00a0% к прошлой неделе" in html  # 4 appeals against 1
    assert "/workspace/center/appeals/?from=2026-11-16&amp;to=2026-11-22" in html  # tiles drill down


def test_it_takes_a_date_for_its_week_and_explains_a_bad_one(client, week_of_appeals):
    client.force_login(week_of_appeals.operator)
    with clock.at(NOW):
        assert "Неделя 47" in client.get("/workspace/center/reports/weekly/", {"week": "2026-11-20"}).content.decode()
        bad = client.get("/workspace/center/reports/weekly/", {"week": "2026-W52"})
    assert bad.status_code == 400
    assert "ещё не началась" in bad.content.decode()


def test_it_refuses_the_reports_to_an_executor(client, week_of_appeals):
    client.force_login(week_of_appeals.executor)
    for url in ("/workspace/center/reports/", "/workspace/center/reports/weekly/", "/workspace/center/reports/weekly.pdf"):
        assert client.get(url).status_code == 403
    assert client.post("/workspace/center/reports/weekly/store/", {"week": "2026-W47"}).status_code == 403
    assert store.reports() == []


def test_it_makes_a_pdf_with_russian_text(client, week_of_appeals, tmp_path):
    client.force_login(week_of_appeals.analyst)
    with clock.at(NOW):
        response = client.get("/workspace/center/reports/weekly.pdf", {"week": "2026-W47"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf, tmp_path)
    assert "Еженедельный отчёт ситуационного центра" in text
    assert "Точки напряжённости" in text and "Ямы на дороге — Район" in text


def test_it_stores_a_report_on_demand_with_who_asked(client, week_of_appeals):
    client.force_login(week_of_appeals.analyst)
    with clock.at(NOW):
        response = client.post("/workspace/center/reports/weekly/store/", {"week": "2026-W47"})
        assert response.status_code == 302
        [entry] = store.reports()
        assert (entry.week, entry.reason, entry.actor) == ("2026-W47", store.ON_DEMAND, "analyst")
        page = client.get("/workspace/center/reports/").content.decode()
        assert "по запросу" in page and entry.id in page
        served = client.get(f"/workspace/center/reports/stored/{entry.id}.pdf")
    assert served.status_code == 200 and b"".join(served.streaming_content).startswith(b"%PDF")
    assert client.get("/workspace/center/reports/stored/2026-W47-20000101T000000.pdf").status_code == 404


def test_it_makes_last_weeks_report_on_monday_morning_once(week_of_appeals):
    sunday = dt.datetime(2026, 11, 22, 23, 0, tzinfo=MSK)
    monday_early = dt.datetime(2026, 11, 23, 6, 59, tzinfo=MSK)
    monday = dt.datetime(2026, 11, 23, 7, 0, tzinfo=MSK)
    with clock.at(sunday):
        # On Sunday night the owed report is week 46's: the schedule makes it (a tick missed earlier).
        assert tasks.weekly_report(sunday).startswith("made 2026-W46")
    with clock.at(monday_early):
        assert tasks.weekly_report(monday_early) == "up to date"  # week 47 is owed from 07:00
    with clock.at(monday):
        made = tasks.weekly_report(monday)
        assert made.startswith("made 2026-W47")
        assert tasks.weekly_report(monday) == "up to date"
        assert tasks.weekly_report(monday + dt.timedelta(hours=5)) == "up to date"
    weeks = sorted(r.week for r in store.reports() if r.reason == store.SCHEDULED)
    assert weeks == ["2026-W46", "2026-W47"]
    assert all(store.path_of(r).read_bytes().startswith(b"%PDF") for r in store.reports())


def test_it_knows_which_week_is_owed():
    assert weekly.due_week(dt.datetime(2026, 11, 23, 7, 0, tzinfo=MSK)) == Week(2026, 47)
    assert weekly.due_week(dt.datetime(2026, 11, 23, 3, 59, tzinfo=dt.UTC)) == Week(2026, 46)  # 06:59 in Moscow
    assert weekly.due_week(dt.datetime(2026, 11, 29, 23, 0, tzinfo=MSK)) == Week(2026, 47)


def test_it_makes_a_report_from_the_shell(week_of_appeals, capsys):
    from django.core.management import CommandError, call_command

    with clock.at(NOW):
        call_command("weekly_report", "--week", "2026-11-18")
        with pytest.raises(CommandError, match="не распознана"):
            call_command("weekly_report", "--week", "позавчера")
    [entry] = store.reports()
    assert (entry.week, entry.reason, entry.actor) == ("2026-W47", store.ON_DEMAND, "")
    assert "2026-W47: " in capsys.readouterr().out
