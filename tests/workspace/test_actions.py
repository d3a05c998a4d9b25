"""Every action on the card posts to its service and changes the appeal; errors keep the input."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import new_appeal
from tsur.answers import services as answers
from tsur.answers.models import Answer, AnswerTemplate, ExtensionRequest
from tsur.appeals import services
from tsur.appeals.models import Event, Status


def routed(w, **kw):
    a = new_appeal(w, **kw)
    services.route_appeal(a, w.operator)
    return a


def in_progress(w, **kw):
    a = routed(w, **kw)
    services.assign_executor(a, w.coordinator, executor_id=w.executor.pk)
    return a


def prepared(w, text="Яма заделана 12.05.2025 подрядной организацией, участок проверен выездом инженера."):
    a = in_progress(w)
    answers.prepare_answer(a, w.executor, text=text)
    return a


def state(a):
    a.refresh_from_db()
    return a.status


def test_it_routes_by_rules(desk, world):
    a = new_appeal(world)
    response = desk.as_(world.operator).act(a, "route", {"organisation": "", "reason": ""})
    assert response.status_code == 302 and response["Location"] == reverse("workspace:card", args=[a.number])
    assert state(a) == Status.ROUTED and a.organisation == world.roads_ministry
    page = desk.client.get(response["Location"]).content.decode()
    assert "направлено: Миндор" in page
    assert "Правило" in page  # «почему сюда»


def test_it_previews_the_rules_choice_before_routing(desk, world):
    a = new_appeal(world, territory_code="city")
    body = desk.as_(world.operator).card(a).content.decode()
    assert "По правилам: <b>Горадмин: Правило" in body


def test_it_routes_by_hand_with_a_reason(desk, world):
    a = new_appeal(world)
    desk.as_(world.operator).act(a, "route", {"organisation": "waste-op", "reason": "по звонку диспетчера"})
    assert state(a) == Status.ROUTED and a.organisation == world.waste_operator
    assert "по звонку диспетчера" in a.routing_reason


def test_it_re_renders_the_card_for_htmx(desk, world):
    a = new_appeal(world)
    response = desk.as_(world.operator).act(a, "route", {"organisation": ""}, htmx=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="card"')
    assert "Направлено в организацию" in body and "<html" not in body


def test_it_transfers_and_leaves_the_coordinators_scope(desk, world):
    a = routed(world)
    response = desk.as_(world.coordinator).act(a, "transfer", {"organisation": "city-admin", "reason": "Дорога городская"})
    assert response.status_code == 302 and response["Location"] == reverse("workspace:queue")
    a.refresh_from_db()
    assert a.organisation == world.city_admin and a.status == Status.ROUTED


def test_it_tells_htmx_to_redirect_when_the_appeal_leaves_the_scope(desk, world):
    a = routed(world)
    response = desk.as_(world.coordinator).act(a, "transfer", {"organisation": "city-admin", "reason": "Дорога городская"}, htmx=True)
    assert response["HX-Redirect"] == reverse("workspace:queue")


def test_it_returns_to_the_center(desk, world):
    a = routed(world)
    desk.as_(world.coordinator).act(a, "return_to_moderation", {"reason": "Не наша дорога"})
    assert state(a) == Status.MODERATION and a.organisation is None


def test_it_assigns_an_executor_of_the_organisation(desk, world):
    a = routed(world)
    desk.as_(world.coordinator).act(a, "assign", {"executor": world.executor.pk})
    assert state(a) == Status.IN_PROGRESS and a.executor == world.executor


def test_it_offers_only_the_organisations_staff_as_executors(desk, world):
    a = routed(world)
    body = desk.as_(world.coordinator).card(a).content.decode()
    assert f'value="{world.executor.pk}"' in body and f'value="{world.colleague.pk}"' in body
    assert f'value="{world.city_executor.pk}"' not in body


def test_it_shows_a_field_error_for_a_foreign_executor(desk, world):
    a = routed(world)
    response = desk.as_(world.coordinator).act(a, "assign", {"executor": world.city_executor.pk})
    assert response.status_code == 422
    assert state(a) == Status.ROUTED
    assert "Выберите корректный вариант" in response.content.decode()  # not even offered


def test_it_accepts(desk, world):
    a = routed(world)
    desk.as_(world.coordinator).act(a, "accept")
    assert state(a) == Status.IN_PROGRESS


def test_it_rejects_with_a_reason_and_keeps_the_input_on_error(desk, world):
    a = new_appeal(world)
    response = desk.as_(world.operator).act(a, "reject", {"reason": "other", "note": ""})
    assert response.status_code == 422
    body = response.content.decode()
    assert "Опишите причину отклонения." in body
    assert "Обязательное поле для причины «Иное»." in body  # next to the field
    assert 'value="other" selected' in body  # the operator's choice survives
    assert state(a) == Status.MODERATION
    desk.act(a, "reject", {"reason": "spam", "note": "реклама"})
    assert state(a) == Status.REJECTED and a.rejection_reason == "spam"


def test_it_joins_to_a_problem(desk, world):
    lead = routed(world)
    dup = new_appeal(world, text="Та же яма у остановки")
    desk.as_(world.operator).act(dup, "join_problem", {"lead": lead.number, "reason": ""})
    assert state(dup) == Status.JOINED and dup.problem.lead == lead
    body = desk.card(dup).content.decode()
    assert f'href="{reverse("workspace:card", args=[lead.number])}"' in body
    assert dup.number in desk.card(lead).content.decode()


def test_it_shows_the_domain_message_for_an_unknown_lead(desk, world):
    a = new_appeal(world)
    response = desk.as_(world.operator).act(a, "join_problem", {"lead": "1999-000001"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "Ведущее обращение не найдено." in body and "Нет обращения с таким номером." in body
    assert 'value="1999-000001"' in body


def test_it_reclassifies(desk, world):
    a = new_appeal(world)
    desk.as_(world.operator).act(a, "reclassify", {"category": "heating", "reason": "про отопление"})
    a.refresh_from_db()
    assert a.category == world.heating and a.block == world.housing and a.classification_source == "operator"


def test_it_changes_the_place(desk, world):
    a = new_appeal(world)
    desk.as_(world.operator).act(a, "change_place", {"territory": "village", "address": "ул. Лесная, 3", "reason": ""})
    a.refresh_from_db()
    assert a.territory == world.village and a.address == "ул. Лесная, 3"


def test_it_changes_the_urgency(desk, world):
    a = new_appeal(world)
    desk.as_(world.operator).act(a, "change_urgency", {"urgency": "high", "reason": "у школы"})
    a.refresh_from_db()
    assert a.urgency == "high" and a.urgency_reason == "у школы"


def test_it_gives_an_interim_answer(desk, world):
    a = in_progress(world)
    desk.as_(world.executor).act(a, "interim_answer", {"text": "Передано подрядчику, ремонт на этой неделе."})
    a.refresh_from_db()
    assert a.interim_answered_at is not None
    assert a.answers.filter(kind=Answer.Kind.INTERIM).count() == 1


def test_it_requests_and_grants_an_extension(desk, world):
    a = in_progress(world, channel="email")  # 59-FZ: one extension of up to 30 days
    desk.as_(world.executor).act(a, "request_extension", {"days": 10, "reason": "Нужна экспертиза"})
    req = ExtensionRequest.objects.get(appeal=a)
    assert req.state == ExtensionRequest.State.PENDING
    a.refresh_from_db()
    due_before = a.due_at
    body = desk.as_(world.operator).card(a).content.decode()
    assert "Решение по продлению срока" in body and "Нужна экспертиза" in body
    desk.act(a, "decide_extension", {"request": req.pk, "decision": "grant", "note": ""})
    req.refresh_from_db()
    a.refresh_from_db()
    assert req.state == ExtensionRequest.State.GRANTED and a.extension_days == 10 and a.due_at > due_before


def test_it_denies_an_extension(desk, world):
    a = in_progress(world, channel="email")
    answers.request_extension(a, world.executor, days=5, reason="Ждём подрядчика")
    req = ExtensionRequest.objects.get(appeal=a)
    desk.as_(world.operator).act(a, "decide_extension", {"request": req.pk, "decision": "deny", "note": "Успеете"})
    req.refresh_from_db()
    assert req.state == ExtensionRequest.State.DENIED


def test_it_prepares_an_answer_from_a_template_without_javascript(desk, world):
    AnswerTemplate.objects.create(code="done", name="Готово", text="По обращению {number} ремонт выполнен 01.06.2025.")
    a = in_progress(world)
    desk.as_(world.executor).act(a, "prepare_answer", {"template": "done", "text": ""})
    assert state(a) == Status.ANSWER_PREPARED
    assert answers.current_answer(a).text == f"По обращению {a.number} ремонт выполнен 01.06.2025."


def test_it_renders_a_template_into_the_textarea_for_htmx(desk, world):
    AnswerTemplate.objects.create(code="done", name="Готово", text="Ответ по {number}: выполнено.")
    a = in_progress(world)
    url = reverse("workspace:answer_template", args=[a.number])
    response = desk.as_(world.executor).client.get(url, {"for": "prepare_answer", "prepare_answer-template": "done"})
    body = response.content.decode()
    assert 'name="prepare_answer-text"' in body and f"Ответ по {a.number}: выполнено." in body
    assert desk.as_(world.analyst).client.get(url, {"for": "prepare_answer"}).status_code == 404


def test_it_requires_a_text_or_a_template(desk, world):
    a = in_progress(world)
    response = desk.as_(world.executor).act(a, "prepare_answer", {"template": "", "text": "  "})
    assert response.status_code == 422 and "Напишите текст ответа или выберите шаблон." in response.content.decode()
    assert state(a) == Status.IN_PROGRESS


def test_it_highlights_formal_findings_for_the_checking_operator(desk, world):
    a = prepared(world, text="Ваше обращение будет рассмотрено по мере финансирования.")
    body = desk.as_(world.operator).card(a).content.decode()
    assert "answer-checking" in body and "Признаки формальной отписки" in body
    assert "по мере финансирования" in body


def test_it_approves_returns_and_publishes(desk, world):
    a = prepared(world)
    desk.as_(world.operator).act(a, "return_answer", {"note": "Укажите срок"})
    assert state(a) == Status.IN_PROGRESS
    answers.prepare_answer(a, world.executor, text="Ремонт выполнен 12.05.2025, участок принят по акту комиссией.")
    desk.act(a, "approve_answer", {"note": ""})
    assert state(a) == Status.ANSWER_CHECKED
    desk.act(a, "publish_answer")
    assert state(a) == Status.PUBLISHED


def test_it_confirms_resolution_by_an_objective_source(desk, world):
    a = prepared(world)
    answers.approve_answer(a, world.operator)
    answers.publish_answer(a, world.operator)
    desk.as_(world.operator).act(a, "confirm_resolution", {"source": "Камера «Безопасный город» №12"})
    assert state(a) == Status.CLOSED and a.close_reason == "confirmed"


def test_it_refuses_a_stale_version_with_a_clear_notice(desk, world):
    a = new_appeal(world)
    a.refresh_from_db()
    seen = a.version
    services.reclassify(a, world.operator, category_code="snow")  # someone else, meanwhile
    response = desk.as_(world.operator).act(a, "reject", {"reason": "spam", "note": "реклама"}, version=seen)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Обращение уже изменил другой пользователь" in body and "Обновить карточку" in body
    assert "реклама</textarea>" in body  # the operator's input is kept
    assert state(a) == Status.MODERATION and a.rejection_reason == ""
    assert not Event.objects.filter(appeal=a, kind="reject").exists()


def test_it_refuses_a_post_without_a_version(desk, world):
    a = new_appeal(world)
    desk.as_(world.operator)
    response = desk.client.post(reverse("workspace:act", args=[a.number, "reject"]), {"reject-reason": "spam"})
    assert response.status_code == 409
    assert state(a) == Status.MODERATION


def test_it_shows_only_the_actions_allowed_for_the_role_and_status(desk, world):
    a = routed(world)
    coordinator = desk.as_(world.coordinator).card(a).content.decode()
    for name in ("assign", "accept", "transfer", "return_to_moderation"):
        assert f'data-action="{name}"' in coordinator
    for name in ("route", "reject", "reclassify", "approve_answer", "publish_answer", "decide_extension"):
        assert f'data-action="{name}"' not in coordinator
    operator = desk.as_(world.operator).card(a).content.decode()
    assert 'data-action="reject"' in operator and 'data-action="route"' not in operator


def test_it_shows_the_service_refusal_when_the_role_may_not_act(desk, world):
    a = routed(world)
    response = desk.as_(world.executor).act(a, "transfer", {"organisation": "city-admin", "reason": "x"})
    # The executor does not see unassigned appeals at all.
    assert response.status_code == 404
    services.assign_executor(a, world.coordinator, executor_id=world.executor.pk)
    response = desk.act(a, "transfer", {"organisation": "city-admin", "reason": "не наше"})
    assert response.status_code == 403
    assert "Недостаточно прав" in response.content.decode()
    a.refresh_from_db()
    assert a.organisation == world.roads_ministry
