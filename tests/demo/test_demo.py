"""The shipped Kaluga demo configuration loads from the repository alone and shows every stage."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from tsur.appeals.models import Appeal, Event, Resident, Status
from tsur.appeals.services import open_question
from tsur.demo.loader import DATA_DIR, load_demo
from tsur.directory.models import Block, Category, Organisation, OutsidePlace, Queue, Street, Territory
from tsur.routing.models import RoutingRule


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        counts, users = load_demo(count=160)
    yield counts, users
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def test_it_ships_the_reference_data_in_the_repository():
    names = ("territories.json", "streets.json", "outside_places.json", "taxonomy.json", "organisations.json", "routing.json", "appeal_texts.json")
    for name in names:
        assert (DATA_DIR / name).is_file(), name
    taxonomy = json.loads((DATA_DIR / "taxonomy.json").read_text(encoding="utf-8"))
    assert [b["key"] for b in taxonomy["blocks"]] == [
        "health", "education", "social", "housing", "waste", "roads", "transport", "energy", "services", "ecology", "other",
    ]


@pytest.mark.django_db
def test_it_loads_the_region_and_its_configuration(demo):
    assert Territory.objects.filter(level="city_district").count() == 2
    assert Territory.objects.filter(level="municipal_district").count() == 24
    assert Territory.objects.exclude(boundary=None).filter(level__in=["city_district", "municipal_district"]).count() == 26
    assert Block.objects.count() == 11
    assert Category.objects.count() >= 161
    assert Organisation.objects.filter(kind="center").count() == 1
    assert 25 <= Organisation.objects.count() <= 40
    assert Queue.objects.filter(code="kaluga-city").exists()
    assert RoutingRule.objects.count() > 50


@pytest.mark.django_db
def test_it_loads_the_streets_and_the_places_outside_the_region_as_rows(demo):
    """Triage's places come from these rows (tsur.triage.places), not from the demo's files."""
    streets = json.loads((DATA_DIR / "streets.json").read_text(encoding="utf-8"))
    assert Street.objects.count() == len(streets) == 491
    assert set(Street.objects.values_list("territory__code", flat=True)) == {"kaluga"}
    assert Street.objects.filter(name="Ленина", type="улица").exists()
    assert Street.objects.filter(name="8 Марта").count() == 2  # улица and переулок
    outside = json.loads((DATA_DIR / "outside_places.json").read_text(encoding="utf-8"))
    assert OutsidePlace.objects.count() == len(outside)
    assert OutsidePlace.objects.filter(name="Москва", kind="city").exists()
    assert OutsidePlace.objects.filter(name="Тульская область", kind="region").exists()


@pytest.mark.django_db
def test_it_replays_appeals_through_every_stage(demo):
    statuses = set(Appeal.objects.values_list("status", flat=True))
    for status in (Status.MODERATION, Status.ROUTED, Status.IN_PROGRESS, Status.PUBLISHED, Status.CLOSED, Status.REJECTED):
        assert status in statuses, status
    assert Appeal.objects.filter(queue__code="kaluga-city").exists()
    assert Appeal.objects.filter(escalation_level__gt=0).exists() or Appeal.objects.filter(due_at__isnull=False).exists()
    # Every appeal has a true timeline, in order, starting with its creation.
    for a in Appeal.objects.all()[:50]:
        events = list(Event.objects.filter(appeal=a).order_by("at", "pk"))
        assert events[0].kind == "created"
        assert events == sorted(events, key=lambda e: e.at)


@pytest.mark.django_db
def test_it_gives_the_demo_resident_a_cabinet_with_a_question_and_an_answer_to_rate(demo):
    _counts, users = demo
    mine = Appeal.objects.filter(resident__user=users.by_role["resident"])
    assert set(mine.values_list("status", flat=True)) == {Status.PUBLISHED, Status.IN_PROGRESS, Status.MODERATION}
    asked = mine.get(status=Status.IN_PROGRESS)
    assert open_question(asked) is not None


@pytest.mark.django_db
def test_it_keeps_real_personal_data_out_of_the_demo(demo):
    assert not Resident.objects.exclude(email="").exclude(email__endswith="@demo.tsur.example").exists()
    assert not Resident.objects.exclude(phone="").exists()


@pytest.mark.django_db
def test_it_is_idempotent(demo):
    def counts() -> tuple[int, ...]:
        return tuple(m.objects.count() for m in (Territory, Street, OutsidePlace, Category, RoutingRule, Appeal))

    before = counts()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    after = counts()
    assert before == after
    assert "tsur-demo-2026" in out.getvalue()
