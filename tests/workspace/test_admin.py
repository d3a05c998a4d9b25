"""The Django admin: reference data is editable; appeals are read-only for superusers only;
API keys are shown once; no resident personal data."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import new_appeal
from tsur.accounts.models import ApiToken
from tsur.answers import services as answers
from tsur.appeals import services
from tsur.appeals.models import Event
from tsur.deadlines.models import StaffAlert


@pytest.fixture
def superuser(world):
    return get_user_model().objects.create_superuser("root", "root@example.org", "pass-12345")


CHANGELISTS = [
    "directory_territory", "directory_organisation", "directory_calendarexception", "directory_block",
    "directory_category", "directory_queue", "accounts_membership", "accounts_apitoken", "auth_user",
    "deadlines_deadlinepolicy", "deadlines_staffalert", "routing_routingrule", "answers_answertemplate",
    "answers_answer", "answers_rating", "answers_extensionrequest",
    "appeals_appeal", "appeals_event", "appeals_notification", "appeals_problem",
]


@pytest.mark.parametrize("name", CHANGELISTS)
def test_it_opens_every_changelist_and_the_first_row(client, world, superuser, name):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    services.join_to_problem(new_appeal(world), world.operator, lead_number=a.number)
    services.accept_appeal(a, world.coordinator)
    answers.request_extension(a, world.coordinator, days=5, reason="экспертиза")
    answers.prepare_answer(a, world.coordinator, text="Ремонт выполнен 12.05.2025, покрытие восстановлено.")
    StaffAlert.objects.create(appeal=a, kind="reminder", organisation=world.roads_ministry, text="Напоминание")
    ApiToken.issue(world.operator, "Интеграция")
    client.force_login(superuser)
    listing = client.get(reverse(f"admin:{name}_changelist"))
    assert listing.status_code == 200
    model = listing.context["cl"].model
    first = model._default_manager.order_by("pk").first()
    if first is not None:
        assert client.get(reverse(f"admin:{name}_change", args=[first.pk])).status_code == 200


def test_it_keeps_appeals_read_only_and_free_of_personal_data(client, world, superuser):
    # The resident's contacts in their own words, in the appeal and in a message after it.
    a = new_appeal(world, text="Яма у остановки. Я Иван Петров, звоните +7 900 000-00-00 или соседке +7 977 131-72-83")
    services.add_resident_message(a, text="Дополняю: пишите на ivan@example.org", photos=[], source="status_page")
    written = {"Иван Петров", "ivan@example.org", "000-00-00", "131-72-83", a.access_key}
    client.force_login(superuser)
    listing = client.get(reverse("admin:appeals_appeal_changelist")).content.decode()
    assert a.number in listing and "Иван Петров" not in listing
    detail = client.get(reverse("admin:appeals_appeal_change", args=[a.pk])).content.decode()
    assert "Яма у остановки" in detail and "Дополняю" in detail  # the texts are there, masked
    assert not {v for v in written if v in detail}
    message = Event.objects.get(appeal=a, kind=services.RESIDENT_MESSAGE_EVENT)
    event_page = client.get(reverse("admin:appeals_event_change", args=[message.pk])).content.decode()
    assert "Дополняю" in event_page and not {v for v in written if v in event_page}
    assert 'name="_save"' not in detail
    assert client.get(reverse("admin:appeals_appeal_add")).status_code == 403
    response = client.post(reverse("admin:appeals_appeal_delete", args=[a.pk]), {"post": "yes"})
    assert response.status_code == 403


def test_it_hides_appeals_from_non_superuser_staff(client, world):
    staff = get_user_model().objects.create_user("clerk", password="pass-12345", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["appeals", "directory"]))
    client.force_login(staff)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Территории" in index or "территории" in index
    assert "Обращения" not in index
    assert client.get(reverse("admin:appeals_appeal_changelist")).status_code == 403


def test_it_shows_a_new_api_key_once_and_never_its_hash(client, world, superuser):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:accounts_apitoken_add"),
        {"name": "Мобильное приложение", "user": world.operator.pk, "scopes": ["intake", "staff_read"]},
        follow=True,
    )
    body = response.content.decode()
    token = ApiToken.objects.get(name="Мобильное приложение")
    assert sorted(token.scopes) == ["intake", "staff_read"]
    raw = re.search(r"(tsur_[A-Za-z0-9_\-]+)", body).group(1)
    assert ApiToken.authenticate(raw) == world.operator
    assert token.key_hash not in body
    change = client.get(reverse("admin:accounts_apitoken_change", args=[token.pk])).content.decode()
    assert raw not in change and token.key_hash not in change
    listing = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    assert raw not in listing and token.key_hash not in listing and token.prefix in listing


def test_it_reissues_keys_by_an_admin_action(client, world, superuser):
    old, _ = ApiToken.issue(world.operator, "Интеграция")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "reissue", "_selected_action": [old.pk]},
        follow=True,
    )
    old.refresh_from_db()
    assert not old.is_active
    raw = re.search(r"(tsur_[A-Za-z0-9_\-]+)", response.content.decode()).group(1)
    assert ApiToken.authenticate(raw) == world.operator
    assert ApiToken.find(raw).scopes == old.scopes  # the new key may do what the old one could


def test_it_edits_a_users_platform_role_inline(client, world, superuser):
    client.force_login(superuser)
    body = client.get(reverse("admin:auth_user_change", args=[world.coordinator.pk])).content.decode()
    assert "роль в платформе" in body.lower() and 'name="membership-0-role"' in body


def test_it_lets_admins_edit_category_urgency_in_the_list(client, world, superuser):
    client.force_login(superuser)
    body = client.get(reverse("admin:directory_category_changelist")).content.decode()
    assert 'name="form-0-default_urgency"' in body and 'name="form-0-default_regime"' in body
