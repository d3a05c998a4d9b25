"""Objective monitoring sharpens points of tension: appeals linked with an event are confirmed,
the point's score rises at once (evidence_changed) and its explanation says so; a rejected link
takes it back."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.monitoring.helpers import sensor_source
from tests.tension.platform import NOW, history, the_point
from tsur.core import clock
from tsur.monitoring import matching
from tsur.monitoring.links import reject_link
from tsur.monitoring.models import EventKind, Link, MonitoringEvent, Resolution

pytestmark = pytest.mark.django_db


def test_a_linked_event_raises_the_point_and_its_explanation_says_so(world):
    history(world)
    before = the_point()
    assert "подтверждено объективным контролем" not in before.explanation
    kind = EventKind.objects.create(
        code="road-damage", source_kind="camera", name="Разрушение покрытия", radius_m=300, before_hours=72, after_hours=72,
        resolution=Resolution.NONE,
    )  # fmt: skip
    kind.categories.add(world.pothole)
    with clock.at(NOW + dt.timedelta(minutes=5)):
        MonitoringEvent.objects.create(
            source=sensor_source(), external_id="cam-1", kind=kind, occurred_at=NOW - dt.timedelta(hours=50),
            version_at=NOW - dt.timedelta(hours=50), territory=world.district, address="ул. Полевая",
        )  # fmt: skip
        assert matching.match_pending() == 1
    linked = Link.objects.count()
    assert linked >= 20
    after = the_point()
    assert after.pk == before.pk
    assert after.flags["confirmed"] == linked
    assert after.score > before.score
    assert f"{linked} подтверждено объективным контролем" in after.explanation
    with clock.at(NOW + dt.timedelta(minutes=10)):
        for link in Link.objects.all():
            reject_link(link, world.operator, "Камера смотрит на другую дорогу")
    back = the_point()
    assert back.flags.get("confirmed", 0) == 0
    assert back.score == pytest.approx(before.score)
