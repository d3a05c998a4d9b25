"""Analysts see no personal data anywhere: not in the appeal text, the answers, the notes of the
card (full page and HTMX), the queue, the search, the API — nor in the exports. Operators see it
and find appeals by it. The sample plants names, phones and e-mails in every common shape."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from tests import pd_samples
from tests.factories import new_appeal
from tests.workspace.helpers import numbers
from tsur.accounts.models import ApiToken, Scope
from tsur.answers import services as answers
from tsur.appeals import services
from tsur.appeals.models import Appeal
from tsur.triage.models import Correction


@pytest.fixture
def answered(world) -> Appeal:
    """The planted appeal, routed, answered by name, approved and published; a rating with a phone."""
    appeal = new_appeal(world, text=pd_samples.TEXT, **pd_samples.RESIDENT)
    services.route_appeal(appeal.pk, world.operator, reason="Звонил Сидоров, тел. 910-777-88-99")
    services.accept_appeal(appeal.pk, world.coordinator)
    answers.prepare_answer(appeal.pk, world.coordinator, text=pd_samples.ANSWER)
    answers.approve_answer(appeal.pk, world.operator, note="Пётр Ильич просил ответить письмом")
    answers.publish_answer(appeal.pk, world.operator)
    answers.rate_appeal(appeal.pk, None, score=2, comment="Не вывезли. Сидоров, 9104445566")
    return Appeal.objects.get(pk=appeal.pk)


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_it_masks_the_card_for_the_analyst(desk, world, answered):
    desk.as_(world.analyst)
    for html in (page(desk.card(answered)), page(desk.card(answered, HTTP_HX_REQUEST="true"))):
        assert pd_samples.leaks(html) == []
        assert all(kept in html for kept in pd_samples.KEPT)
        assert "[телефон]" in html and "[ФИО]" in html and "[email]" in html


def test_it_shows_the_operator_what_the_resident_wrote(desk, world, answered):
    html = page(desk.as_(world.operator).card(answered))
    assert "9104445566" in html and "Сидоров Пётр Ильич" in html


def test_it_masks_the_queue_for_the_analyst(desk, world, answered):
    html = page(desk.as_(world.analyst).queue(status="all"))
    assert answered.number in html and pd_samples.leaks(html) == []


@pytest.mark.parametrize("needle", ["9104445566", "910-777", "Сидоров", "ivan.petrov", "petr.sidorov@example.org"])
def test_it_never_finds_an_appeal_by_personal_data_for_the_analyst(desk, world, answered, needle):
    assert numbers(desk.as_(world.analyst).queue(status="all", q=needle)) == set()
    assert numbers(desk.as_(world.operator).queue(status="all", q=needle)) == {answered.number}


def test_it_finds_by_the_substance_for_everyone(desk, world, answered):
    for user in (world.analyst, world.operator):
        assert numbers(desk.as_(user).queue(status="all", q="вывозят мусор")) == {answered.number}


def test_it_masks_the_api_for_the_analyst(client, world, answered):
    _token, key = ApiToken.issue(world.analyst, "аналитика", scopes=[Scope.STAFF_READ])
    headers = {"Authorization": f"Bearer {key}"}
    card = client.get(f"/api/appeals/{answered.number}", headers=headers)
    listing = client.get("/api/appeals", {"q": "мусор"}, headers=headers)
    by_phone = client.get("/api/appeals", {"q": "9104445566"}, headers=headers)
    assert card.status_code == listing.status_code == by_phone.status_code == 200
    assert pd_samples.leaks(card.content.decode("unicode_escape")) == []
    assert pd_samples.leaks(card.content.decode()) == []
    assert [r["number"] for r in listing.json()["results"]] == [answered.number]
    assert pd_samples.leaks(listing.content.decode()) == []
    assert by_phone.json()["count"] == 0


def test_it_exports_training_rows_without_personal_data(world, answered, tmp_path):
    from tsur.triage.services import routing_history

    rows = list(routing_history())
    assert [r[0] for r in rows] == [answered.text_masked] and pd_samples.leaks(rows[0][0]) == []

    Correction.objects.create(appeal=answered, field=Correction.Field.CATEGORY, predicted="pothole", corrected="garbage")
    call_command("triage_corrections", out=str(tmp_path / "corrections.jsonl"), stderr=io.StringIO())
    exported = [json.loads(line) for line in (tmp_path / "corrections.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(exported) == 1 and pd_samples.leaks(json.dumps(exported, ensure_ascii=False)) == []
