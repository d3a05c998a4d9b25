"""The simulators: each stream speaks its source's own format (the demo mapping takes every item),
`tsur simulate` delivers in-process or over real HTTP to the event API, a replay is idempotent."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.monitoring.conftest import MSK
from tsur.core import clock
from tsur.monitoring.keys import issue_key
from tsur.monitoring.models import EventState, EventVersion, MonitoringEvent, Reject, Source
from tsur.monitoring.simulate import deliver, streams

START = dt.datetime(2026, 11, 28, 8, 0, tzinfo=MSK)
AFTER = START + dt.timedelta(days=8)


def simulate(*args: str) -> dict:
    out = io.StringIO()
    with clock.at(AFTER):
        call_command("simulate", *args, "--start", START.isoformat(), "--no-tick", stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["camera", "112", "housing", "sensor"])
def test_every_stream_is_taken_whole_by_its_source(sources, name):
    items = streams.stream(name, 60, START, seed=3)
    assert items == streams.stream(name, 60, START, seed=3)  # seeded
    assert [i.at for i in items] == sorted(i.at for i in items)
    with clock.at(AFTER):
        totals = deliver.run_items(items, deliver.InProcess(), batch=25)
    assert totals.rejected == {} and not Reject.objects.exists()
    assert totals.sent == len(items) and totals.duplicates == 0
    source = Source.objects.get(code=streams.SOURCE_OF[name])
    if name != "sensor":
        assert MonitoringEvent.objects.filter(source=source).count() == 60
        assert totals.updated > 0 and MonitoringEvent.objects.filter(source=source, state=EventState.RESOLVED).exists()
        # The raw payload is kept as the simulator sent it.
        first = EventVersion.objects.filter(event__source=source).order_by("pk").first()
        assert json.loads(first.payload) == items[0].payload


@pytest.mark.django_db
def test_camera_detections_carry_a_frame(sources):
    items = streams.stream("camera", 3, START, seed=1)
    with clock.at(AFTER):
        deliver.run_items(items, deliver.InProcess())
    event = MonitoringEvent.objects.filter(source=sources.camera).first()
    assert event.image and event.image.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.django_db
def test_the_command_delivers_in_process_and_a_replay_changes_nothing(sources):
    first = simulate("112", "--count", "15", "--seed", "4")
    assert first["accepted"] == 15 and first["rejected"] == 0 and first["updated"] > 0
    again = simulate("112", "--count", "15", "--seed", "4")
    assert again["accepted"] == 0 and again["updated"] == 0 and again["duplicates"] == again["sent"]
    assert MonitoringEvent.objects.filter(source=sources.call112).count() == 15


@pytest.mark.django_db
def test_the_command_refuses_bad_options_in_russian(sources):
    with pytest.raises(CommandError, match="не распознано"):
        call_command("simulate", "sensor", "--start", "вчера")
    with pytest.raises(CommandError, match="http:// или https://"):
        call_command("simulate", "sensor", "--url", "ftp://example")
    with pytest.raises(CommandError, match="КОД_ИСТОЧНИКА=КЛЮЧ"):
        call_command("simulate", "sensor", "--url", "http://127.0.0.1:9", "--key", "без-равно")


@pytest.mark.django_db(transaction=True)
def test_the_command_sends_over_http_to_the_event_api(sources, live_server):
    key = issue_key(sources.sensors)
    out = io.StringIO()
    now = dt.datetime.now(dt.UTC)
    call_command("simulate", "sensor", "--count", "48", "--url", live_server.url, "--key", f"kaluga-sensors={key}", stdout=out)
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert result["sent"] == 48 and result["rejected"] == 0 and result["accepted"] == 48
    sources.sensors.refresh_from_db()
    assert sources.sensors.last_event_at >= now - dt.timedelta(minutes=1)
    wrong = io.StringIO()
    with pytest.raises(CommandError, match="401"):
        call_command("simulate", "sensor", "--count", "24", "--url", live_server.url, "--key", "kaluga-sensors=tsm_wrong", stdout=wrong)


@pytest.mark.django_db
def test_the_frame_is_served_to_the_center_only(world):
    from django.test import Client
    from django.urls import reverse

    from tsur.demo.monitoring import load_sources

    load_sources()
    with clock.at(AFTER):
        deliver.run_items(streams.stream("camera", 1, START, seed=1), deliver.InProcess())
    event = MonitoringEvent.objects.get()
    url = reverse("workspace:center_monitoring_frame", args=[event.pk])
    c = Client()
    c.force_login(world.analyst)
    response = c.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    c.force_login(world.executor)
    assert c.get(url).status_code == 403


@pytest.mark.django_db
def test_the_command_replays_the_burst(sources):
    out = io.StringIO()
    with clock.at(AFTER):
        call_command("simulate", "burst", "--messages", "6", "--calls", "2", "--start", START.isoformat(), "--no-tick", stdout=out)
    lines = out.getvalue().strip().splitlines()
    result = json.loads(lines[-1])
    assert result["appeals"] == 6 and result["rejected"] == 0 and result["late"] == 0
    assert any("ремонт завершён" in line for line in lines)
    events = MonitoringEvent.objects.filter(source=sources.sensors)
    assert events.count() == 3 and set(events.values_list("state", flat=True)) == {EventState.RESOLVED}
    assert min(events.values_list("occurred_at", flat=True)) >= START  # T is the failure; normal readings come before it


@pytest.mark.parametrize("speed", [0, 1, 60])
def test_without_a_start_a_stream_ends_at_the_present(speed):
    from tsur.demo.management.commands.simulate import _default_start

    span = dt.timedelta(hours=10)
    start = _default_start(AFTER, span, speed)
    # Sent at AFTER + (own time − start) / speed (at once when 0): never ahead of its own time.
    for offset in (dt.timedelta(0), span / 2, span):
        sent = AFTER + (offset / speed if speed else dt.timedelta(0))
        assert start + offset <= sent + dt.timedelta(seconds=1)
    # ... and the last one is sent exactly when its own time comes: the stream ends at the present.
    assert start + span == AFTER + (span / speed if speed else dt.timedelta(0))
