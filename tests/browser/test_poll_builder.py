"""An operator builds a poll in real Chromium: the list → a new draft (title, territory, end) → two
questions added through the HTMX form (a single choice and a scale, the form showing the parts of
each kind) → reordered → the preview → published (the public link and the embed code appear, the
questions lock) → residents vote → the results with their charts drawn. Screenshots at 1366×768
into /tmp/shots/p2/ (TSUR_SCREENS to change)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone

from tests.browser.conftest import htmx_settled, login
from tsur.polls import services
from tsur.polls.models import Poll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = Path(os.environ.get("TSUR_SCREENS", "/tmp/shots/p2"))


def expect():
    from playwright.sync_api import expect as _expect

    return _expect


def add_question(page, text: str, kind: str, **parts: str) -> None:
    form = page.get_by_test_id("question-add-form")
    form.locator("select[name=kind]").select_option(kind)
    form.locator("input[name=text]").fill(text)
    for name, value in parts.items():
        form.locator(f"[name={name}]").fill(value)
    with htmx_settled(page):
        form.get_by_test_id("question-add").click()


def test_an_operator_builds_publishes_and_reads_a_poll(page, live_server, world):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 1366, "height": 768})
    SCREENS.mkdir(parents=True, exist_ok=True)
    ex = expect()

    login(page, live_server, "operator")
    page.get_by_role("link", name="Опросы").click()
    ex(page.get_by_test_id("poll-list")).to_contain_text("Опросов пока нет")
    page.get_by_test_id("poll-new").click()

    # A refused draft first: the reason in Russian, nothing stored.
    page.get_by_role("button", name="Создать черновик").click()
    ex(page.locator(".field-error").first).to_have_text("Укажите название опроса.")
    assert not Poll.objects.exists()

    page.fill("input[name=title]", "Благоустройство дворов: что сделать первым?")
    page.fill("textarea[name=description]", "Выберите, что важнее всего в вашем дворе в следующем году.")
    ends = timezone.localtime(timezone.now() + dt.timedelta(days=14)).strftime("%Y-%m-%dT%H:%M")
    page.fill("input[name=ends_at]", ends)
    page.locator("select[name=territories]").select_option(label="Район")
    page.get_by_role("button", name="Создать черновик").click()
    ex(page.get_by_test_id("poll-status")).to_have_text("Черновик")

    # The add form shows the options for a choice and the scale's bounds for a scale.
    form = page.get_by_test_id("question-add-form")
    form.locator("select[name=kind]").select_option("scale")
    ex(form.locator("input[name=scale_max]")).to_be_visible()
    ex(form.locator("textarea[name=options]")).to_be_hidden()
    add_question(page, "Как вы оцениваете свой двор сейчас?", "scale", scale_min_label="плохо", scale_max_label="отлично")
    add_question(page, "Что сделать первым?", "single", options="Детская площадка\nОсвещение\nПарковка")
    ex(page.get_by_test_id("question-2")).to_contain_text("Детская площадка")
    # The choice goes first.
    with htmx_settled(page):
        page.get_by_test_id("question-2").get_by_test_id("question-up").click()
    ex(page.get_by_test_id("question-1")).to_contain_text("Что сделать первым?")
    # A bad question is refused in the form, in Russian.
    add_question(page, "Один вариант?", "single", options="Только один")
    ex(page.get_by_test_id("question-add-form")).to_contain_text("Нужно не меньше двух вариантов ответа.")
    page.screenshot(path=str(SCREENS / "poll-builder-draft.png"))

    page.get_by_test_id("poll-preview").click()
    ex(page.get_by_test_id("poll-preview-page")).to_contain_text("Для жителей: Район")
    page.screenshot(path=str(SCREENS / "poll-preview.png"))
    page.go_back()

    page.get_by_test_id("poll-publish").click()
    ex(page.get_by_test_id("poll-status")).to_have_text("Опубликован")
    ex(page.get_by_test_id("questions-locked")).to_contain_text("Вопросы меняются только в черновике")
    poll = Poll.objects.get()
    ex(page.get_by_test_id("poll-public-url")).to_contain_text(f"/polls/{poll.token}/")
    embed = (
        f'<iframe src="{live_server.url}/widget/polls/{poll.token}/" title="Опрос: Благоустройство дворов: что сделать первым?" '
        'style="width:100%;height:900px;border:0" loading="lazy"></iframe>'
    )
    ex(page.get_by_test_id("poll-embed")).to_have_value(embed)
    page.screenshot(path=str(SCREENS / "poll-published.png"))

    # Residents vote (through the services the residents' pages use).
    choice, scale = list(poll.questions.order_by("order"))
    options = list(choice.options.all())
    for i, (user, territory) in enumerate([(world.resident, world.village), (world.other_resident, world.district)]):
        services.cast_vote(poll, services.account_identity(user), territory, {choice.pk: options[i].pk, scale.pk: 4 + i}, channel="widget")

    page.get_by_test_id("poll-results").click()
    ex(page.get_by_test_id("ballots-total")).to_have_text("2")
    ex(page.get_by_test_id("result-2")).to_contain_text("среднее 4,5")
    ex(page.get_by_test_id("territory-table-1")).to_contain_text("Село")
    # ECharts drew the answers and the territories (canvas inside each chart box).
    ex(page.locator("[data-poll-chart] canvas")).to_have_count(4)
    page.screenshot(path=str(SCREENS / "poll-results.png"), full_page=False)
    page.screenshot(path=str(SCREENS / "poll-results-full.png"), full_page=True)

    page.get_by_role("link", name="← К опросу").click()
    page.get_by_role("link", name="← Все опросы").click()
    ex(page.get_by_test_id(f"poll-row-{poll.pk}")).to_contain_text("Опубликован")
    page.screenshot(path=str(SCREENS / "poll-list.png"))
    assert errors == []
