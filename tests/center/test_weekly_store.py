"""Stored weekly reports: PDF files and their JSON index under MEDIA_ROOT/reports/, each entry
recording the week, when, why and by whom."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.utils import timezone

from tsur.core import clock
from tsur.workspace.center import weekly_store as store

NOW = timezone.make_aware(dt.datetime(2026, 11, 23, 7, 5))
PDF = b"%PDF-1.7\n% test bytes\n"


def test_it_keeps_the_pdf_and_records_who_made_it_and_why(world):
    with clock.at(NOW), store.locked():
        entry = store.store_report("2026-W47", PDF, reason=store.ON_DEMAND, actor=world.analyst)
    assert store.path_of(entry).read_bytes() == PDF
    assert entry.sha256 == hashlib.sha256(PDF).hexdigest() and entry.size == len(PDF)
    assert (entry.actor, entry.actor_name, entry.reason_label) == ("analyst", "Analyst", "по запросу")
    assert entry.generated_at == NOW
    index = json.loads((store.folder() / "index.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in index["reports"]] == [entry.id]
    assert store.find(entry.id) == entry
    assert not store.has_scheduled("2026-W47")


def test_it_keeps_every_version_newest_first(world):
    with clock.at(NOW), store.locked():
        first = store.store_report("2026-W47", PDF, reason=store.SCHEDULED)
        second = store.store_report("2026-W47", PDF + b"2", reason=store.ON_DEMAND, actor=world.operator)
    assert first.id != second.id  # the same second: a suffix keeps both
    assert [r.id for r in store.reports()] == [second.id, first.id]
    assert store.has_scheduled("2026-W47")
    assert first.actor == "" and first.reason_label == "по расписанию"


def test_it_refuses_what_is_not_a_pdf_and_unknown_reasons(world):
    with store.locked():
        with pytest.raises(ValueError):
            store.store_report("2026-W47", b"<html>", reason=store.SCHEDULED)
        with pytest.raises(ValueError):
            store.store_report("2026-W47", PDF, reason="because")
    assert store.reports() == []


def test_it_finds_nothing_for_ids_that_are_not_report_ids(world):
    assert store.find("../../etc/passwd") is None
    assert store.find("2026-W47-20261123T040500") is None
