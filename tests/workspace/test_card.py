"""The appeal card: facts, the timeline, photos, the map data and the audited personal data."""

from __future__ import annotations

import datetime as dt
import io
import json

from django.utils import timezone
from PIL import Image

from tests.factories import new_appeal
from tsur.answers import services as answers
from tsur.appeals import services
from tsur.appeals.models import Appeal, Event, Status
from tsur.appeals.photos import read_photo


def pd_views(appeal, user=None):
    qs = Event.objects.filter(appeal=appeal, kind="personal_data_viewed")
    return qs.filter(actor=user) if user is not None else qs


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def test_it_shows_personal_data_to_the_operator_and_audits_the_view(desk, world):
    a = new_appeal(world)
    body = desk.as_(world.operator).card(a).content.decode()
    assert "Иван Петров" in body and "ivan@example.org" in body and "+7 900 000-00-00" in body
    assert pd_views(a, world.operator).count() == 1
    desk.card(a)
    assert pd_views(a, world.operator).count() == 1  # at most once an hour


def test_it_audits_again_after_an_hour(desk, world, monkeypatch):
    a = new_appeal(world)
    desk.as_(world.operator).card(a)
    later = timezone.now() + dt.timedelta(hours=1, minutes=1)
    monkeypatch.setattr("tsur.core.clock.now", lambda: later)
    desk.card(a)
    assert pd_views(a, world.operator).count() == 2


def test_it_audits_each_viewer_separately(desk, world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    desk.as_(world.operator).card(a)
    desk.as_(world.coordinator).card(a)
    assert pd_views(a).count() == 2


def test_it_hides_personal_data_from_the_analyst_without_auditing(desk, world):
    a = new_appeal(world)
    body = desk.as_(world.analyst).card(a).content.decode()
    assert "скрыто" in body and "Иван Петров" not in body
    assert pd_views(a).count() == 0


def test_it_writes_no_audit_when_there_is_no_personal_data(desk, world):
    a = new_appeal(world, name="", email="", phone="")
    body = desk.as_(world.operator).card(a).content.decode()
    assert "не оставил контактов" in body and pd_views(a).count() == 0


def test_it_shows_the_timeline_with_statuses_actors_and_reasons(desk, world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator, organisation_code="roads-min", reason="срочно по звонку")
    body = desk.as_(world.operator).card(a).content.decode()
    assert "Обращение зарегистрировано" in body
    assert "Передано на модерацию" in body
    assert "Направлено в организацию" in body and "Operator" in body
    assert "срочно по звонку" in body
    assert 'На модерации</span> → <span class="badge tone-work">Направлено в организацию' in body


def test_it_says_what_a_change_changed(desk, world):
    a = new_appeal(world)
    services.reclassify(a, world.operator, category_code="snow", reason="про снег")
    services.change_place(a, world.operator, territory_code="village", address="ул. Лесная, 3")
    a.refresh_from_db()
    before = a.urgency  # the new category may have set its own default
    after = "normal" if before == "high" else "high"
    services.change_urgency(a, world.operator, urgency=after, reason="у школы")
    services.route_appeal(a, world.operator)
    services.transfer_appeal(a, world.coordinator, organisation_code="city-admin", reason="городская дорога")
    body = desk.as_(world.operator).card(a).content.decode()
    assert "Ямы на дороге → Снег на дороге" in body
    assert "Район → Село; «—» → «ул. Лесная, 3»" in body
    labels = {"high": "Срочное", "normal": "Обычное"}
    assert f"{labels[before]} → {labels[after]}" in body
    assert "Миндор → Горадмин" in body


def test_it_shows_classification_urgency_deadlines_and_the_routing_reason(desk, world):
    a = new_appeal(world, category_code="snow", channel="email")
    services.route_appeal(a, world.operator)
    a.refresh_from_db()
    body = desk.as_(world.operator).card(a).content.decode()
    assert "Дороги" in body and "Снег на дороге" in body and "указал житель" in body
    assert "Срочное" in body and "по умолчанию для категории" in body
    assert "Обращение (59-ФЗ)" in body
    assert "Регистрация до" in body and "Переадресация до" in body
    assert a.due_explain in body
    assert "Почему сюда" in body and a.routing_reason in body


def test_it_shows_photo_thumbnails_through_the_access_checked_view(desk, world):
    a = new_appeal(world, photos=[read_photo(png())])
    body = desk.as_(world.operator).card(a).content.decode()
    att = a.attachments.get()
    assert f'href="/attachments/{att.pk}/"' in body and "/media/" not in body


def test_it_gives_the_map_the_point_and_the_municipal_boundary(desk, world):
    a = new_appeal(world, territory_code="village", lat=53.5, lon=35.5)
    response = desk.as_(world.operator).card(a)
    data = response.context["map"]
    assert data["point"] == [53.5, 35.5]
    assert data["boundary"] == world.district.boundary and data["boundary_name"] == "Район"
    body = response.content.decode()
    assert 'id="map-data"' in body and "leaflet.js" in body
    assert json.loads(body.split('id="map-data" type="application/json">')[1].split("</script>")[0])["point"] == [53.5, 35.5]


def test_it_shows_answers_ratings_and_the_problem(desk, world):
    lead = new_appeal(world)
    member = new_appeal(world, text="Та же яма")
    services.route_appeal(lead, world.operator)
    services.join_to_problem(member, world.operator, lead_number=lead.number)
    services.accept_appeal(lead, world.coordinator)
    answers.prepare_answer(lead, world.coordinator, text="Ремонт выполнен 12.05.2025, покрытие восстановлено подрядчиком полностью.")
    answers.approve_answer(lead, world.operator, note="Хороший ответ")
    answers.publish_answer(lead, world.operator)
    answers.rate_appeal(lead, None, score=5, comment="Спасибо!")
    body = desk.as_(world.operator).card(lead).content.decode()
    assert "ведущее" in body and member.number in body
    assert "Ремонт выполнен 12.05.2025" in body and "одобрен ЦУР" in body and "Хороший ответ" in body
    assert "Спасибо!" in body and 'class="score score-5"' in body
    assert "Закрыто" in body
    member_body = desk.card(member).content.decode()
    assert "Ведущее обращение" in member_body and lead.number in member_body


def test_it_shows_a_404_for_an_unknown_number(desk, world):
    assert desk.as_(world.operator).client.get("/workspace/appeals/1999-000001/").status_code == 404


def test_it_shows_a_card_whose_answer_status_has_no_answer_row(desk, world):
    """Imported or damaged data: an appeal «ответ подготовлен» without its answer. The card opens
    (it answered 500 before), without the answer's actions that would have nothing to act on."""
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    Appeal.objects.filter(pk=a.pk).update(status=Status.ANSWER_PREPARED)
    response = desk.as_(world.operator).card(a)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ответ подготовлен" in body
    assert "Одобрить ответ" not in body
