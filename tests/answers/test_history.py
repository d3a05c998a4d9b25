"""record_history: a past appeal's story written in bulk ends exactly as the services leave it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.factories import Channel
from tsur.answers import services as answers
from tsur.answers.history import PastAppeal, PastStep, record_history
from tsur.answers.models import Answer, Rating
from tsur.appeals import services
from tsur.appeals.models import Appeal, Counter, Event, Problem, Status
from tsur.core import clock
from tsur.core.errors import ValidationFailed

MSK = ZoneInfo("Europe/Moscow")
T0 = dt.datetime(2025, 11, 3, 9, 15, tzinfo=MSK)  # a Monday
TEXT = "Большая яма на дороге у остановки, машины бьют колёса"
FIELDS = (
    "status", "channel", "regime", "text", "text_masked", "territory_id", "address", "place_source", "block_id", "category_id",
    "classification_source", "urgency", "urgency_reason", "queue_id", "organisation_id", "executor_id", "routing_reason",
    "close_reason", "received_at", "registered_at", "routed_at", "due_at", "due_explain", "registration_due_at",
    "transfer_due_at", "interim_answered_at", "answered_at", "published_at", "closed_at", "reopened_count", "version",
    "created_at",
)


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def story(world) -> list[PastStep]:
    """Moderation, routing by the rules, an executor, an interim answer, an answer returned once,
    published, rated 2 (reopened), answered again and rated 5."""
    op, ex = world.operator, world.executor
    return [
        PastStep("take_to_moderation", at(0)),
        PastStep("route", at(1), op, reason="Житель звонил повторно"),
        PastStep("assign", at(3), world.coordinator, executor=ex),
        PastStep("interim_answer", at(5), ex, text="Обращение принято, выезд бригады запланирован."),
        PastStep("prepare_answer", at(30), ex, text="Будет рассмотрено в рамках имеющихся средств."),
        PastStep("return_answer", at(31), op, reason="Укажите срок работ"),
        PastStep("prepare_answer", at(50), ex, text="Яма заделана 05.11.2025, покрытие восстановлено."),
        PastStep("approve_answer", at(51), op, reason="Срок и работа названы, ответ короткий, но полный"),
        PastStep("publish_answer", at(52), op),
        PastStep("reopen", at(70), score=2, reason="Яма снова появилась"),
        PastStep("prepare_answer", at(120), ex, text="Повторно отремонтировано 10.11.2025 картой."),
        PastStep("approve_answer", at(121), op, reason="Повторный ремонт подтверждён выездом"),
        PastStep("publish_answer", at(122), op),
        PastStep("rate_satisfied", at(140), score=5),
    ]


def through_services(world) -> Appeal:
    with clock.at(at(0)):
        a = services.create_appeal(
            services.NewAppeal(channel=Channel.WIDGET, text=TEXT, category_code="pothole", territory_code="district", received_at=at(0))
        )
    calls = {
        "route": lambda s: services.route_appeal(a.pk, s.actor, reason=s.reason),
        "assign": lambda s: services.assign_executor(a.pk, s.actor, executor_id=s.executor.pk),
        "interim_answer": lambda s: answers.give_interim_answer(a.pk, s.actor, text=s.text),
        "prepare_answer": lambda s: answers.prepare_answer(a.pk, s.actor, text=s.text),
        "return_answer": lambda s: answers.return_answer(a.pk, s.actor, note=s.reason),
        "approve_answer": lambda s: answers.approve_answer(a.pk, s.actor, note=s.reason),
        "publish_answer": lambda s: answers.publish_answer(a.pk, s.actor),
        "reopen": lambda s: answers.rate_appeal(a.pk, None, score=s.score, comment=s.reason),
        "rate_satisfied": lambda s: answers.rate_appeal(a.pk, None, score=s.score, comment=s.reason),
    }
    for s in story(world)[1:]:  # the intake follow-up took it to moderation on commit
        with clock.at(s.at):
            calls[s.name](s)
    return Appeal.objects.get(pk=a.pk)


def recorded(world, steps=None, **overrides) -> Appeal:
    item = PastAppeal(
        key="h1", channel=Channel.WIDGET, text=TEXT, category_code="pothole", territory_code="district", received_at=at(0),
        steps=story(world) if steps is None else steps,
    )
    for name, value in overrides.items():
        setattr(item, name, value)
    assert record_history([item]) == 1
    return Appeal.objects.order_by("-pk").first()


def events(a: Appeal) -> list[tuple]:
    return [
        (e.kind, e.at, e.from_status, e.to_status, e.actor_id, e.actor_label, e.reason, sorted(e.data))
        for e in Event.objects.filter(appeal=a).order_by("at", "pk")
    ]


def test_it_leaves_an_appeal_field_by_field_as_the_services_do(world):
    expected = through_services(world)
    got = recorded(world)
    assert got.pk != expected.pk
    for name in FIELDS:
        assert getattr(got, name) == getattr(expected, name), name
    assert got.search_text == expected.search_text.replace(expected.number.casefold(), got.number.casefold())
    # The year's next number (on PostgreSQL from its sequence, which a committed test may have advanced).
    assert got.number == f"2025-{int(expected.number.split('-')[1]) + 1:06d}"
    assert events(got) == events(expected)
    answers_of = lambda a: [  # noqa: E731
        (x.kind, x.text, x.author_id, x.created_at, x.check_state, x.checked_by_id, x.checked_at, x.check_note, x.published_at,
         x.formal_findings, x.organisation_name)
        for x in Answer.objects.filter(appeal=a).order_by("created_at", "pk")
    ]
    assert answers_of(got) == answers_of(expected)
    ratings_of = lambda a: [(r.score, r.comment, r.created_at, r.answer.text) for r in Rating.objects.filter(appeal=a).order_by("pk")]  # noqa: E731
    assert ratings_of(got) == ratings_of(expected)


def test_it_gives_each_transition_its_event_with_statuses_and_moments(world):
    got = recorded(world)
    log = list(Event.objects.filter(appeal=got).order_by("at", "pk"))
    assert [e.kind for e in log] == ["created"] + [s.name for s in story(world)]
    assert [e.at for e in log] == [at(0)] + [s.at for s in story(world)]
    assert [(e.from_status, e.to_status) for e in log[:3]] == [("", "received"), ("received", "moderation"), ("moderation", "routed")]
    assert log[-1].to_status == Status.CLOSED and got.status == Status.CLOSED and got.reopened_count == 1
    published = [e for e in log if e.kind == "publish_answer"]
    assert [Answer.objects.get(pk=e.data["answer"]).published_at for e in published] == [at(52), at(122)]
    rating = Rating.objects.get(pk=log[-1].data["rating"])
    assert rating.score == 5 and rating.answer.text.startswith("Повторно")


def test_it_refuses_an_impossible_story_whole(world):
    good = PastAppeal(key="good", channel=Channel.WIDGET, text=TEXT, received_at=at(0), steps=[PastStep("take_to_moderation", at(0))])
    bad = PastAppeal(
        key="bad-7", channel=Channel.WIDGET, text=TEXT, category_code="pothole", territory_code="district", received_at=at(0),
        steps=[PastStep("take_to_moderation", at(0)), PastStep("publish_answer", at(2), world.operator)],
    )
    with pytest.raises(ValidationFailed) as caught:
        record_history([good, bad])
    assert "«bad-7»" in caught.value.message and "шаг 2 «publish_answer»" in caught.value.message
    assert not Appeal.objects.exists() and not Event.objects.exists()
    assert not Counter.objects.filter(value__gt=0).exists()


@pytest.mark.parametrize(
    ("steps", "says"),
    [
        ([PastStep("route", at(1))], "раньше предыдущего"),
        ([PastStep("take_to_moderation", at(2)), PastStep("rate_satisfied", at(3), score=5)], "невозможно"),
        ([PastStep("take_to_moderation", at(2)), PastStep("route", at(3), organisation="nobody")], "не найдена"),
        ([PastStep("take_to_moderation", at(2)), PastStep("reclassify", at(3))], "не поддерживает"),
        ([PastStep("take_to_moderation", at(2)), PastStep("route", at(3)), PastStep("assign", at(4), executor=None)], "сотрудником"),
    ],
)
def test_it_names_why_a_story_is_refused(world, steps, says):
    item = PastAppeal(key="x", channel=Channel.WIDGET, text=TEXT, received_at=at(2), steps=steps)
    with pytest.raises(ValidationFailed) as caught:
        record_history([item])
    assert says in caught.value.message
    assert not Appeal.objects.exists()


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"channel": "pigeon"}, "неизвестный канал"),
        ({"category_code": "nope"}, "нет в классификаторе"),
        ({"territory_code": "atlantis"}, "нет в справочнике"),
        ({"lat": 54.5}, "обе координаты"),
        ({"lat": 154.5, "lon": 36.2}, "вне допустимого"),
        ({"text": "  "}, "пустой текст"),
        ({"received_at": dt.datetime(2025, 11, 3, 9, 0)}, "часовым поясом"),
    ],
)
def test_it_refuses_an_appeal_creation_would_refuse(world, fields, says):
    item = PastAppeal(key="bad", channel=Channel.WIDGET, text=TEXT, received_at=at(0))
    for name, value in fields.items():
        setattr(item, name, value)
    with pytest.raises(ValidationFailed, match=says):
        record_history([item])
    assert not Appeal.objects.exists()


def test_it_joins_duplicates_to_a_lead_of_the_same_call_and_of_an_earlier_batch(world):
    op = world.operator

    def item(key: str, hours: float, steps) -> PastAppeal:
        return PastAppeal(
            key=key, channel=Channel.WIDGET, text=TEXT, category_code="pothole", territory_code="district", received_at=at(hours),
            steps=[PastStep("take_to_moderation", at(hours)), *steps],
        )

    lead = item("lead", 0, [PastStep("route", at(1), op)])
    first = item("m1", 2, [PastStep("join_problem", at(3), op, lead="lead")])
    second = item("m2", 4, [PastStep("join_problem", at(5), op, lead="lead")])
    record_history([lead, first, second], batch=2)
    lead_appeal = Appeal.objects.get(received_at=at(0))
    problem = Problem.objects.get()
    assert problem.lead_id == lead_appeal.pk and lead_appeal.problem_id == problem.pk
    members = Appeal.objects.filter(status=Status.JOINED)
    assert members.count() == 2 and {m.problem_id for m in members} == {problem.pk}
    assert {m.organisation_id for m in members} == {world.roads_ministry.pk}
    led = Event.objects.filter(appeal=lead_appeal, kind="problem_led")
    assert led.count() == 1 and led.get().data == {"problem": problem.pk}
    join = Event.objects.get(appeal=members.get(received_at=at(2)), kind="join_problem")
    assert join.data == {"lead": lead_appeal.number, "problem": problem.pk}


def test_it_refuses_joining_a_problem_already_closed(world):
    op, ex = world.operator, world.executor
    lead = PastAppeal(
        key="lead", channel=Channel.WIDGET, text=TEXT, category_code="pothole", territory_code="district", received_at=at(0),
        steps=[PastStep("take_to_moderation", at(0)), PastStep("reject", at(1), op, rejection="spam")],
    )
    late = PastAppeal(
        key="late", channel=Channel.WIDGET, text=TEXT, received_at=at(2),
        steps=[PastStep("take_to_moderation", at(2)), PastStep("join_problem", at(3), op, lead="lead")],
    )
    with pytest.raises(ValidationFailed, match="не открыта"):
        record_history([lead, late])
    assert ex is not None and not Appeal.objects.exists()


def test_it_keeps_the_batches_written_before_a_refused_one(world):
    def item(key: str, steps) -> PastAppeal:
        return PastAppeal(key=key, channel=Channel.WIDGET, text=TEXT, received_at=at(0), steps=steps)

    fine = [item(f"ok-{n}", [PastStep("take_to_moderation", at(0))]) for n in range(3)]
    broken = item("broken", [PastStep("take_to_moderation", at(0)), PastStep("approve_answer", at(1), world.operator)])
    done: list[int] = []
    with pytest.raises(ValidationFailed, match="«broken»"):
        record_history([*fine, broken], batch=2, progress=done.append)
    assert done == [2] and Appeal.objects.count() == 2
    assert set(Appeal.objects.values_list("status", flat=True)) == {Status.MODERATION}


def test_it_gives_an_appeal_never_routed_the_due_dates_of_its_creation(world):
    with clock.at(at(0)):
        a = services.create_appeal(
            services.NewAppeal(channel=Channel.OPERATOR, text=TEXT, category_code="snow", territory_code="city", received_at=at(0))
        )
    with clock.at(at(2)):
        services.reject_appeal(a.pk, world.operator, reason_code="no_content")
    expected = Appeal.objects.get(pk=a.pk)
    got = recorded(
        world, steps=[PastStep("take_to_moderation", at(0)), PastStep("reject", at(2), world.operator, rejection="no_content")],
        channel=Channel.OPERATOR, category_code="snow", territory_code="city",
    )
    for name in ("status", "regime", "urgency", "due_at", "due_explain", "registration_due_at", "transfer_due_at", "closed_at", "version"):
        assert getattr(got, name) == getattr(expected, name), name
    assert expected.due_at is not None
