"""The sources in the admin (a new key shown once, a broken mapping refused, events read-only)
and from the shell (`tsur monitoring issue-key | sources | ingest`)."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from tests.monitoring.conftest import NOW, example
from tsur.core import clock
from tsur.monitoring.intake import ingest
from tsur.monitoring.keys import hash_key, source_for_key
from tsur.monitoring.models import MonitoringEvent, Source


@pytest.fixture
def admin_client(db):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pass-12345")
    client = Client()
    client.force_login(user)
    return client, user


def test_the_admin_issues_a_key_shown_once_and_records_who(sources, admin_client):
    client, user = admin_client
    response = client.post("/admin/monitoring/source/", {"action": "new_key", "_selected_action": [sources.call112.pk]}, follow=True)
    text = response.content.decode()
    assert "показывается один раз" in text
    sources.call112.refresh_from_db()
    raw = text.split("<code style='user-select:all'>")[1].split("</code>")[0]
    assert raw.startswith(sources.call112.key_prefix) and sources.call112.key_hash == hash_key(raw)
    assert source_for_key(raw) == sources.call112
    entry = LogEntry.objects.get(object_id=str(sources.call112.pk))
    assert entry.user == user and raw not in entry.change_message and sources.call112.key_prefix in entry.change_message


def test_the_admin_refuses_a_mapping_the_intake_cannot_read(sources, admin_client):
    client, _user = admin_client
    url = f"/admin/monitoring/source/{sources.call112.pk}/change/"
    form = {
        "code": "kaluga-112", "name": "Система-112", "kind": "call112", "is_active": "on",
        "mapping": json.dumps({"fields": {"occurred_at": "reg_time"}}), "rate_per_minute": 100, "max_batch": 10,
    }  # fmt: skip
    response = client.post(url, form)
    assert response.status_code == 200 and "Схема данных не разобрана" in response.content.decode()
    sources.call112.refresh_from_db()
    assert sources.call112.mapping["fields"]["external_id"] == "card_id"


def test_events_are_shown_read_only_with_their_versions(sources, admin_client):
    client, _user = admin_client
    with clock.at(NOW):
        ingest(sources.call112, [example("kaluga-112")])
    event = MonitoringEvent.objects.get()
    page = client.get(f"/admin/monitoring/monitoringevent/{event.pk}/change/")
    text = page.content.decode()
    assert page.status_code == 200 and "Нет отопления" in text and "версии событий" in text.lower()
    assert "card_id" in text  # the raw payload
    assert 'name="_save"' not in text
    assert client.get("/admin/monitoring/monitoringevent/add/").status_code == 403
    for name in ("reject", "sensorstate", "link", "eventkind", "source"):
        assert client.get(f"/admin/monitoring/{name}/").status_code == 200


def test_the_shell_issues_a_key_lists_sources_and_ingests_a_file(sources, tmp_path):
    out = io.StringIO()
    call_command("monitoring", "issue-key", "kaluga-112", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert source_for_key(raw) == Source.objects.get(code="kaluga-112")
    with pytest.raises(CommandError, match="не найден"):
        call_command("monitoring", "issue-key", "no-such-source")
    lines = tmp_path / "cards.jsonl"
    good, bad = example("kaluga-112"), dict(example("kaluga-112"), card_id="x2", reg_time="вчера")
    lines.write_text(json.dumps(good, ensure_ascii=False) + "\n" + json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
    out = io.StringIO()
    with clock.at(NOW):
        call_command("monitoring", "ingest", "kaluga-112", str(lines), stdout=out)
    result = json.loads(out.getvalue())
    assert result["accepted"] == 1 and [r["code"] for r in result["rejected"]] == ["bad_time"]
    out = io.StringIO()
    with clock.at(NOW):
        call_command("monitoring", "sources", stdout=out)
    text = out.getvalue()
    assert "kaluga-112" in text and "за час: 1" in text and "отклонено за сутки: 1 (чаще всего: время не распознано)" in text
    assert "ключ не выпущен" in text  # the camera complex has none yet
