"""The resident's status and rating by the private access key."""

from __future__ import annotations

from tsur.appeals.models import Appeal


def publish(api, world, number: str) -> None:
    api.act(number, "route", "operator")
    api.act(number, "accept", "coordinator")
    api.act(number, "answer", "coordinator", {"text": "Покрытие восстановлено 01.06.2025, работы выполнены."})
    api.act(number, "answer-approve", "operator")
    api.act(number, "publish", "operator")


def test_it_shows_the_status_by_key_without_staff_names_or_internal_events(api, world, submitted):
    number, key = submitted["number"], submitted["access_key"]
    api.act(number, "route", "operator")
    api.act(number, "urgency", "operator", {"urgency": "high", "reason": "внутренняя пометка оператора"})
    api.act(number, "assign", "coordinator", {"executor": world.executor.pk})
    response = api.get(f"/api/public/appeals/{number}", key=key)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "in_progress" and body["status_label"] == "В работе" and body["can_rate"] is False
    assert body["organisation"] == "Миндор" and body["answer"] is None and body["due_at"]
    assert [h["kind"] for h in body["history"]] == ["created", "take_to_moderation", "route", "assign"]
    text = response.content.decode()
    for secret in ("внутренняя пометка", "Operator", "Coordinator", "Executor", "operator", "executor", "Правило"):
        assert secret not in text, secret


def test_it_answers_404_for_a_wrong_key_or_an_unknown_number(api, world, submitted):
    number, key = submitted["number"], submitted["access_key"]
    wrong = api.get(f"/api/public/appeals/{number}", key=key[:-1] + ("A" if key[-1] != "A" else "B"))
    missing = api.get(f"/api/public/appeals/{number}")
    unknown = api.get("/api/public/appeals/2099-000001", key=key)
    assert wrong.status_code == missing.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    rating = api.post(f"/api/public/appeals/{number}/rating?key=nope", {"score": 5})
    assert rating.status_code == 404


def test_it_refuses_a_rating_before_the_answer(api, world, submitted):
    number, key = submitted["number"], submitted["access_key"]
    response = api.post(f"/api/public/appeals/{number}/rating?key={key}", {"score": 5})
    assert response.status_code == 409 and response.json()["code"] == "transition_not_allowed"


def test_it_validates_the_score(api, world, submitted):
    number, key = submitted["number"], submitted["access_key"]
    publish(api, world, number)
    response = api.post(f"/api/public/appeals/{number}/rating?key={key}", {"score": 7})
    assert response.status_code == 422
    assert response.json()["fields"] == {"score": ["Значение слишком велико: не больше 5."]}
    assert Appeal.objects.get(number=number).status == "published"


def test_it_takes_one_rating_and_refuses_a_second(api, world, submitted):
    number, key = submitted["number"], submitted["access_key"]
    publish(api, world, number)
    assert api.post(f"/api/public/appeals/{number}/rating?key={key}", {"score": 4}).json()["status"] == "closed"
    again = api.post(f"/api/public/appeals/{number}/rating?key={key}", {"score": 1})
    assert again.status_code == 409
    assert Appeal.objects.get(number=number).status == "closed"


def test_it_shows_a_joined_appeal_the_answer_of_its_problem(api, world, submitted):
    lead = submitted["number"]
    member = api.post("/api/appeals", {"text": "Та же яма", "category": "pothole", "territory": "district"}).json()
    api.act(member["number"], "join", "operator", {"lead": lead})
    publish(api, world, lead)
    body = api.get(f"/api/public/appeals/{member['number']}", key=member["access_key"]).json()
    assert body["status"] == "published" and body["can_rate"] is True
    assert body["answer"]["text"].startswith("Покрытие восстановлено")
    assert [h["kind"] for h in body["history"]][-2:] == ["join_problem", "deliver_problem_answer"]
