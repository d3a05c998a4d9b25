"""Internal notes never reach residents: a note planted on an appeal is searched for on every
surface a resident (or the public) reads — the status page, the cabinet, the app's API, Open311
and its public feed, the letters the resident gets."""

from __future__ import annotations

from django.core import mail

from tests.factories import new_appeal
from tests.open311.conftest import BASE
from tsur.accounts.models import ApiToken, Scope
from tsur.answers import services as answers
from tsur.appeals import services
from tsur.appeals.services.notes import add_note

SECRET = "Служебно-секретная-пометка-7731"
GOOD_ANSWER = "Яму заделали 5 марта, бригада уложила асфальт на участке у остановки, фото приложено к отчёту."


def test_it_never_shows_a_note_or_its_event_on_any_resident_surface(world, client):
    appeal = new_appeal(world, user=world.resident)
    services.route_appeal(appeal, world.operator)
    add_note(appeal, world.operator, f"{SECRET} @coordinator посмотрите")
    add_note(appeal, world.coordinator, f"{SECRET} ответ координатора")
    services.accept_appeal(appeal, world.coordinator)
    answers.prepare_answer(appeal.pk, world.coordinator, text=GOOD_ANSWER)
    answers.approve_answer(appeal.pk, world.operator)
    answers.publish_answer(appeal.pk, world.operator)
    appeal.refresh_from_db()

    pages = {"status page": client.get(f"/status/{appeal.number}/{appeal.access_key}/")}
    client.force_login(world.resident)
    pages["cabinet"] = client.get("/cabinet/")
    client.logout()
    _token, raw = ApiToken.issue(world.resident, "приложение", scopes=[Scope.RESIDENT])
    auth = {"Authorization": f"Bearer {raw}"}
    pages["app: my appeals"] = client.get("/api/my/appeals", headers=auth)
    pages["app: my appeal"] = client.get(f"/api/my/appeals/{appeal.number}", headers=auth)
    for fmt in ("json", "xml"):
        pages[f"open311 {fmt}"] = client.get(f"{BASE}/requests/{appeal.number}.{fmt}")
        pages[f"open311 feed {fmt}"] = client.get(f"{BASE}/requests.{fmt}")

    for where, response in pages.items():
        assert response.status_code == 200, where
        body = response.content.decode()
        assert SECRET not in body, where
        assert "note_added" not in body and "Внутренняя заметка" not in body, where
        assert "заметк" not in body.casefold(), where
    assert appeal.number in pages["app: my appeal"].content.decode()  # the surfaces do show the appeal

    letters = [m for m in mail.outbox if world.resident.email in m.to or "ivan@example.org" in m.to]
    assert letters  # the resident was written to (routing, answer)
    for letter in letters:
        assert SECRET not in letter.subject + letter.body
