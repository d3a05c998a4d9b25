"""A real browser walks an appeal through the workspace: operator → coordinator → executor →
operator → resident → operator, with HTMX doing the partial updates."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone

from tests.browser.conftest import htmx_settled, login
from tests.factories import new_appeal
from tsur.answers.models import AnswerTemplate
from tsur.appeals import services
from tsur.appeals.models import Appeal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def expect():
    from playwright.sync_api import expect as _expect

    return _expect


def logout(page) -> None:
    page.click("form.logout-form button[type=submit]")
    page.wait_for_url("**/accounts/login/**")


def open_card(page, live_server, number: str) -> None:
    page.goto(f"{live_server.url}/workspace/appeals/{number}/")
    expect()(page.locator("h1")).to_contain_text(number)


def status_is(page, label: str) -> None:
    expect()(page.locator("[data-testid=status]")).to_have_text(label)


def some_more_appeals(world) -> None:
    """A believable queue around the appeal under test, for the screenshots."""
    now = timezone.now()
    late = new_appeal(world, text="Не вывозят мусор с контейнерной площадки третью неделю", category_code="garbage",
                      territory_code="village", address="с. Никольское, ул. Садовая")
    services.route_appeal(late, world.operator)
    Appeal.objects.filter(pk=late.pk).update(due_at=now - dt.timedelta(hours=5))
    soon = new_appeal(world, text="Сугробы на проезжей части, машины застревают", category_code="snow", territory_code="city",
                      address="ул. Кирова, 12")
    Appeal.objects.filter(pk=soon.pk).update(due_at=now + dt.timedelta(hours=6))
    new_appeal(world, text="В квартирах холодно, батареи еле тёплые", category_code="heating", territory_code="city",
               channel="vk", external_id="vk-post-1", address="пр. Ленина, 40")
    new_appeal(world, text="Разбита дорога к садовому товариществу, ямы по колено", territory_code="district")


def test_it_walks_an_appeal_from_the_queue_to_closing(page, live_server, world):
    console_errors: list[str] = []
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    AnswerTemplate.objects.create(
        code="final-roads-repair", name="Дороги: ямочный ремонт выполнен", block=world.roads,
        text="По обращению № {number}: ямочный ремонт покрытия по адресу {address} выполнен 12.05.2025, участок принят по акту.",
    )
    some_more_appeals(world)
    a = new_appeal(world, text="Огромная выбоина на Тестовой улице напротив дома 7", address="ул. Тестовая, 7", lat=53.5, lon=35.5)
    number = a.number

    # The operator finds it in the queue by a case-insensitive search (HTMX updates the table and the URL).
    login(page, live_server, "operator")
    assert page.url.endswith("/workspace/")
    expect()(page.locator("#queue-results tbody tr")).to_have_count(5)
    page.screenshot(path=str(SCREENSHOTS / "workspace-queue.png"), full_page=True)
    page.fill("#id_q", "ВЫБОИНА тестовой")
    page.wait_for_url(re.compile(r"q=%D0%92%D0%AB%D0%91%D0%9E%D0%98%D0%9D%D0%90|q=ВЫБОИНА"))
    expect()(page.locator("#queue-results tbody tr")).to_have_count(1)
    assert "block=" not in page.url  # empty filters are left out of the pushed URL
    expect()(page.locator(f"tr[data-number='{number}']")).to_be_visible()
    page.click(f"tr[data-number='{number}'] a.appeal-link")
    expect()(page.locator("h1")).to_contain_text(number)
    expect()(page.locator("[data-testid=personal-data]")).to_contain_text("Иван Петров")

    # Route by the rules.
    page.click("details[data-action=route] button[type=submit]")
    status_is(page, "Направлено в организацию")
    expect()(page.locator("[data-testid=organisation]")).to_have_text("Министерство дорог")
    expect()(page.locator(".flash")).to_contain_text("направлено: Миндор")
    expect()(page.locator(".appeal-map .leaflet-interactive").first).to_be_attached()  # the map has drawn
    page.screenshot(path=str(SCREENSHOTS / "workspace-card.png"), full_page=True)
    logout(page)

    # The coordinator assigns the executor.
    login(page, live_server, "coordinator")
    open_card(page, live_server, number)
    page.select_option("#id_assign-executor", str(world.executor.pk))
    page.click("details[data-action=assign] button[type=submit]")
    status_is(page, "В работе")
    expect()(page.locator("[data-testid=executor]")).to_have_text("Executor")
    logout(page)

    # The executor finds it under «Мои обращения», gives an interim answer, prepares the answer from a template.
    login(page, live_server, "executor")
    page.click("nav.sidenav >> text=Мои обращения")
    page.click(f"tr[data-number='{number}'] a.appeal-link")
    expect()(page.locator("h1")).to_contain_text(number)
    page.click("details[data-action=interim_answer] > summary")
    page.fill("#id_interim_answer-text", "Заявка передана подрядчику, выезд бригады запланирован на эту неделю.")
    # The card comes back as a new HTMX swap: its template select fills the text only once HTMX has
    # wired the new HTML up, so wait for that before choosing a template.
    with htmx_settled(page):
        page.click("details[data-action=interim_answer] button[type=submit]")
    expect()(page.locator(".flash")).to_contain_text("Промежуточный ответ отправлен")
    expect()(page.locator("[data-testid=answer]")).to_have_count(1)
    page.select_option("#id_prepare_answer-template", "final-roads-repair")
    expect()(page.locator("#id_prepare_answer-text")).to_have_value(re.compile(rf"По обращению № {number}: ямочный ремонт"))
    page.click("details[data-action=prepare_answer] button[type=submit]")
    status_is(page, "Ответ подготовлен")
    logout(page)

    # The operator approves and publishes.
    login(page, live_server, "operator")
    open_card(page, live_server, number)
    expect()(page.locator(".answer-checking")).to_contain_text("ямочный ремонт")
    with htmx_settled(page):  # the publish form below is in the new card: HTMX must have wired it up
        page.click("details[data-action=approve_answer] button[type=submit]")
    status_is(page, "Ответ проверен ЦУР")
    page.click("details[data-action=publish_answer] button[type=submit]")
    status_is(page, "Ответ опубликован")
    logout(page)

    # The resident rates the answer on the public status page.
    a.refresh_from_db()
    page.goto(f"{live_server.url}/status/{a.number}/{a.access_key}/")
    page.click("label[for=score-5]")
    page.click("form.rating-form button[type=submit]")
    page.wait_for_url(re.compile(r"rated=thanks"))

    # The operator sees the appeal closed, with the whole history.
    login(page, live_server, "operator")
    open_card(page, live_server, number)
    status_is(page, "Закрыто")
    timeline = page.locator("[data-testid=timeline]")
    expect()(timeline).to_contain_text("Закрыто")
    for step in ("Направлено в организацию", "Назначен исполнитель", "Промежуточный ответ", "Ответ подготовлен",
                 "Ответ проверен ЦУР", "Ответ опубликован", "Житель доволен ответом"):
        expect()(timeline).to_contain_text(step)
    page.screenshot(path=str(SCREENSHOTS / "workspace-card-closed.png"), full_page=True)
    assert console_errors == [], console_errors


def test_it_keeps_the_input_and_explains_a_concurrent_change(page, live_server, world):
    a = new_appeal(world)
    login(page, live_server, "operator")
    open_card(page, live_server, a.number)
    page.click("details[data-action=reject] > summary")
    page.select_option("#id_reject-reason", "other")
    page.fill("#id_reject-note", "Дубль звонка на горячую линию")
    services.reclassify(a, world.operator, category_code="snow")  # a colleague, meanwhile
    page.click("details[data-action=reject] button[type=submit]")
    expect()(page.locator("[data-testid=concurrent-notice]")).to_contain_text("Обращение уже изменил другой пользователь")
    expect()(page.locator("#id_reject-note")).to_have_value("Дубль звонка на горячую линию")
    a.refresh_from_db()
    assert a.status == "moderation"
    page.screenshot(path=str(SCREENSHOTS / "workspace-card-conflict.png"), full_page=True)


def test_it_filters_the_queue_in_place_and_keeps_the_browser_history(page, live_server, world):
    some_more_appeals(world)
    login(page, live_server, "operator")
    rows = page.locator("#queue-results tbody tr")
    expect()(rows).to_have_count(4)
    page.click("a.counter-overdue")
    expect()(rows).to_have_count(1)
    expect()(page.locator("#id_overdue")).to_be_checked()
    assert "overdue=on" in page.url
    page.select_option("#id_category", "snow")
    expect()(page.locator("#queue-results .empty")).to_contain_text("не найдено")
    page.go_back()
    expect()(rows).to_have_count(1)
    page.go_back()
    expect()(rows).to_have_count(4)
    page.click("th a.sort >> text=Поступило")
    expect()(page.locator("#id_sort")).to_have_value("-received")
