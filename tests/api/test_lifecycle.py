"""The whole lifecycle through the API with real tokens, as the app, the operator, the
organisation and the resident each see it."""

from __future__ import annotations

from tests.api.conftest import APPEAL
from tsur.appeals.models import Appeal, Event


def test_it_walks_the_whole_lifecycle_through_the_api(api, world):
    # The resident sends it from the app, signed in.
    created = api.post("/api/appeals", APPEAL, as_user="resident")
    assert created.status_code == 201, created.content
    body = created.json()
    number, key = body["number"], body["access_key"]
    assert body["status"] == "moderation" and body["status_url"].endswith(f"/status/{number}/{key}/")
    assert api.get(body["api_status_url"].replace("http://testserver", "")).status_code == 200
    assert Appeal.objects.get(number=number).channel == "app"

    # The operator sees it in moderation and routes it by the rules.
    card = api.card(number, "operator")
    assert card["status"] == "moderation"
    assert "route" in card["available_actions"] and "publish" not in card["available_actions"]
    assert card["resident"]["name"] == "Иван Петров"
    routed = api.act(number, "route", "operator", {"reason": ""})
    assert routed.status_code == 200, routed.content
    assert routed.json()["status"] == "routed" and routed.json()["organisation"]["code"] == "roads-min"

    # The coordinator assigns the executor from the list the card offers.
    card = api.card(number, "coordinator")
    assert {"assign", "accept", "transfer", "return-to-moderation"} <= set(card["available_actions"])
    assert world.executor.pk in [e["id"] for e in card["executors"]]
    assigned = api.act(number, "assign", "coordinator", {"executor": world.executor.pk})
    assert assigned.status_code == 200 and assigned.json()["executor"]["id"] == world.executor.pk

    # The executor gives an interim answer, then the final one.
    interim = api.act(number, "interim-answer", "executor", {"text": "Заявка передана подрядчику, ремонт запланирован."})
    assert interim.status_code == 200, interim.content
    answered = api.act(number, "answer", "executor", {"text": "Яма заделана 12.05.2025 подрядной организацией, проверено выездом."})
    assert answered.status_code == 200 and answered.json()["status"] == "answer_prepared"
    assert "answer-approve" not in answered.json()["available_actions"]  # the executor does not check answers

    # The operator checks and publishes it.
    assert api.act(number, "answer-approve", "operator", {"note": "Ответ конкретный"}).json()["status"] == "answer_checked"
    published = api.act(number, "publish", "operator")
    assert published.json()["status"] == "published"

    # The resident sees the answer and the public history, without staff names, and rates it.
    status = api.get(f"/api/public/appeals/{number}", key=key).json()
    assert status["status"] == "published" and status["can_rate"] is True
    assert status["answer"]["text"].startswith("Яма заделана")
    assert [a["text"] for a in status["interim_answers"]] == ["Заявка передана подрядчику, ремонт запланирован."]
    titles = [h["title"] for h in status["history"]]
    assert titles[0] == "Обращение получено и зарегистрировано" and "Ответ опубликован" in titles
    assert "Направлено в организацию" in titles and "Министерство дорог" in [h["note"] for h in status["history"]]
    for user in (world.operator, world.coordinator, world.executor):
        assert user.get_full_name() not in str(status) and user.username not in str(status)

    rated = api.post(f"/api/public/appeals/{number}/rating?key={key}", {"score": 5, "comment": "Спасибо"})
    assert rated.status_code == 200, rated.content
    assert rated.json()["status"] == "closed" and rated.json()["can_rate"] is False
    assert rated.json()["rating"]["score"] == 5

    # The resident finds it among their own appeals.
    mine = api.get("/api/my/appeals", "resident").json()
    assert [a["number"] for a in mine] == [number]
    assert mine[0]["access_key"] == key

    kinds = list(Event.objects.filter(appeal__number=number).exclude(kind="personal_data_viewed").values_list("kind", flat=True))
    assert kinds == [
        "created", "take_to_moderation", "route", "assign", "interim_answer",
        "prepare_answer", "approve_answer", "publish_answer", "rate_satisfied",
    ]


def test_it_reopens_after_a_low_rating_and_lets_the_executor_answer_again(api, world, submitted):
    number, key = submitted["number"], submitted["access_key"]
    api.act(number, "route", "operator")
    api.act(number, "accept", "coordinator")
    api.act(number, "answer", "coordinator", {"text": "Работы выполнены, покрытие восстановлено 01.06.2025."})
    api.act(number, "answer-approve", "operator")
    api.act(number, "publish", "operator")
    rated = api.post(f"/api/public/appeals/{number}/rating?key={key}", {"score": 2, "comment": "Ничего не сделано"})
    assert rated.json()["status"] == "in_progress"
    assert "Обращение возвращено в работу" in [h["title"] for h in rated.json()["history"]]
    assert "answer" in api.card(number, "coordinator")["available_actions"]


def test_it_returns_an_answer_for_rework_and_grants_an_extension(api, world, submitted):
    number = submitted["number"]
    api.act(number, "route", "operator")
    api.act(number, "assign", "coordinator", {"executor": world.executor.pk})
    asked = api.act(number, "extension-request", "executor", {"days": 10, "reason": "Нужна поставка асфальта"})
    assert asked.status_code == 200, asked.content
    assert "extension-request" not in asked.json()["available_actions"]
    request_id = asked.json()["extension_requests"][0]["id"]
    card = api.card(number, "operator")
    assert "extension-decision" in card["available_actions"]
    granted = api.act(number, "extension-decision", "operator", {"request": request_id, "grant": True, "note": "Обосновано"})
    assert granted.status_code == 200, granted.content
    assert granted.json()["extension_days"] == 10 and granted.json()["extension_requests"][0]["state"] == "granted"

    api.act(number, "answer", "executor", {"text": "Будет рассмотрено."})
    returned = api.act(number, "answer-return", "operator", {"note": "Отписка: нет сроков и действий"})
    assert returned.json()["status"] == "in_progress"
    assert returned.json()["answers"][-1]["check_state"] == "returned"
    assert returned.json()["answers"][-1]["formal_findings"]


def test_it_uses_an_answer_template_rendered_for_the_appeal(api, world, submitted):
    from tsur.answers.models import AnswerTemplate

    AnswerTemplate.objects.create(code="done", name="Выполнено", block=world.roads, text="По обращению {number} работы выполнены.")
    AnswerTemplate.objects.create(code="waste", name="Вывезено", block=world.waste, text="Мусор вывезен.")
    number = submitted["number"]
    api.act(number, "route", "operator")
    api.act(number, "accept", "coordinator")
    listed = api.get("/api/templates", "coordinator", appeal=number).json()
    assert [t["code"] for t in listed] == ["done"] and listed[0]["text"] == f"По обращению {number} работы выполнены."
    answered = api.act(number, "answer", "coordinator", {"template": "done"})
    assert answered.json()["answers"][-1]["text"] == f"По обращению {number} работы выполнены."


def test_it_rejects_joins_reclassifies_and_moves(api, world, submitted):
    number = submitted["number"]
    second = api.post("/api/appeals", dict(APPEAL, text="Та же яма у остановки")).json()["number"]
    reclassified = api.act(number, "reclassify", "operator", {"category": "snow", "reason": "Это снег"})
    assert reclassified.json()["category"]["code"] == "snow" and reclassified.json()["block"]["key"] == "roads"
    moved = api.act(number, "place", "operator", {"territory": "village", "address": "ул. Лесная, 3"})
    assert moved.json()["territory"]["code"] == "village" and moved.json()["address"] == "ул. Лесная, 3"
    pointed = api.act(number, "place", "operator", {"lat": 54.55, "lon": 36.25, "version": moved.json()["version"]})
    assert pointed.status_code == 200, pointed.content
    assert (pointed.json()["lat"], pointed.json()["lon"]) == (54.55, 36.25)
    outside = api.act(number, "place", "operator", {"lat": 60.0, "lon": 30.0, "version": pointed.json()["version"]})
    assert outside.status_code == 422 and outside.json()["message"] == "Точка находится за пределами региона."
    cleared = api.act(number, "place", "operator", {"clear_point": True, "version": pointed.json()["version"]})
    assert cleared.status_code == 200 and cleared.json()["lat"] is None and cleared.json()["lon"] is None
    urgent = api.act(number, "urgency", "operator", {"urgency": "high", "reason": "Дорога к школе"})
    assert urgent.json()["urgency"] == "high" and urgent.json()["urgency_reason"] == "Дорога к школе"
    joined = api.act(second, "join", "operator", {"lead": number})
    assert joined.json()["status"] == "joined" and joined.json()["problem"] == {"lead": number, "members": [second]}
    assert api.card(number)["problem"] == {"lead": number, "members": [second]}

    third = api.post("/api/appeals", dict(APPEAL, text="Купите рекламу")).json()["number"]
    rejected = api.act(third, "reject", "operator", {"reason": "spam"})
    assert rejected.json()["status"] == "rejected" and rejected.json()["rejection_reason"] == "spam"


def test_it_transfers_and_returns_to_moderation(api, world, submitted):
    number = submitted["number"]
    api.act(number, "route", "operator")
    moved = api.act(number, "transfer", "coordinator", {"organisation": "waste-op", "reason": "Это мусор"})
    assert moved.status_code == 200, moved.content
    # The appeal left the coordinator's scope: one last look, without personal data or actions.
    assert moved.json()["organisation"]["code"] == "waste-op"
    assert moved.json()["resident"] is None and moved.json()["available_actions"] == []
    assert api.get(f"/api/appeals/{number}", "coordinator").status_code == 404
    back = api.act(number, "return-to-moderation", "waste_coordinator", {"reason": "Не наш вопрос"})
    assert back.json()["status"] == "moderation" and back.json()["organisation"] is None


def test_it_confirms_a_resolution_from_an_objective_source(api, world, submitted):
    number = submitted["number"]
    api.act(number, "route", "operator")
    api.act(number, "accept", "coordinator")
    api.act(number, "answer", "coordinator", {"text": "Покрытие восстановлено 01.06.2025, работы выполнены."})
    api.act(number, "answer-approve", "operator")
    api.act(number, "publish", "operator")
    confirmed = api.act(number, "confirm", "operator", {"source": "Камера «Безопасный город» №12"})
    assert confirmed.json()["status"] == "closed" and confirmed.json()["close_reason"] == "confirmed"
