"""The private status page: the key opens it, the public timeline hides staff, the resident rates."""

from __future__ import annotations

import re

from tests.factories import new_appeal
from tests.intake.helpers import drive_to_published
from tsur.answers import services as answers
from tsur.answers.models import Rating
from tsur.appeals import services
from tsur.appeals.models import Appeal, Status


def url(appeal, key: str | None = None) -> str:
    return f"/status/{appeal.number}/{key or appeal.access_key}/"


def test_it_shows_the_status_with_the_right_key(world, client):
    appeal = new_appeal(world)
    response = client.get(url(appeal))
    html = response.content.decode()
    assert response.status_code == 200
    assert "На модерации" in html and appeal.number in html
    assert 'aria-current="step"' in html and "Модерация" in html
    assert "Обращение получено и зарегистрировано" in html
    assert response["Cache-Control"] == "private, no-store" and response["Referrer-Policy"] == "no-referrer"


def test_it_never_shows_staff_names_notes_or_personal_data(world, client):
    appeal = new_appeal(world)
    services.route_appeal(appeal.pk, world.operator)
    services.assign_executor(appeal.pk, world.coordinator, executor_id=world.executor.pk)
    services.change_urgency(appeal.pk, world.operator, urgency="high", reason="Внутренняя заметка оператора")
    answers.give_interim_answer(appeal.pk, world.executor, text="Заявка передана подрядчику, ремонт запланирован.")
    html = client.get(url(appeal)).content.decode()
    assert "В работе" in html
    assert "Направлено в организацию: Министерство дорог" in html
    assert "Назначен ответственный исполнитель" in html
    assert "Заявка передана подрядчику" in html  # the interim answer
    for secret in ("Executor", "Operator", "Coordinator", "Внутренняя заметка", "Иван Петров", "ivan@example.org", "+7 900"):
        assert secret not in html, secret


def test_it_answers_404_in_russian_for_a_wrong_key_or_number(world, client):
    appeal = new_appeal(world)
    first = "y" if appeal.access_key[0] == "x" else "x"  # a key that surely differs in its first character
    wrong = client.get(url(appeal, key=first + appeal.access_key[1:]))
    assert wrong.status_code == 404 and "Обращение не найдено" in wrong.content.decode()
    assert client.get(f"/status/1999-000001/{appeal.access_key}/").status_code == 404
    assert client.get(f"/widget/done/{appeal.number}/wrong/").status_code == 404
    assert client.post(f"/status/{appeal.number}/wrong/rate/", {"score": "5"}).status_code == 404


def test_it_shows_the_extension_notice_among_the_notifications(world, client):
    appeal = new_appeal(world)
    services.route_appeal(appeal.pk, world.operator)
    services.accept_appeal(appeal.pk, world.coordinator)
    request = answers.request_extension(appeal.pk, world.coordinator, days=10, reason="Нужна экспертиза покрытия")
    answers.decide_extension(request.appeal_id, world.operator, request_id=request.pk, grant=True)
    html = client.get(url(appeal)).content.decode()
    assert f"Срок рассмотрения обращения {appeal.number} продлён" in html
    assert "Срок рассмотрения продлён: на 10 дн., новый срок — до" in html
    assert f"Обращение {appeal.number} зарегистрировано" in html


def test_it_closes_the_appeal_on_a_five_star_rating(world, client):
    appeal = new_appeal(world)
    drive_to_published(world, appeal)
    page = client.get(url(appeal)).content.decode()
    assert "Ответ опубликован" in page and "Яма заделана 12.05.2025" in page and "Министерство дорог" in page
    assert 'name="score"' in page
    response = client.post(url(appeal) + "rate/", {"score": "5", "comment": "Спасибо, быстро"})
    assert response.status_code == 302 and response["Location"] == url(appeal) + "?rated=thanks#rating"
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED and appeal.close_reason == "satisfied"
    assert Rating.objects.get(appeal=appeal).score == 5
    after = client.get(response["Location"]).content.decode()
    assert "Спасибо за оценку" in after and "5 из 5" in after and 'name="score"' not in after


def test_it_reopens_the_appeal_on_a_two_star_rating(world, client):
    appeal = new_appeal(world)
    drive_to_published(world, appeal)
    response = client.post(url(appeal) + "rate/", {"score": "2", "comment": "Яма на месте"})
    assert response["Location"].endswith("?rated=reopened#rating")
    appeal.refresh_from_db()
    assert appeal.status == Status.IN_PROGRESS and appeal.reopened_count == 1
    html = client.get(response["Location"]).content.decode()
    assert "Обращение возвращено в работу" in html and 'name="score"' not in html


def test_it_asks_for_a_score_and_refuses_to_rate_an_unanswered_appeal(world, client):
    appeal = new_appeal(world)
    drive_to_published(world, appeal)
    missing = client.post(url(appeal) + "rate/", {"comment": "?"})
    assert missing.status_code == 400 and "Выберите оценку от 1 до 5 звёзд." in missing.content.decode()
    fresh = new_appeal(world)
    refused = client.post(url(fresh) + "rate/", {"score": "5"})
    assert refused.status_code == 400 and "невозможно" in refused.content.decode()
    assert Rating.objects.count() == 0


def test_it_shows_the_problem_answer_to_a_joined_appeal(world, client):
    lead = new_appeal(world)
    member = new_appeal(world, text="Та же яма у остановки, второй месяц")
    services.join_to_problem(member.pk, world.operator, lead_number=lead.number)
    html = client.get(url(member)).content.decode()
    assert "Объединено с похожими обращениями" in html and lead.number in html
    drive_to_published(world, lead)
    member.refresh_from_db()
    assert member.status == Status.PUBLISHED
    html = client.get(url(member)).content.decode()
    assert "Яма заделана 12.05.2025" in html and 'name="score"' in html


def test_it_explains_a_rejection(world, client):
    appeal = new_appeal(world)
    services.reject_appeal(appeal.pk, world.operator, reason_code="not_competence", note="Это федеральная трасса.")
    html = client.get(url(appeal)).content.decode()
    assert "Отклонено" in html and "Не относится к компетенции органов власти региона" in html
    assert "Это федеральная трасса." in html and 'class="progress"' not in html


def test_it_finds_an_appeal_by_number_and_key_or_by_the_link(world, client):
    appeal = new_appeal(world)
    assert client.get("/status/").status_code == 200
    by_fields = client.get("/status/", {"number": appeal.number, "key": appeal.access_key})
    assert by_fields.status_code == 302 and by_fields["Location"] == url(appeal)
    by_link = client.get("/status/", {"link": f"https://portal.example.org{url(appeal)}"})
    assert by_link["Location"] == url(appeal)
    wrong = client.get("/status/", {"number": appeal.number, "key": "nope"})
    assert wrong.status_code == 404 and "Обращение не найдено" in wrong.content.decode()
    empty_key = client.get("/status/", {"number": appeal.number})
    assert empty_key.status_code == 400 and "Укажите ключ" in empty_key.content.decode()
    garbage = client.get("/status/", {"link": "что-то не то"})
    assert "Не похоже на ссылку" in garbage.content.decode()


def test_it_offers_rating_after_an_automatic_close(world, client, settings):
    import datetime as dt

    from django.utils import timezone

    appeal = new_appeal(world)
    drive_to_published(world, appeal)
    answers.auto_close_due(timezone.now() + dt.timedelta(days=settings.TSUR_AUTO_CLOSE_DAYS + 1))
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED and appeal.close_reason == "auto"
    html = client.get(url(appeal)).content.decode()
    assert "Закрыто автоматически" in html and 'name="score"' in html
    client.post(url(appeal) + "rate/", {"score": "4"})
    assert Appeal.objects.get(pk=appeal.pk).close_reason == "satisfied"


def test_it_draws_the_progress_line(world, client):
    appeal = new_appeal(world)
    drive_to_published(world, appeal)
    html = client.get(url(appeal)).content.decode()
    states = re.findall(r"progress__step--(\w+)", html)
    assert states == ["done", "done", "done", "current", "todo"]
