"""What the scenario's users send, kept apart from Locust so the tests can drive the same steps
with any HTTP client: the pieces of HTML they read (form tokens, CSRF tokens, appeal numbers,
versions) and the payloads they post. Everything here is synthetic: no real person's data.
"""

from __future__ import annotations

import random
import re
import uuid

# Known by the data `tsur bench load --prepare` writes (tsur.demo.loader): the demo users'
# password, the operators and analysts among them, the Open311/app demo key.
PASSWORD = "tsur-demo-2026"
# Staff sessions signed in once before a run ({username: {cookie: value}}, JSON; `sign_in`): the
# staff users reuse them instead of signing in as they start. Operators sign in once a shift, while
# each of `tsur bench load`'s steps starts new users: without this every step began with a dozen
# password hashings (PBKDF2, ~330 ms each), 14 % of the web workers' samples at the 50 req/s step.
SESSIONS_ENV = "TSUR_LOAD_SESSIONS"
OPERATORS = ("operator", "city_operator")
ANALYSTS = ("analyst",)
API_KEY = "tsur_demo_open311_key_not_for_production"

TEXTS = (
    "Яма на проезжей части у дома, машины объезжают по встречной",
    "Не вывозят мусор с контейнерной площадки вторую неделю",
    "В подъезде не работает освещение, вечером темно",
    "Нет горячей воды с понедельника, управляющая компания не отвечает",
    "Не расчищен тротуар от снега, пешеходы идут по дороге",
    "Не горят фонари на улице, остановка в темноте",
)
STREETS = ("ул. Ленина", "ул. Кирова", "ул. Гагарина", "пр. Победы", "ул. Садовая")
# Users of each kind, as shares of all simulated users (Locust class weights), and the requests one
# iteration of each one's task sends on average (`tsur bench load` picks its users from these).
WEIGHTS = {"WidgetResident": 4, "AppResident": 4, "Open311Client": 1, "Operator": 2, "Analyst": 1}
REQUESTS_PER_ITERATION = {"WidgetResident": 3.0, "AppResident": 1.0, "Open311Client": 3.0, "Operator": 2.3, "Analyst": 1.0}
# Queue pages an operator opens, as the filters of the queue form write them. Each names a status:
# the synthetic appeals of `tsur bench load` include "answer prepared" ones without an answer row,
# whose card the workspace cannot render (a data artefact of the fill, reported, not load).
QUEUE_FILTERS = (
    "?status=moderation",
    "?status=moderation&channel=widget",
    "?status=routed",
    "?status=routed&overdue=on",
    "?status=in_progress",
    "?status=in_progress&sort=-received",
    "?status=in_progress&q=мусор",
)
CENTER_PAGES = ("/workspace/center/", "/workspace/center/dashboard/", "/workspace/center/kpi/", "/workspace/center/region/")

_FORM_TOKEN = re.compile(r'name="form_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="form_token"')
_CSRF = re.compile(r'name="csrfmiddlewaretoken"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrfmiddlewaretoken"')
_OPTION = re.compile(r'<option value="([a-z0-9][a-z0-9_.-]*)"')
_NUMBER = re.compile(r"/workspace/appeals/(\d{4}-[A-Z]?\d+)/")
_VERSION = re.compile(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"')


def _first(pattern: re.Pattern, html: str) -> str | None:
    m = pattern.search(html)
    return (m.group(1) or m.group(2)) if m else None


def form_token(html: str) -> str | None:
    """The widget form's signed token (the widget's stand-in for CSRF)."""
    return _first(_FORM_TOKEN, html)


def csrf_token(html: str) -> str | None:
    return _first(_CSRF, html)


def select_options(html: str, name: str) -> list[str]:
    """The non-empty option values of the <select name=…> in `html`."""
    start = html.find(f'name="{name}"')
    if start < 0:
        return []
    end = html.find("</select>", start)
    return _OPTION.findall(html[start:end])


def appeal_numbers(html: str) -> list[str]:
    return sorted(set(_NUMBER.findall(html)))


def version(html: str) -> str | None:
    return _first(_VERSION, html)


def text(rng: random.Random) -> str:
    return f"{rng.choice(TEXTS)} ({rng.choice(STREETS)}, {rng.randrange(1, 120)})"


def widget_post(token: str, categories: list[str], rng: random.Random) -> dict:
    data = {"form_token": token, "text": text(rng), "address": f"{rng.choice(STREETS)}, {rng.randrange(1, 120)}"}
    if categories:
        data["category"] = rng.choice(categories)
    if rng.random() < 0.5:  # half leave a contact, and then must consent
        data.update(name="Тестовый Житель", phone=f"+7 900 {rng.randrange(100, 999)}-{rng.randrange(10, 99)}-{rng.randrange(10, 99)}", consent="on")
    return data


def api_appeal(categories: list[str], rng: random.Random) -> dict:
    # The idempotency key is new in every run (not from the seed): a key sent in an earlier run
    # against the same database would be a replay (200, nothing created), not an intake.
    body = {"text": text(rng), "external_id": str(uuid.uuid4())}
    if categories:
        body["category"] = rng.choice(categories)
    if rng.random() < 0.5:
        body.update(name="Тестовый Житель", phone=f"+7900{rng.randrange(1000000, 9999999)}")
    return body


def open311_request(services: list[str], rng: random.Random) -> dict:
    data = {"api_key": API_KEY, "description": text(rng), "address_string": f"{rng.choice(STREETS)}, {rng.randrange(1, 120)}"}
    if services:
        data["service_code"] = rng.choice(services)
    return data


def sign_in(host: str, usernames: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Sign each staff user in once through the login form; their cookies, for SESSIONS_ENV."""
    import requests

    sessions: dict[str, dict[str, str]] = {}
    for username in usernames:
        with requests.Session() as client:
            page = client.get(f"{host}/accounts/login/", timeout=60)
            data = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(page.text) or ""}
            url = f"{host}/accounts/login/"
            answer = client.post(url, data=data, headers={"Referer": url}, allow_redirects=False, timeout=60)
            if answer.status_code != 302:
                raise RuntimeError(f"login of {username} refused: HTTP {answer.status_code}")
            sessions[username] = client.cookies.get_dict()
    return sessions
