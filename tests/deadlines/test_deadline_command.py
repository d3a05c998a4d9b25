"""`manage.py deadline`: one JSON object on stdout, exit code 2 on bad input."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tsur.deadlines.compute import upsert_default_policies
from tsur.deadlines.models import DeadlinePolicy
from tsur.directory.models import CalendarException, Organisation

pytestmark = pytest.mark.django_db


def run(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("deadline", *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_it_prints_an_incident_deadline_on_an_empty_database() -> None:
    result = run("--regime", "incident", "--urgency", "normal", "--received", "2025-03-07T17:59")
    assert result["due"] == "2025-03-10T17:00:00+03:00"
    assert result["registration_due"] is None
    assert result["transfer_due"] is None
    assert result["regime"] == "incident"
    assert result["urgency"] == "normal"
    assert result["unit"] == "working_hours"
    assert result["amount"] == 8
    assert result["organisation"] is None
    assert result["received"] == "2025-03-07T17:59:00+03:00"
    assert result["policy_source"] == "default"
    assert result["explain"] == "8 рабочих часов с 10.03.2025 09:00 (инцидент, срочность обычная)"


def test_it_reads_an_offset_and_answers_in_moscow_time() -> None:
    # 13:00 UTC is 16:00 in Moscow on Fri 14.03.2025: 2 h + 6 h on Monday.
    result = run("--regime", "incident", "--urgency", "normal", "--received", "2025-03-14T13:00:00Z")
    assert result["due"] == "2025-03-17T15:00:00+03:00"


def test_it_prints_an_urgent_message_over_the_new_year() -> None:
    result = run("--regime", "message", "--urgency", "high", "--received", "2025-12-30T10:00:00+03:00")
    assert result["due"] == "2026-01-23T18:00:00+03:00"
    assert (result["unit"], result["amount"]) == ("working_days", 10)


def test_it_prints_an_appeal_with_its_sub_deadlines_and_extension() -> None:
    result = run("--regime", "appeal", "--urgency", "normal", "--received", "2025-03-13T10:00", "--extension-days", "30")
    assert result["due"] == "2025-05-14T18:00:00+03:00"
    assert result["registration_due"] == "2025-03-17T18:00:00+03:00"
    assert result["transfer_due"] == "2025-03-20T18:00:00+03:00"
    assert result["extension_days"] == 30


def test_it_applies_an_interim_answer_to_an_incident() -> None:
    result = run("--regime", "incident", "--urgency", "high", "--received", "2025-03-11T10:00", "--interim", "2025-03-11T12:00")
    assert result["due"] == "2025-03-20T18:00:00+03:00"
    assert (result["unit"], result["amount"]) == ("working_days", 7)


def test_it_uses_the_organisation_hours_and_calendar() -> None:
    org = Organisation.objects.create(
        code="gkh", name="Жилинспекция", short_name="ГЖИ", kind="regional", work_start=dt.time(8), work_end=dt.time(17)
    )
    CalendarException.objects.create(organisation=org, date=dt.date(2025, 3, 11), is_working=False)
    result = run("--regime", "incident", "--urgency", "normal", "--received", "2025-03-10T16:00", "--organisation", "gkh")
    # Mon 16-17 (1 h), Tue 11.03 off, Wed 12.03 08:00 + 7 h.
    assert result["due"] == "2025-03-12T15:00:00+03:00"
    assert result["organisation"] == "gkh"


def test_it_uses_the_configured_policy() -> None:
    upsert_default_policies()
    DeadlinePolicy.objects.filter(regime="incident").update(amount_normal=2)
    result = run("--regime", "incident", "--urgency", "normal", "--received", "2025-03-11T10:00")
    assert result["due"] == "2025-03-11T12:00:00+03:00"
    assert result["policy_source"] == "db"


def test_it_refuses_an_unknown_organisation_with_code_2() -> None:
    with pytest.raises(CommandError) as error:
        run("--regime", "incident", "--received", "2025-03-11T10:00", "--organisation", "nobody")
    assert error.value.returncode == 2
    assert "nobody" in str(error.value)


@pytest.mark.parametrize("flag", ["--received", "--interim"])
def test_it_refuses_a_bad_date_with_code_2(flag: str) -> None:
    args = {"--received": "2025-03-11T10:00", "--interim": "2025-03-11T12:00", flag: "11/03/2025"}
    with pytest.raises(CommandError) as error:
        run("--regime", "incident", *[part for pair in args.items() for part in pair])
    assert error.value.returncode == 2
    assert "ISO-8601" in str(error.value)


def test_it_refuses_an_interim_answer_before_receipt_with_code_2() -> None:
    with pytest.raises(CommandError) as error:
        run("--regime", "incident", "--received", "2025-03-11T10:00", "--interim", "2025-03-10T10:00")
    assert error.value.returncode == 2


def test_it_exits_2_from_the_shell_on_a_bad_date() -> None:
    manage = Path(__file__).resolve().parents[2] / "manage.py"
    proc = subprocess.run(
        [sys.executable, str(manage), "deadline", "--regime", "appeal", "--received", "вчера"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "вчера" in proc.stderr


def test_it_answers_from_the_defaults_before_the_database_is_migrated(monkeypatch):
    """A fresh checkout: `tsur deadline` works before `tsur migrate`, and says why --organisation cannot."""
    import io

    import pytest as _pytest
    from django.core.management import CommandError, call_command
    from django.db import connection

    monkeypatch.setattr(connection.introspection, "table_names", lambda *a, **k: [])
    out = io.StringIO()
    call_command("deadline", "--regime", "incident", "--urgency", "normal", "--received", "2025-03-07T17:59", stdout=out)
    assert '"due": "2025-03-10T17:00:00+03:00"' in out.getvalue() and '"policy_source": "default"' in out.getvalue()
    with _pytest.raises(CommandError, match="tsur migrate"):
        call_command("deadline", "--regime", "appeal", "--urgency", "normal", "--received", "2025-04-03T10:00", "--organisation", "x")
