"""The «Сигналы» page: reminders, escalations and workflow signals for the user, their organisation
or the center; read per user; filtered by kind and «только мне»."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import make_user, new_appeal
from tsur.accounts.models import Role
from tsur.appeals import services
from tsur.deadlines.models import StaffAlert, StaffAlertRead
from tsur.escalation.inbox import unread_for


def alerts_page(desk, **params):
    return desk.client.get(reverse("workspace:alerts"), params)


def test_it_shows_coordinators_their_organisations_alerts_and_operators_the_centers(desk, world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    StaffAlert.objects.create(appeal=a, kind="reminder", organisation=world.roads_ministry, text="Срок истекает завтра")
    StaffAlert.objects.create(appeal=a, kind="escalation_center", organisation=None, text="Эскалация по сроку в центр")
    StaffAlert.objects.create(appeal=a, kind="reminder", organisation=world.waste_operator, text="Чужое напоминание")

    coordinator = alerts_page(desk.as_(world.coordinator)).content.decode()
    assert "Срок истекает завтра" in coordinator and "Эскалация по сроку в центр" not in coordinator and "Чужое" not in coordinator

    operator = alerts_page(desk.as_(world.operator)).content.decode()
    assert "Эскалация по сроку в центр" in operator and "Чужое" not in operator

    # The city operator sees center alerts only for appeals of the city queue.
    assert "Эскалация по сроку в центр" not in alerts_page(desk.as_(world.city_operator)).content.decode()


def test_it_counts_unseen_alerts_in_the_nav_and_marks_them_read(desk, world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)  # the routing itself is a signal to the coordinators
    alert = StaffAlert.objects.create(appeal=a, kind="reminder", organisation=world.roads_ministry, text="Срок по дороге скоро")
    desk.as_(world.coordinator)
    assert 'class="nav-badge" title="Непрочитанные">2<' in desk.queue().content.decode()
    response = desk.client.post(reverse("workspace:alert_seen"), {"alert": [alert.pk]})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.seen_at is not None
    assert 'class="nav-badge" title="Непрочитанные">1<' in desk.queue().content.decode()
    assert "Срок по дороге скоро" in alerts_page(desk, show="all").content.decode()
    assert "Срок по дороге скоро" not in alerts_page(desk).content.decode()


def test_it_cannot_mark_someone_elses_alert(desk, world):
    a = new_appeal(world, category_code="garbage")
    services.route_appeal(a, world.operator)
    alert = StaffAlert.objects.create(appeal=a, kind="reminder", organisation=world.waste_operator, text="x")
    desk.as_(world.coordinator).client.post(reverse("workspace:alert_seen"), {"all": "1"})
    alert.refresh_from_db()
    assert alert.seen_at is None and not StaffAlertRead.objects.filter(alert=alert).exists()


def test_it_keeps_a_shared_signal_unread_for_the_colleague_who_has_not_read_it(desk, world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    second = make_user("coordinator2", Role.COORDINATOR, organisation=world.roads_ministry)
    desk.as_(world.coordinator).client.post(reverse("workspace:alert_seen"), {"all": "1"})
    assert unread_for(world.coordinator).count() == 0
    assert list(unread_for(second).values_list("kind", flat=True)) == ["routed"]


def test_it_filters_by_kind_and_by_signals_addressed_to_me(desk, world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    services.assign_executor(a, world.coordinator, executor_id=world.coordinator.pk)  # oneself: no signal
    StaffAlert.objects.create(appeal=a, kind="reminder", organisation=world.roads_ministry, text="Срок скоро")
    StaffAlert.objects.create(appeal=a, kind="mention", user=world.coordinator, text="Личный сигнал координатору")
    StaffAlert.objects.create(appeal=a, kind="mention", user=world.colleague, text="Личный сигнал коллеге")
    desk.as_(world.coordinator)
    everything = alerts_page(desk).content.decode()
    assert "Срок скоро" in everything and "Личный сигнал координатору" in everything and "коллеге" not in everything
    reminders = alerts_page(desk, kind="reminder").content.decode()
    assert "Срок скоро" in reminders and "Личный сигнал координатору" not in reminders
    mine = alerts_page(desk, mine="1").content.decode()
    assert "Личный сигнал координатору" in mine and "Срок скоро" not in mine
    assert "лично вам" in mine


def test_it_marks_the_signals_of_an_appeal_read_when_its_card_is_opened(desk, world):
    a = new_appeal(world)
    b = new_appeal(world)
    services.route_appeal(a, world.operator)
    services.route_appeal(b, world.operator)
    desk.as_(world.coordinator).card(a)
    assert list(unread_for(world.coordinator).values_list("appeal_id", flat=True)) == [b.pk]
    # The operators' own unread signals are not touched by the coordinator's reading.
    assert StaffAlertRead.objects.filter(user=world.operator).count() == 0
