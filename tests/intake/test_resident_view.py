"""The resident's status page and the API tell the same history, from one presenter, and both
hide the center's internal steps: an answer approved or returned by the check, a reclassification,
reminders, personal-data views."""

from __future__ import annotations

from tests.factories import new_appeal
from tsur.answers import services as answers
from tsur.appeals import services
from tsur.appeals.models import Appeal
from tsur.intake import resident_view

INTERNAL = ("approve_answer", "return_answer", "reclassify", "personal_data_viewed", "change_urgency")


def test_the_page_and_the_api_show_the_same_history_without_internal_steps(client, world):
    appeal = new_appeal(world)
    services.reclassify(appeal.pk, world.operator, category_code="snow", reason="это снег")
    services.route_appeal(appeal.pk, world.operator)
    services.accept_appeal(appeal.pk, world.coordinator)
    answers.prepare_answer(appeal.pk, world.coordinator, text="Разберёмся")
    answers.return_answer(appeal.pk, world.operator, note="Нет сроков и доказательств")
    answers.prepare_answer(appeal.pk, world.coordinator, text="Снег убран 12.05.2025, фото в приложении")
    answers.approve_answer(appeal.pk, world.operator)
    answers.publish_answer(appeal.pk, world.operator)
    appeal = Appeal.objects.get(pk=appeal.pk)
    assert set(INTERNAL[:3]) <= set(appeal.events.values_list("kind", flat=True))

    shown = resident_view.history(appeal)
    assert not {e.kind for e in shown} & set(INTERNAL)
    api = client.get(f"/api/public/appeals/{appeal.number}", {"key": appeal.access_key}).json()
    assert [(h["kind"], h["title"], h["note"]) for h in api["history"]] == [(e.kind, e.title, e.note) for e in shown]
    page = client.get(f"/status/{appeal.number}/{appeal.access_key}/").content.decode()
    for e in shown:
        assert e.text in page
    for hidden in ("Ответ проверен Центром", "на доработку", "Уточнена тема", "Нет сроков и доказательств"):
        assert hidden not in page and hidden not in str(api)
