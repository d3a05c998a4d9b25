"""An answer the formal-reply check flagged («отписка») is approved only with a stated reason."""

from __future__ import annotations

import pytest

from tests.answers.helpers import CLEAN, FLAGGED, in_progress, prepared
from tsur.answers import services as answers
from tsur.answers.models import Answer, AnswerTemplate
from tsur.appeals.models import Event, Status
from tsur.core.errors import ValidationFailed


def test_it_refuses_to_approve_a_flagged_answer_without_a_reason(world):
    a = prepared(world, text=FLAGGED)
    with pytest.raises(ValidationFailed) as exc:
        answers.approve_answer(a, world.operator, note="  ")
    assert "отписк" in exc.value.message and "note" in exc.value.field_errors
    a.refresh_from_db()
    assert a.status == Status.ANSWER_PREPARED
    assert answers.current_answer(a).check_state == Answer.Check.PENDING
    assert not Event.objects.filter(appeal=a, kind="approve_answer").exists()


def test_it_keeps_the_reason_on_the_answer_and_in_the_event(world):
    a = prepared(world, text=FLAGGED)
    findings = len(answers.current_answer(a).formal_findings)
    reason = "Житель просил только зарегистрировать сообщение, работы не требуются"
    answer = answers.approve_answer(a, world.operator, note=reason)
    assert answer.check_state == Answer.Check.APPROVED and answer.check_note == reason
    event = Event.objects.get(appeal=a, kind="approve_answer")
    assert event.reason == reason
    assert event.data == {"answer": answer.pk, "overruled_findings": findings}


def test_it_approves_a_clean_answer_with_one_click(world):
    a = prepared(world, text=CLEAN)
    assert answers.current_answer(a).formal_findings == []
    answer = answers.approve_answer(a, world.operator)
    assert answer.check_state == Answer.Check.APPROVED
    assert Event.objects.get(appeal=a, kind="approve_answer").data == {"answer": answer.pk}


def test_it_returns_a_flagged_answer_without_asking_more_than_what_to_fix(world):
    a = prepared(world, text=FLAGGED)
    answers.return_answer(a, world.operator, note="Укажите срок и что будет сделано")
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS


def _planned_template() -> None:
    AnswerTemplate.objects.create(code="planned", name="Включено в план работ", text="Работы включены в план на [год] год, срок — до [ДД.ММ.ГГГГ].")


def test_it_refuses_an_answer_with_the_templates_fields_left_unfilled(world):
    _planned_template()
    a = in_progress(world)
    with pytest.raises(ValidationFailed) as exc:
        answers.prepare_answer(a, world.executor, text="Работы включены в план на [год] год, срок — до [ДД.ММ.ГГГГ].")
    assert "[год]" in exc.value.message and "[ДД.ММ.ГГГГ]" in exc.value.message
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS and not a.answers.exists()


def test_it_keeps_brackets_of_the_answers_own_that_no_template_has(world):
    # An imported or replayed answer may hold brackets of its own; only our templates' fields stop it.
    _planned_template()
    a = in_progress(world)
    answer = answers.prepare_answer(a, world.executor, text="Яма у дома [ул. Ленина, 5] заделана 12.05.2025.")
    assert answer.text.startswith("Яма у дома [ул. Ленина, 5]")
