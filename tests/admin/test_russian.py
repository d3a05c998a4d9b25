"""The admin speaks Russian: every changelist and one change form of every registered model, opened
as a superuser, has Russian column headers, filters, actions and field labels, shows event kinds
by their names and times in Moscow time, never ISO or UTC."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.admin.rows import AT, populate

# ASCII words of three letters or more are English (or a key) on a Russian screen. The only ones
# allowed are abbreviations a Russian official writes in Latin letters.
ENGLISH = re.compile(r"[A-Za-z]{3,}")
ALLOWED = {"API", "CSV", "XLSX", "JSON", "GeoJSON", "HTML", "SMS", "Open311", "Telegram"}
# Django's own Russian help under multiple choice lists names the keys: «Удерживайте “Control“
# (или “Command“ на Mac)».
ALLOWED |= {"Control", "Command", "Mac"}
SNAKE_KEY = re.compile(r"^[a-z]+(_[a-z]+)+$")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|[+-]00:00\b|\bUTC\b")

# What an administrator reads as labels: headers, filters and their choices, actions, field
# labels, fieldset and inline titles, help texts, the sections (apps) of the navigation.
LABEL_TAGS = {"th", "label", "h2", "h3", "legend", "summary", "caption"}


class _Labels(HTMLParser):
    """Collects the text of the page's labels and, separately, all visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: list[str] = []
        self.text: list[str] = []
        self.cells: list[str] = []
        self._stack: list[tuple[str, dict]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("br", "img", "input", "meta", "link", "hr"):
            return
        attrs = dict(attrs)
        self._stack.append((tag, attrs))
        if tag in ("script", "style", "textarea"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            open_tag, _ = self._stack.pop()
            if open_tag in ("script", "style", "textarea"):
                self._skip -= 1
            if open_tag == tag:
                break

    def _inside(self, test) -> bool:
        return any(test(tag, attrs) for tag, attrs in self._stack)

    def handle_data(self, data: str) -> None:
        data = data.strip()
        if not data or self._skip:
            return
        self.text.append(data)
        in_cell_of_result = self._inside(lambda t, a: t == "td" or (t == "th" and "field-" in a.get("class", "")))
        # The change form's subtitle and an inline row's title are the object itself (a username,
        # a sensor's code): data.
        subtitle = len(self._stack) >= 2 and self._stack[-1][0] == "h2" and self._stack[-2][1].get("id") == "content"
        inline_title = self._inside(lambda t, a: "inline_label" in a.get("class", "").split())
        # The channel's settings are a JSON object: its help lists the keys the administrator types.
        json_keys = self._inside(lambda t, a: a.get("id") == "id_settings_helptext")
        if in_cell_of_result:
            self.cells.append(data)
        if in_cell_of_result or subtitle or inline_title or json_keys:
            return  # data, not a label (checked for times and stored keys only)
        if (
            self._inside(lambda t, a: t in LABEL_TAGS)
            or self._inside(lambda t, a: t == "select" and a.get("name") == "action")
            or self._inside(lambda t, a: a.get("id") == "changelist-filter")
            or self._inside(lambda t, a: "help" in a.get("class", "").split())
        ):
            self.labels.append(data)


def english_in(texts: list[str]) -> list[str]:
    found = []
    for t in texts:
        # «e-mail», and the placeholders of answer templates ({number}) the administrator types.
        t = re.sub(r"\{[a-z_]+\}", "", t.replace("e-mail", ""))
        found += [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]{2,}", t) if w not in ALLOWED and ENGLISH.search(w)]
    return found


def check(page: str, where: str, data: frozenset[str] = frozenset()) -> list[str]:
    parsed = _Labels()
    parsed.feed(page)
    problems = [f"{where}: label «{w}»" for w in english_in(parsed.labels)]
    problems += [f"{where}: time «{m.group(0)}»" for t in parsed.text for m in [ISO_TIME.search(t)] if m]
    # A stored key shown as it is («take_to_moderation», «interim_answer»).
    problems += [f"{where}: key «{t}»" for t in parsed.cells if SNAKE_KEY.match(t) and t not in data]
    return problems


@pytest.fixture
def superuser(world):
    return get_user_model().objects.create_superuser("root", "root@example.org", "pass-12345")


def test_it_shows_every_admin_page_in_russian(client, world, superuser):
    populate(world)
    client.force_login(superuser)
    # Logins are data the administrator chose («city_operator»), not keys of the platform.
    logins = frozenset(get_user_model().objects.values_list("username", flat=True))
    problems: list[str] = check(client.get(reverse("admin:index")).content.decode(), "index")
    empty: list[str] = []
    for model in admin.site._registry:
        app, name = model._meta.app_label, model._meta.model_name
        where = f"{app}.{name}"
        listing = client.get(reverse(f"admin:{app}_{name}_changelist"))
        assert listing.status_code == 200, where
        problems += check(listing.content.decode(), f"{where} list", logins)
        first = model._default_manager.order_by("pk").first()
        if first is None:
            empty.append(where)
            continue
        change = client.get(reverse(f"admin:{app}_{name}_change", args=[first.pk]))
        assert change.status_code == 200, where
        problems += check(change.content.decode(), f"{where} form", logins)
    assert not problems, "\n".join(sorted(set(problems)))
    # Models whose rows only appear under load (login attempts) may be empty; nothing else.
    assert set(empty) <= {"axes.accessattempt", "axes.accesslog", "axes.accessfailurelog", "auth.group"}, empty


def test_it_names_event_kinds_and_statuses_and_shows_moscow_time(client, world, superuser):
    rows = populate(world)
    client.force_login(superuser)
    page = client.get(reverse("admin:appeals_event_changelist")).content.decode()
    assert "Направлено в организацию" in page
    for key in ("take_to_moderation", "route", "accept", "request_extension", "prepare_answer"):
        assert f">{key}<" not in page, key
    assert "12:30" in page and "09:30" not in page  # 09:30 UTC is 12:30 in Moscow
    detail = client.get(reverse("admin:appeals_appeal_change", args=[rows.appeal.pk])).content.decode()
    assert "take_to_moderation" not in detail and "05.12.2026 12:30" in detail
    filtered = client.get(reverse("admin:appeals_event_changelist") + "?kind=route").content.decode()
    assert ">route<" not in filtered


def test_it_renders_json_times_in_moscow_time():
    from tsur.core.admin import shown

    assert shown({"cutoff": "2026-12-05T09:30:00+00:00", "n": 3}) == '{"cutoff": "05.12.2026 12:30", "n": 3}'
    assert shown(AT) == "05.12.2026 12:30"


def test_it_writes_dates_the_russian_way_in_the_admins_date_navigation(client, world, superuser):
    populate(world)
    client.force_login(superuser)
    page = client.get(reverse("admin:appeals_event_changelist") + "?at__year=2026&at__month=12").content.decode()
    assert "5 декабря" in page and "Декабрь" not in page


def test_it_titles_and_counts_the_way_russian_reads(client, world, superuser):
    populate(world)
    client.force_login(superuser)
    listing = client.get(reverse("admin:auth_user_changelist")).content.decode()
    users = get_user_model().objects.count()
    # Not Django's «Выберите пользователь для изменения» and «14 пользователи».
    assert "<h1>Пользователи</h1>" in listing and f"Пользователи: {users}" in listing
    assert "Выберите пользователь" not in listing
    form = client.get(reverse("admin:auth_user_change", args=[superuser.pk])).content.decode()
    assert "<h1>Пользователь</h1>" in form and "Изменить пользователь" not in form
    new = client.get(reverse("admin:directory_street_add")).content.decode()
    assert "<h1>Новая запись: улица</h1>" in new
