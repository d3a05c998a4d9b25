"""/metrics: who may read it, the request histogram labelled by route pattern, and the values read
from the database (queues, failed rows, overdue appeals, channel health), computed once per
DB_CACHE_SECONDS."""

from __future__ import annotations

import datetime as dt

import pytest
from celery import shared_task
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import new_appeal
from tsur.appeals.models import Appeal, Notification
from tsur.channels.models import ChannelConfig, InboundMessage
from tsur.core import clock, metrics

TOKEN = "metrics-token-for-the-tests-0123456789"


def scrape(**extra) -> dict[tuple[str, tuple], float]:
    response = Client().get("/metrics", **extra)
    assert response.status_code == 200, response.status_code
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


@pytest.fixture
def token(settings):
    settings.TSUR_METRICS_TOKEN = TOKEN


def test_it_is_hidden_from_other_addresses_without_the_token(db, token):
    assert Client().get("/metrics", REMOTE_ADDR="203.0.113.7").status_code == 404
    assert Client().get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer wrong-token-000000000000000").status_code == 404
    assert Client().get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200


def test_it_does_not_trust_loopback_behind_an_undeclared_proxy(db, settings):
    # A proxy on this host forwards a visitor: the peer is loopback, the visitor is not.
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 404
    settings.TSUR_PROXY_COUNT = 1
    settings.TSUR_METRICS_ALLOW = ["10.1.0.0/16"]
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 404


def test_it_counts_requests_by_route_pattern_never_by_path(world):
    appeal = new_appeal(world)
    before = scrape(REMOTE_ADDR="127.0.0.1")
    labels = {"route": "/status/<str:number>/<str:key>/", "method": "GET", "status": "2xx"}
    start = value(before, "tsur_http_request_duration_seconds_count", **labels) or 0
    for _ in range(3):
        assert Client().get(f"/status/{appeal.number}/{appeal.access_key}/").status_code == 200
    Client().get("/no/such/page/ivan@example.org")
    after = scrape(REMOTE_ADDR="127.0.0.1")
    assert value(after, "tsur_http_request_duration_seconds_count", **labels) == start + 3
    assert value(after, "tsur_http_request_duration_seconds_count", route="<unmatched>", method="GET", status="4xx") >= 1
    routes = {dict(k[1]).get("route") for k in after if k[0].startswith("tsur_http_request")}
    assert not any(appeal.access_key in r or "@" in r for r in routes if r)


def test_it_reads_queues_failures_overdue_appeals_and_channel_health(world):
    now = clock.now()
    channel = ChannelConfig.objects.create(
        code="vk-main", kind="vk", name="ВК", enabled=True, last_polled_at=now - dt.timedelta(seconds=300), failures=3
    )
    ChannelConfig.objects.create(code="tg-off", kind="telegram", name="ТГ", enabled=False)
    for i, (state, age) in enumerate([("pending", 600), ("pending", 30), ("failed", 5), ("appeal", 900)]):
        InboundMessage.objects.create(channel=channel, external_id=str(i), raw={}, state=state, received_at=now - dt.timedelta(seconds=age))
    late = new_appeal(world)
    Appeal.objects.filter(pk=late.pk).update(due_at=now - dt.timedelta(days=1))
    Notification.objects.filter(appeal=late).update(state=Notification.State.FAILED)
    failed_notes = Notification.objects.filter(state=Notification.State.FAILED).count()

    samples = scrape(REMOTE_ADDR="127.0.0.1")
    assert value(samples, "tsur_queue_depth", queue="channels.inbound") == 2
    assert 600 <= value(samples, "tsur_queue_oldest_age_seconds", queue="channels.inbound") < 900
    assert value(samples, "tsur_queue_depth", queue="channels.deliveries") == 0
    assert value(samples, "tsur_queue_oldest_age_seconds", queue="channels.deliveries") == 0
    assert value(samples, "tsur_work_failed", queue="channels.inbound") == 1
    assert value(samples, "tsur_work_failed", queue="appeals.notifications") == failed_notes
    late.refresh_from_db()
    assert value(samples, "tsur_appeals_overdue", regime=late.regime, status=late.status) == 1
    assert value(samples, "tsur_channel_enabled", channel="vk-main") == 1
    assert value(samples, "tsur_channel_enabled", channel="tg-off") == 0
    assert 300 <= value(samples, "tsur_channel_seconds_since_poll", channel="vk-main") < 600
    assert value(samples, "tsur_channel_seconds_since_poll", channel="tg-off") == -1
    assert value(samples, "tsur_channel_consecutive_errors", channel="vk-main") == 3
    assert all(value(samples, "tsur_metrics_source_up", source=s) == 1 for s in metrics._SOURCES)
    # No label carries anything of the resident.
    labels = {v for key in samples for _, v in key[1]}
    resident = late.resident
    assert not labels & {resident.name, resident.phone, resident.email, late.number}


def test_it_reads_the_database_once_per_cache_period(world, django_assert_num_queries):
    scrape(REMOTE_ADDR="127.0.0.1")
    with django_assert_num_queries(0):
        metrics.render()
    InboundMessage.objects.create(
        channel=ChannelConfig.objects.create(code="c", kind="vk", name="c"), external_id="x", raw={}, received_at=clock.now()
    )
    assert b'tsur_queue_depth{queue="channels.inbound"} 0.0' in metrics.render()  # still the cached value


@shared_task(name="tests.ops.failing_task")
def failing_task() -> None:
    raise RuntimeError("boom")


def test_it_counts_failed_tasks(db):
    def count() -> float:
        return value(scrape(REMOTE_ADDR="127.0.0.1"), "tsur_task_failures_total", task="tests.ops.failing_task") or 0

    before = count()
    result = failing_task.apply()
    assert result.failed()
    assert count() == before + 1
