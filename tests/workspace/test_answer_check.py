"""The formal-reply check on the card: live under the executor's text, and in the way of a
one-click approval of a flagged answer."""

from __future__ import annotations

import re

from django.urls import reverse

from tests.answers.helpers import CLEAN, FLAGGED, in_progress, prepared
from tsur.answers import services as answers
from tsur.answers.models import Answer, AnswerTemplate
from tsur.appeals.models import Status


def check(desk, appeal, text: str, prefix: str = "prepare_answer"):
    url = reverse("workspace:answer_check", args=[appeal.number]) + f"?for={prefix}"
    return desk.client.post(url, {f"{prefix}-text": text}, HTTP_HX_REQUEST="true")


def test_it_shows_the_findings_as_the_executor_types(desk, world):
    a = in_progress(world)
    body = check(desk.as_(world.executor), a, "Информация принята к сведению.").content.decode()
    assert 'data-testid="live-findings"' in body and "«принято к сведению» без действий" in body
    assert "нет ни срока, ни выполненной работы" in body
    ok = check(desk, a, CLEAN).content.decode()
    assert "live-findings" not in ok and "Признаков формальной отписки не найдено" in ok
    assert check(desk, a, "   ").content.decode().strip() == ""


def test_it_checks_an_interim_answer_too(desk, world):
    a = in_progress(world)
    body = check(desk.as_(world.executor), a, "Вопрос будет рассмотрен в перспективе.", prefix="interim_answer").content.decode()
    assert "решение «в перспективе»" in body


def test_it_checks_only_for_those_who_may_answer_this_appeal(desk, world):
    a = in_progress(world)
    assert check(desk.as_(world.analyst), a, FLAGGED).status_code == 404  # sees the appeal, may not answer
    assert check(desk.as_(world.city_executor), a, FLAGGED).status_code == 404  # another organisation
    assert check(desk.as_(world.executor), a, FLAGGED, prefix="approve_answer").status_code == 404
    assert desk.client.get(reverse("workspace:answer_check", args=[a.number]) + "?for=prepare_answer").status_code == 405


def test_it_wires_the_textarea_to_the_live_check(desk, world):
    a = in_progress(world)
    body = desk.as_(world.executor).card(a).content.decode()
    textarea = re.search(r'<textarea name="prepare_answer-text"[^>]*>', body).group(0)
    assert reverse("workspace:answer_check", args=[a.number]) in textarea and "delay:" in textarea
    assert 'hx-params="prepare_answer-text"' in textarea  # never the chosen files
    assert 'id="answer-check-prepare_answer"' in body


def test_it_runs_the_check_at_once_on_a_template_put_into_the_text(desk, world):
    AnswerTemplate.objects.create(code="plan", name="План", text="По {number}: включено в план на [год] год.")
    a = in_progress(world)
    url = reverse("workspace:answer_template", args=[a.number])
    body = desk.as_(world.executor).client.get(url, {"for": "prepare_answer", "prepare_answer-template": "plan"}).content.decode()
    assert 'hx-trigger="load, input changed' in body and "[год]" in body


def decision_rows(body: str) -> list[str]:
    return re.findall(r'data-action="(approve_answer|return_answer)"', body)


def test_it_puts_return_first_and_open_when_the_answer_is_flagged(desk, world):
    a = prepared(world, text=FLAGGED)
    body = desk.as_(world.operator).card(a).content.decode()
    assert decision_rows(body) == ["return_answer", "approve_answer"]
    findings = body.index('data-testid="decision-findings"')
    assert findings < body.index('data-action="return_answer"')  # right above the decision
    assert re.search(r'<details class="action action-primary" open data-action="return_answer"', body)
    assert re.search(r'<details class="action"\s+data-action="approve_answer"', body)  # folded
    assert "Почему ответ годится, несмотря на признаки отписки" in body and "Одобрить с обоснованием" in body


def test_it_keeps_approve_one_click_for_a_clean_answer(desk, world):
    a = prepared(world, text=CLEAN)
    body = desk.as_(world.operator).card(a).content.decode()
    assert decision_rows(body) == ["approve_answer", "return_answer"]
    assert "decision-findings" not in body
    assert re.search(r'<details class="action action-primary" open data-action="approve_answer"', body)
    desk.act(a, "approve_answer", {"note": ""})
    assert answers.current_answer(a).check_state == Answer.Check.APPROVED


def test_it_refuses_a_flagged_approval_without_a_reason_on_the_card(desk, world):
    a = prepared(world, text=FLAGGED)
    response = desk.as_(world.operator).act(a, "approve_answer", {"note": ""}, htmx=True)
    assert response.status_code == 422
    body = response.content.decode()
    assert "обоснуйте одобрение" in body
    assert re.search(r'<details class="action"\s+open data-action="approve_answer"', body)  # the form stays open
    a.refresh_from_db()
    assert a.status == Status.ANSWER_PREPARED
    desk.act(a, "approve_answer", {"note": "Работы не требуются: житель просил только сообщить"})
    a.refresh_from_db()
    assert a.status == Status.ANSWER_CHECKED
    body = desk.card(a).content.decode()
    assert "Работы не требуются: житель просил только сообщить" in body
