"""The center's monitoring pages over the first hours of a simulated burst: the sources with their
health, a source's page with its refusals and sensors in alarm, the events with filters, an
event's page (raw payload for operators only) and the operators' link corrections."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.monitoring.conftest import MSK
from tsur.core import clock
from tsur.demo.monitoring import load_sources
from tsur.directory.models import Category
from tsur.monitoring.models import Link, LinkStatus, MonitoringEvent, Reject
from tsur.monitoring.simulate import burst, deliver

pytestmark = pytest.mark.django_db

T = dt.datetime(2026, 12, 1, 6, 40, tzinfo=MSK)
NOW = T + dt.timedelta(hours=3)


@pytest.fixture
def burst_hours(world):
    Category.objects.create(code="housing-heating-mkd", block=world.housing, name="Отопление в многоквартирном доме")
    load_sources()
    steps = [s for s in burst.timeline(T, 11, messages=8, calls=3).steps if s.at <= NOW]
    deliver.run_steps(steps, deliver.InProcess())
    return world


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def get(user, name: str, *args, **params):
    with clock.at(NOW):
        return client_for(user).get(reverse(f"workspace:{name}", args=args), params)


def test_it_lists_the_sources_with_their_health(burst_hours):
    page = get(burst_hours.analyst, "center_monitoring")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Датчики теплосети, водопровода и воздуха — Калуга" in html and "Система-112 Калужской области" in html
    assert "работает" in html and "нет данных" in html  # the sensors speak; the cameras were silent
    assert 'href="/workspace/center/monitoring/"' in html and "Мониторинг" in html  # the side menu


def test_a_source_page_shows_alarms_and_rejects_with_reasons(burst_hours):
    sensors = get(burst_hours.operator, "center_monitoring_source", "kaluga-sensors").content.decode()
    assert "Датчики вне нормы (3)" in sensors and "TS-KLG-017" in sensors
    assert 'id="source-series"' in sensors
    # The inspection's closing of its case sent ahead of its time is refused, with the reason.
    assert not Reject.objects.filter(source__code="kaluga-gzhi").exists()
    with clock.at(NOW):
        deliver.InProcess().send("kaluga-gzhi", [burst.timeline(T, 11).steps[-1].items[0].payload])
    reason = Reject.objects.get(source__code="kaluga-gzhi").reason
    gzhi = get(burst_hours.operator, "center_monitoring_source", "kaluga-gzhi").content.decode()
    assert "Отклонено за сутки" in gzhi and reason in gzhi and "Время события в будущем" in reason


def test_the_events_list_filters_and_refuses_bad_filters(burst_hours):
    all_ = get(burst_hours.analyst, "center_monitoring_events").content.decode()
    assert all_.count("Падение давления в теплосети") >= 2
    calls = get(burst_hours.analyst, "center_monitoring_events", source="kaluga-112").content.decode()
    assert "Нет отопления" in calls and "Давление" not in calls.split("events-list")[1]
    bad = get(burst_hours.analyst, "center_monitoring_events", date_from="вчера", state="горит")
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "Дата «вчера» не распознана" in text and "Такого состояния нет" in text


def test_the_event_page_shows_links_and_raw_payload_to_operators_only(burst_hours):
    e = MonitoringEvent.objects.filter(kind__code="sensor-heat-pressure-drop").order_by("pk").first()
    op = get(burst_hours.operator, "center_monitoring_event", e.pk).content.decode()
    assert "Связанные обращения (" in op and "Данные источника" in op and "&quot;param&quot;: &quot;P_SUPPLY&quot;" in op
    assert Link.objects.filter(event=e).count() > 0
    analyst = get(burst_hours.analyst, "center_monitoring_event", e.pk).content.decode()
    assert "Связанные обращения (" in analyst and "&quot;param&quot;" not in analyst and "Данные источника" not in analyst
    assert get(burst_hours.executor, "center_monitoring_event", e.pk).status_code == 403


def test_an_operator_rejects_a_link_with_a_reason_and_confirms_another(burst_hours):
    e = MonitoringEvent.objects.filter(kind__code="call112-heating").order_by("pk").first()
    first, second = Link.objects.filter(event=e).order_by("pk")[:2]
    url = reverse("workspace:center_monitoring_reject", args=[e.pk])
    c = client_for(burst_hours.operator)
    with clock.at(NOW):
        empty = c.post(url, {"link": first.pk, "note": " "})
        assert empty.status_code == 422 and "Укажите, почему событие не относится к обращению" in empty.content.decode()
        assert c.post(url, {"link": first.pk, "note": "Вызов о другом доме"}).status_code == 302
        assert c.post(reverse("workspace:center_monitoring_confirm", args=[e.pk]), {"link": second.pk}).status_code == 302
        missing = c.post(reverse("workspace:center_monitoring_add", args=[e.pk]), {"number": "нет-такого"})
    assert missing.status_code == 422 and "Обращение с таким номером не найдено" in missing.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.note, second.status) == (LinkStatus.REJECTED, "Вызов о другом доме", LinkStatus.CONFIRMED)
    # An analyst reads but may not correct.
    with clock.at(NOW):
        assert client_for(burst_hours.analyst).post(url, {"link": second.pk, "note": "нет"}).status_code == 403


def test_the_center_map_carries_active_and_recently_resolved_events(burst_hours):
    data = get(burst_hours.analyst, "center_map_data").json()
    kinds = sorted({(e["source_kind"], e["state"]) for e in data["events"]})
    assert kinds == [("call112", "active"), ("sensor", "active")]
    first = next(e for e in data["events"] if e["source_kind"] == "sensor")
    assert first["url"].startswith("/workspace/center/monitoring/events/") and first["state_label"] == "действует"
    # Resolved long ago: off the map.
    MonitoringEvent.objects.filter(source__code="kaluga-112").update(state="resolved", resolved_at=T - dt.timedelta(days=5))
    assert {e["source_kind"] for e in get(burst_hours.analyst, "center_map_data").json()["events"]} == {"sensor"}


def test_the_card_shows_objective_control_and_corrects_a_link(burst_hours):
    lk = Link.objects.filter(event__source__code="kaluga-sensors").select_related("appeal").order_by("pk").first()
    card = get(burst_hours.operator, "card", lk.appeal.number).content.decode()
    assert "Объективный контроль" in card and "Подтверждено объективным контролем" in card and "Отклонить связь" in card
    c = client_for(burst_hours.operator)
    url = reverse("workspace:monitoring_link_reject", args=[lk.pk])
    with clock.at(NOW):
        refused = c.post(url, {"note": ""}, follow=True)
        assert "Укажите, почему событие не относится к обращению" in refused.content.decode()
        done = c.post(url, {"note": "Дом на другой ветке теплосети"}, follow=True)
    lk.refresh_from_db()
    assert lk.status == LinkStatus.REJECTED and lk.note == "Дом на другой ветке теплосети"
    assert "Связь с событием отклонена, причина записана." in done.content.decode()
    assert "Связь с событием мониторинга отклонена" in done.content.decode()  # the appeal's history
    # An analyst sees the section without the buttons.
    analyst = get(burst_hours.analyst, "card", lk.appeal.number).content.decode()
    assert "Объективный контроль" in analyst and "Отклонить связь" not in analyst
