"""The resident's cabinet: residents land there after the login, see only their own appeals and
open each one's status page; staff are sent to the workspace."""

from __future__ import annotations

from tests.factories import new_appeal
from tests.intake.helpers import form_token
from tsur.answers import services as answers
from tsur.appeals import services
from tsur.appeals.models import Appeal


def test_it_sends_a_resident_from_the_login_to_the_cabinet(world, client):
    response = client.post("/accounts/login/", {"username": "resident", "password": "pass-12345"}, follow=True)
    assert response.redirect_chain[-1][0] == "/cabinet/"
    html = response.content.decode()
    assert response.status_code == 200 and "Мои обращения" in html and "Нет доступа" not in html


def test_it_sends_a_resident_from_any_workspace_page_to_the_cabinet(world, client):
    client.force_login(world.resident)
    for url in ("/workspace/", "/workspace/appeals/2026-000001/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/cabinet/"


def test_it_lists_only_the_residents_own_appeals(world, client):
    mine = new_appeal(world, user=world.resident)
    theirs = new_appeal(world, user=world.other_resident, text="Не вывозят мусор во дворе уже неделю", category_code="garbage")
    anonymous = new_appeal(world)
    client.force_login(world.resident)
    response = client.get("/cabinet/")
    html = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert mine.number in html and f"/status/{mine.number}/{mine.access_key}/" in html
    assert "Ямы на дороге" in html and "На модерации" in html
    for other in (theirs, anonymous):
        assert other.number not in html and other.access_key not in html


def test_it_flags_an_open_question_and_an_answer_awaiting_the_rating(world, client):
    asked = new_appeal(world, user=world.resident)
    services.route_appeal(asked, world.operator)
    services.request_clarification(asked, world.operator, question="Какой номер дома?")
    answered = new_appeal(world, user=world.resident)
    services.route_appeal(answered, world.operator)
    services.assign_executor(answered, world.coordinator, executor_id=world.executor.pk)
    answers.prepare_answer(answered, world.executor, text="Яма заделана 12.05.2026 подрядчиком, участок проверен выездом инженера.")
    answers.approve_answer(answered, world.operator, note="Работы подтверждены фотографиями подрядчика.")
    answers.publish_answer(answered, world.operator)
    client.force_login(world.resident)
    html = client.get("/cabinet/").content.decode()
    assert "Ждут вашего ответа: 2" in html
    assert "Нужно уточнение: ответьте на вопрос" in html and "Ответ ждёт вашей оценки" in html
    assert "срок ответа — до" in html


def test_the_status_page_leads_back_to_the_cabinet_for_its_owner_only(world, client):
    mine = new_appeal(world, user=world.resident)
    url = f"/status/{mine.number}/{mine.access_key}/"
    client.force_login(world.resident)
    assert "← Мои обращения" in client.get(url).content.decode()
    client.force_login(world.other_resident)
    assert "← Мои обращения" not in client.get(url).content.decode()


def test_it_sends_staff_to_the_workspace_and_strangers_to_the_login(world, client):
    assert client.get("/cabinet/")["Location"].startswith("/accounts/login/?next=/cabinet/")
    client.force_login(world.operator)
    assert client.get("/cabinet/")["Location"] == "/workspace/"
    client.force_login(world.outsider)
    assert client.get("/cabinet/")["Location"] == "/accounts/login/"


def test_another_residents_appeal_is_not_found_through_the_api(world, client):
    theirs = new_appeal(world, user=world.other_resident)
    client.force_login(world.resident)
    assert client.get(f"/api/my/appeals/{theirs.number}").status_code == 404


def test_the_login_page_speaks_to_residents_coming_to_the_cabinet(world, client):
    page = client.get("/accounts/login/", {"next": "/cabinet/"}).content.decode()
    assert "Личный кабинет жителя" in page and "Рабочее место сотрудника" not in page
    assert "Рабочее место сотрудника" in client.get("/accounts/login/").content.decode()


def test_a_signed_in_resident_writes_through_the_widget_and_finds_the_appeal_in_the_cabinet(world, client):
    world.resident.email, world.resident.last_name = "resident@example.org", "Сидорова"
    world.resident.save()
    client.force_login(world.resident)
    form = client.get("/widget/").content.decode()
    assert 'value="resident@example.org"' in form and "Сидорова" in form  # prefilled from the account
    response = client.post(
        "/widget/",
        {
            "form_token": form_token(client),
            "text": "Во дворе не горит фонарь уже неделю",
            "category": "pothole",
            "territory": "district",
            "email": "resident@example.org",
            "consent": "1",
        },
    )
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.resident.user == world.resident
    assert appeal.number in client.get("/cabinet/").content.decode()
    client.logout()
    assert "resident@example.org" not in client.get("/widget/").content.decode()


def test_it_opens_the_residents_own_appeal_by_number_and_hides_anothers(world, client):
    mine = new_appeal(world, user=world.resident)
    theirs = new_appeal(world, user=world.other_resident)
    client.force_login(world.resident)
    response = client.get(f"/cabinet/{mine.number}/")
    assert response.status_code == 302 and response["Location"] == f"/status/{mine.number}/{mine.access_key}/"
    for number in (theirs.number, "2026-999999"):
        missing = client.get(f"/cabinet/{number}/")
        assert missing.status_code == 404 and "Обращение не найдено" in missing.content.decode()
        assert theirs.access_key not in missing.content.decode()
    client.force_login(world.operator)
    assert client.get(f"/cabinet/{mine.number}/")["Location"] == "/workspace/"
