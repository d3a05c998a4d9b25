"""Staff alerts: reminders and escalations for the user's organisation, or the center's."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import new_appeal
from tsur.appeals import services
from tsur.deadlines.models import StaffAlert


def alerts_page(desk, **params):
    return desk.client.get(reverse("workspace:alerts"), params)


def test_it_shows_coordinators_their_organisations_alerts_and_operators_the_centers(desk, world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    StaffAlert.objects.create(appeal=a, kind="reminder", organisation=world.roads_ministry, text="Срок истекает завтра")
    StaffAlert.objects.create(appeal=a, kind="escalation_center", organisation=None, text="Просрочено: в ЦУР")
    StaffAlert.objects.create(appeal=a, kind="reminder", organisation=world.waste_operator, text="Чужое напоминание")

    coordinator = alerts_page(desk.as_(world.coordinator)).content.decode()
    assert "Срок истекает завтра" in coordinator and "Просрочено: в ЦУР" not in coordinator and "Чужое" not in coordinator

    operator = alerts_page(desk.as_(world.operator)).content.decode()
    assert "Просрочено: в ЦУР" in operator and "Чужое" not in operator

    # The city operator sees center alerts only for appeals of the city queue.
    assert "Просрочено: в ЦУР" not in alerts_page(desk.as_(world.city_operator)).content.decode()


def test_it_counts_unseen_alerts_in_the_nav_and_marks_them_read(desk, world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    alert = StaffAlert.objects.create(appeal=a, kind="reminder", organisation=world.roads_ministry, text="Напоминание")
    desk.as_(world.coordinator)
    assert 'class="nav-badge" title="Непрочитанные">1<' in desk.queue().content.decode()
    response = desk.client.post(reverse("workspace:alert_seen"), {"alert": [alert.pk]})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.seen_at is not None
    assert "nav-badge" not in desk.queue().content.decode()
    assert "Напоминание" in alerts_page(desk, show="all").content.decode()


def test_it_cannot_mark_someone_elses_alert(desk, world):
    a = new_appeal(world, category_code="garbage")
    services.route_appeal(a, world.operator)
    alert = StaffAlert.objects.create(appeal=a, kind="reminder", organisation=world.waste_operator, text="x")
    desk.as_(world.coordinator).client.post(reverse("workspace:alert_seen"), {"all": "1"})
    alert.refresh_from_db()
    assert alert.seen_at is None
