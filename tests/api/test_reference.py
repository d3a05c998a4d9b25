"""Reference data for intake forms and staff."""

from __future__ import annotations

from tsur.directory.models import Category


def test_it_lists_public_categories_to_everyone_and_all_active_to_staff(api, world):
    Category.objects.create(code="internal", block=world.roads, name="Служебная", is_public=False)
    Category.objects.create(code="old", block=world.roads, name="Устаревшая", is_active=False)
    public = api.get("/api/categories").json()
    assert {c["code"] for c in public} == {"pothole", "snow", "heating", "garbage"}
    assert public[0]["block"] == {"key": "roads", "name": "Дороги"}
    staff = api.get("/api/categories", "operator").json()
    assert {c["code"] for c in staff} == {"pothole", "snow", "heating", "garbage", "internal"}


def test_it_lists_territories_without_boundaries_unless_asked(api, world):
    plain = api.get("/api/territories").json()
    assert {t["code"] for t in plain} == {"region", "city", "district", "village"}
    assert all("geometry" not in t or t["geometry"] is None for t in plain)
    assert next(t for t in plain if t["code"] == "village")["parent"] == "district"
    shaped = {t["code"]: t for t in api.get("/api/territories", geometry="1").json()}
    assert shaped["city"]["geometry"]["type"] == "Polygon" and shaped["village"]["geometry"] is None


def test_it_lists_organisations_to_staff_only(api, world):
    listed = api.get("/api/organisations", "coordinator").json()
    roads = next(o for o in listed if o["code"] == "roads-min")
    assert roads["short_name"] == "Миндор" and roads["territories"] == ["region"]
    assert api.get("/api/organisations", "resident").status_code == 403
    assert api.get("/api/organisations").status_code == 401


def test_it_lists_unrendered_templates_without_an_appeal(api, world):
    from tsur.answers.models import AnswerTemplate

    AnswerTemplate.objects.create(code="t", name="Шаблон", text="Обращение {number}")
    assert api.get("/api/templates", "executor").json()[0]["text"] == "Обращение {number}"


def test_it_filters_the_staff_list(api, world):
    from tests.api.conftest import APPEAL

    a = api.post("/api/appeals", dict(APPEAL, text="Огромная ЯМА возле школы")).json()["number"]
    b = api.post("/api/appeals", dict(APPEAL, text="Не вывозят мусор", category="garbage", channel="widget")).json()["number"]
    c = api.post("/api/appeals", dict(APPEAL, text="Снег на дороге в городе", category="snow", territory="city")).json()["number"]
    api.act(a, "route", "operator")

    def numbers(**params) -> list[str]:
        response = api.get("/api/appeals", "operator", **params)
        assert response.status_code == 200, response.content
        return sorted(r["number"] for r in response.json()["results"])

    assert numbers() == sorted([a, b, c])
    assert numbers(status="routed") == [a]
    assert numbers(status="routed,moderation") == sorted([a, b, c])
    assert numbers(block="waste") == [b]
    assert numbers(category="snow") == [c]
    assert numbers(territory="region") == sorted([a, b, c])
    assert numbers(territory="city") == [c]
    assert numbers(organisation="roads-min") == [a]
    assert numbers(channel="widget") == [b]
    assert numbers(q="яма школы") == [a]  # case-folded, every word
    assert numbers(q=b) == [b]
    assert numbers(overdue="true") == []
    page = api.get("/api/appeals", "operator", page_size=2, page=2).json()
    assert page["count"] == 3 and page["pages"] == 2 and len(page["results"]) == 1
    assert api.get("/api/appeals", "operator", status="nonsense").json()["fields"]["status"]


def test_it_finds_overdue_and_due_soon_appeals(api, world):
    import datetime as dt

    from django.utils import timezone

    from tests.api.conftest import APPEAL
    from tsur.appeals.models import Appeal

    late = api.post("/api/appeals", APPEAL).json()["number"]
    soon = api.post("/api/appeals", APPEAL).json()["number"]
    now = timezone.now()
    Appeal.objects.filter(number=late).update(due_at=now - dt.timedelta(hours=1))
    Appeal.objects.filter(number=soon).update(due_at=now + dt.timedelta(hours=3))
    overdue = api.get("/api/appeals", "operator", overdue="true").json()["results"]
    assert [r["number"] for r in overdue] == [late] and overdue[0]["is_overdue"] is True
    assert [r["number"] for r in api.get("/api/appeals", "operator", due_soon="true").json()["results"]] == [soon]
