"""The operators' poll builder: who may open it, a draft built through the pages (fields,
questions of four kinds, reorder, delete), publish and close, what a published poll refuses."""

from __future__ import annotations

import datetime as dt

import pytest

from tsur.core import clock
from tsur.polls import services
from tsur.polls.models import Announcement, AnnouncementTarget, Poll, PollEvent, Question, QuestionKind, Status

from .conftest import NOW, build_poll, good_answers

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _login(client, user):
    client.force_login(user)
    return client


def test_it_opens_to_center_roles_and_builds_only_for_operators(client, world):
    for user, status in ((world.operator, 200), (world.admin, 200), (world.analyst, 200), (world.executor, 403), (world.city_operator, 403)):
        client.force_login(user)
        assert client.get("/workspace/polls/").status_code == status, user.username
    client.force_login(world.analyst)
    page = client.get("/workspace/polls/new/")
    assert page.status_code == 403 and "Создавать и менять опросы могут операторы ЦУР" in page.content.decode()
    client.logout()
    assert client.get("/workspace/polls/").status_code == 302  # to the login


def test_the_navigation_names_polls(client, world):
    _login(client, world.operator)
    html = client.get("/workspace/").content.decode()
    assert 'href="/workspace/polls/"' in html and "Опросы" in html


def test_an_operator_builds_a_draft_with_questions_of_every_kind(client, world):
    _login(client, world.operator)
    with clock.at(NOW):
        r = client.post(
            "/workspace/polls/new/",
            {
                "title": "  Благоустройство  ",
                "description": "Что сделать во дворах",
                "starts_at": "2027-03-11T10:00",
                "ends_at": "2027-03-25T18:00",
                "territories": [world.district.pk],
                "verification": "account_or_code",
                "audience": "everyone",
                "show_results": "on",
            },
        )
    poll = Poll.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/workspace/polls/{poll.pk}/"
    assert poll.title == "Благоустройство" and poll.status == Status.DRAFT
    assert list(poll.territories.all()) == [world.district]
    # Moscow time on the form is stored as the moment it names.
    assert poll.starts_at == dt.datetime(2027, 3, 11, 7, 0, tzinfo=dt.UTC)
    base = f"/workspace/polls/{poll.pk}/questions/"
    questions = [
        {"kind": "single", "text": "Что сделать первым?", "options": "Площадка\nОсвещение\n\n", "required": "on"},
        {"kind": "multiple", "text": "Что ещё?", "options": "Скамейки\nУрны\nДеревья", "max_choices": "2"},
        {"kind": "scale", "text": "Оцените двор", "scale_min": "1", "scale_max": "10", "scale_min_label": "плохо", "scale_max_label": "отлично"},
        {"kind": "text", "text": "Ваше предложение"},
    ]
    for q in questions:
        r = client.post(base, q, **HX)
        assert r.status_code == 200 and "field-error" not in r.content.decode(), r.content.decode()
    got = list(poll.questions.order_by("order"))
    assert [q.kind for q in got] == [QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.SCALE, QuestionKind.TEXT]
    assert [o.text for o in got[0].options.all()] == ["Площадка", "Освещение"] and got[0].required
    assert got[1].max_choices == 2 and not got[1].required
    assert (got[2].scale_min, got[2].scale_max, got[2].scale_max_label) == (1, 10, "отлично")
    # The HTMX answer is the questions' block, with the new question in it.
    assert "Ваше предложение" in r.content.decode() and "<html" not in r.content.decode()

    # Reorder: the scale goes up above the multiple choice; delete the free answer.
    client.post(f"{base}{got[2].pk}/move/up/", **HX)
    assert list(poll.questions.order_by("order").values_list("kind", flat=True)) == ["single", "scale", "multiple", "text"]
    client.post(f"{base}{got[3].pk}/delete/", **HX)
    assert poll.questions.count() == 3
    # Edit a question: the options are replaced.
    r = client.post(f"{base}{got[0].pk}/", {"kind": "single", "text": "Что первым?", "options": "А\nБ\nВ", "required": "on"}, **HX)
    assert r.status_code == 200
    assert [o.text for o in Question.objects.get(pk=got[0].pk).options.all()] == ["А", "Б", "В"]
    html = client.get(f"/workspace/polls/{poll.pk}/results/").content.decode()
    assert "10 — отлично" in html and "1 — плохо" in html  # the scale's ends read with their labels
    kinds = set(PollEvent.objects.filter(poll=poll).values_list("kind", flat=True))
    assert {"created", "question_saved", "question_deleted"} <= kinds


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "single", "text": "Вопрос", "options": "Один"}, "Нужно не меньше двух вариантов ответа."),
        ({"kind": "single", "text": "Вопрос", "options": "Да\nда"}, "Варианты ответа повторяются."),
        ({"kind": "single", "text": "", "options": "Да\nНет"}, "Введите текст вопроса."),
        ({"kind": "scale", "text": "Шкала", "scale_min": "5", "scale_max": "1"}, "начало меньше конца"),
        ({"kind": "multiple", "text": "Много", "options": "А\nБ", "max_choices": "3"}, "Число выбираемых вариантов"),
        ({"kind": "scale", "text": "Шкала", "scale_min": "x"}, "Укажите число."),
    ],
)
def test_a_bad_question_is_refused_in_russian_and_nothing_is_stored(client, world, data, message):
    poll = build_poll(world)
    before = poll.questions.count()
    _login(client, world.operator)
    r = client.post(f"/workspace/polls/{poll.pk}/questions/", data, **HX)
    assert r.status_code == 200 and message in r.content.decode()
    assert poll.questions.count() == before


def test_bad_poll_fields_are_refused_in_russian(client, world):
    _login(client, world.operator)
    r = client.post("/workspace/polls/new/", {"title": "", "verification": "account", "audience": "everyone"})
    assert r.status_code == 200 and "Укажите название опроса." in r.content.decode()
    r = client.post(
        "/workspace/polls/new/",
        {"title": "Опрос", "verification": "account", "audience": "everyone", "starts_at": "2027-03-20T10:00", "ends_at": "2027-03-10T10:00"},
    )
    assert "Окончание опроса должно быть позже его начала." in r.content.decode()
    r = client.post("/workspace/polls/new/", {"title": "Опрос", "verification": "account", "audience": "everyone", "ends_at": "завтра"})
    assert "Укажите дату и время окончания." in r.content.decode()
    assert not Poll.objects.exists()


def test_publish_then_questions_are_locked_with_a_reason_and_close(client, world):
    poll = build_poll(world)
    _login(client, world.operator)
    with clock.at(NOW):
        r = client.post(f"/workspace/polls/{poll.pk}/publish/", follow=True)
    poll.refresh_from_db()
    assert poll.status == Status.PUBLISHED and "Опрос опубликован" in r.content.decode()
    html = client.get(f"/workspace/polls/{poll.pk}/").content.decode()
    assert f"/polls/{poll.token}/" in html  # the public link
    assert f"/widget/polls/{poll.token}/" in html  # the embed code
    assert "Вопросы меняются только в черновике" in html
    with clock.at(NOW + dt.timedelta(hours=1)):
        services.cast_vote(poll, services.account_identity(world.resident), world.village, good_answers(poll), channel="widget")
    q = poll.questions.first()
    r = client.post(f"/workspace/polls/{poll.pk}/questions/{q.pk}/delete/", **HX)
    assert "Вопросы меняются только в черновике: опрос уже опубликован." in r.content.decode()
    r = client.post(f"/workspace/polls/{poll.pk}/questions/{q.pk}/", {"kind": "single", "text": "Иначе", "options": "А\nБ"}, **HX)
    assert "Вопросы меняются только в черновике" in r.content.decode()
    r = client.post(f"/workspace/polls/{poll.pk}/questions/", {"kind": "text", "text": "Ещё"}, follow=True)
    assert "Вопросы меняются только в черновике" in r.content.decode()
    assert poll.questions.count() == 4 and Question.objects.get(pk=q.pk).text == q.text
    # The wording may still change; the territories may not (the field is disabled, its value ignored).
    r = client.post(
        f"/workspace/polls/{poll.pk}/",
        {"title": "Новое название", "description": "", "ends_at": "2027-03-30T10:00", "territories": [world.city.pk], "show_results": "on"},
    )
    poll.refresh_from_db()
    assert r.status_code == 302 and poll.title == "Новое название" and list(poll.territories.all()) == [world.district]
    with clock.at(NOW + dt.timedelta(days=1)):
        client.post(f"/workspace/polls/{poll.pk}/close/")
    poll.refresh_from_db()
    assert poll.status == Status.CLOSED
    r = client.post(f"/workspace/polls/{poll.pk}/publish/", follow=True)
    assert "Опубликовать можно только черновик." in r.content.decode()


def test_publishing_an_empty_poll_is_refused(client, world):
    with clock.at(NOW):
        poll = services.create_poll(world.operator, title="Пустой")
    _login(client, world.operator)
    r = client.post(f"/workspace/polls/{poll.pk}/publish/", follow=True)
    assert "В опросе нет ни одного вопроса." in r.content.decode()
    poll.refresh_from_db()
    assert poll.status == Status.DRAFT


def test_the_list_and_the_preview(client, world):
    poll = build_poll(world)
    _login(client, world.analyst)
    html = client.get("/workspace/polls/").content.decode()
    assert poll.title in html and "Черновик" in html and "Район" in html and "Новый опрос" not in html
    html = client.get(f"/workspace/polls/{poll.pk}/preview/").content.decode()
    assert "Что сделать первым?" in html and "Детская площадка" in html and "Для жителей: Район" in html
    assert client.get("/workspace/polls/?status=published").content.decode().count(poll.title) == 0


def test_the_list_shows_the_operators_polls_and_the_follow_ups_on_asking(client, world):
    poll = build_poll(world)
    with clock.at(NOW):
        check = services.create_poll(None, title="Проблема действительно решена?", kind="followup", subject_label="Ямы — Район")
    client.force_login(world.operator)
    html = client.get("/workspace/polls/").content.decode()
    assert poll.title in html and f"poll-row-{check.pk}" not in html
    assert 'href="?kind=followup">Проверки решения после закрытия обращений: 1<' in html
    html = client.get("/workspace/polls/?kind=followup").content.decode()
    assert f"poll-row-{check.pk}" in html and poll.title not in html and "Ямы — Район" in html
    html = client.get("/workspace/polls/?kind=all").content.decode()
    assert f"poll-row-{check.pk}" in html and poll.title in html


def test_publish_in_channels_posts_to_targets_without_a_post(client, world):
    AnnouncementTarget.objects.create(name="Сообщество области", channel_code="vk-main", place={"group_id": 1})
    poll = build_poll(world)
    _login(client, world.operator)
    with clock.at(NOW):
        client.post(f"/workspace/polls/{poll.pk}/publish/")
    assert Announcement.objects.filter(poll=poll).count() == 1  # publishing posts by itself
    AnnouncementTarget.objects.create(name="Чат района", channel_code="tg-main", place={"chat_id": -100})
    with clock.at(NOW):
        r = client.post(f"/workspace/polls/{poll.pk}/announce/", follow=True)
    assert "Ссылка отправлена на размещение: мест — 1." in r.content.decode()
    assert sorted(Announcement.objects.filter(poll=poll).values_list("target__name", flat=True)) == ["Сообщество области", "Чат района"]
    with clock.at(NOW):
        r = client.post(f"/workspace/polls/{poll.pk}/announce/", follow=True)
    assert "Новых мест для размещения нет" in r.content.decode() and "Чат района" in r.content.decode()
    assert Announcement.objects.filter(poll=poll).count() == 2
    client.force_login(world.analyst)
    assert client.post(f"/workspace/polls/{poll.pk}/announce/").status_code == 403
