"""The platform's load scenario (Locust).

    .venv/bin/locust -f loadtest/locustfile.py --host http://127.0.0.1:8000 --headless -u 40 -r 10 --run-time 1m

Who, and how many of them (class weights, scenario.WEIGHTS: the share of simulated users of each kind):

- WidgetResident (4): opens the widget form, posts it (the form token instead of CSRF), and follows
  the redirect to the «accepted» page — 3 requests.
- AppResident (4): posts an appeal to /api/appeals as the mobile app does, a quarter of them with
  the demo app key (counted per key) — 1 request.
- Open311Client (1): the services list, a POST request, the list of requests — 3 requests.
- Operator (2): signs in once (or takes a session signed in before the run: scenario.SESSIONS_ENV),
  then opens queue pages with filters, a card, and now and then routes
  an appeal waiting in moderation by the rules (a 409 from a colleague who was faster counts as
  success: it is the expected answer) — 2-4 requests.
- Analyst (1): signs in once, then opens the situation center's pages — 1 request.

Pacing: every user runs its task at most `TSUR_LOAD_ITERATIONS_PER_USER` times a second
(constant_throughput, default 0.5), so the offered load is users × that × requests per iteration;
`tsur bench load` picks the number of users for each step's target from scenario.REQUESTS_PER_ITERATION.
Randomness is seeded per user (TSUR_LOAD_SEED) so a run offers the same mix every time.

The server must be run with rate limits that let one client address post this much
(`tsur bench load` sets TSUR_RATE_INTAKE_ANONYMOUS / _KEY high: the limits are still counted,
so their cost is measured, but never reached).
"""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import HttpUser, constant_throughput, task

from loadtest import scenario

ITERATIONS_PER_USER = float(os.environ.get("TSUR_LOAD_ITERATIONS_PER_USER", "0.5"))
SEED = int(os.environ.get("TSUR_LOAD_SEED", "7"))
_user_numbers = itertools.count()
SESSIONS: dict[str, dict[str, str]] = json.loads(os.environ.get(scenario.SESSIONS_ENV) or "{}")


class _User(HttpUser):
    abstract = True
    wait_time = constant_throughput(ITERATIONS_PER_USER)

    def on_start(self) -> None:
        self.rng = random.Random(SEED * 1_000_003 + next(_user_numbers))


class _Staff(_User):
    abstract = True
    usernames: tuple[str, ...] = ()

    def on_start(self) -> None:
        super().on_start()
        username = self.rng.choice(self.usernames)
        if username in SESSIONS:  # signed in before the run (scenario.sign_in)
            for name, value in SESSIONS[username].items():
                self.client.cookies.set(name, value)
            return
        page = self.client.get("/accounts/login/", name="/accounts/login/ [GET]")
        token = scenario.csrf_token(page.text) or ""
        with self.client.post(
            "/accounts/login/",
            data={"username": username, "password": scenario.PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/accounts/login/"},
            allow_redirects=False,
            name="/accounts/login/ [POST]",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {username} refused: HTTP {response.status_code}")


class WidgetResident(_User):
    weight = scenario.WEIGHTS["WidgetResident"]

    @task
    def submit_widget(self) -> None:
        form = self.client.get("/widget/", name="/widget/ [GET]")
        token = scenario.form_token(form.text)
        if not token:
            return
        data = scenario.widget_post(token, scenario.select_options(form.text, "category"), self.rng)
        with self.client.post("/widget/", data=data, name="/widget/ [POST]", catch_response=True) as response:
            # followed redirect: the «accepted» page
            if response.status_code != 200 or "/widget/done/" not in response.url:
                response.failure(f"widget not accepted: HTTP {response.status_code}")


class AppResident(_User):
    weight = scenario.WEIGHTS["AppResident"]
    categories: list[str] = []

    def on_start(self) -> None:
        super().on_start()
        if not AppResident.categories:
            listed = self.client.get("/api/categories", name="/api/categories")
            if listed.status_code == 200:
                AppResident.categories = [c["code"] for c in listed.json()]

    @task
    def submit_api(self) -> None:
        headers = {"Authorization": f"Bearer {scenario.API_KEY}"} if self.rng.random() < 0.25 else {}
        body = scenario.api_appeal(self.categories, self.rng)
        with self.client.post("/api/appeals", json=body, headers=headers, name="/api/appeals [POST]", catch_response=True) as response:
            if response.status_code != 201:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")


class Open311Client(_User):
    weight = scenario.WEIGHTS["Open311Client"]

    @task
    def report(self) -> None:
        listed = self.client.get("/open311/v2/services.json", name="/open311/v2/services.json")
        services = [s["service_code"] for s in listed.json()] if listed.status_code == 200 else []
        data = scenario.open311_request(services, self.rng)
        self.client.post("/open311/v2/requests.json", data=data, name="/open311/v2/requests.json [POST]")
        self.client.get("/open311/v2/requests.json", name="/open311/v2/requests.json [GET]")


class Operator(_Staff):
    weight = scenario.WEIGHTS["Operator"]
    usernames = scenario.OPERATORS

    def on_start(self) -> None:
        super().on_start()
        # Every filter in turn from a seeded start: an operator who works N ≥ 7 times has seen each.
        start = self.rng.randrange(len(scenario.QUEUE_FILTERS))
        self.filters = itertools.cycle(scenario.QUEUE_FILTERS[start:] + scenario.QUEUE_FILTERS[:start])

    @task
    def work_the_queue(self) -> None:
        query = next(self.filters)
        page = self.client.get(f"/workspace/{query}", name="/workspace/ [queue]")
        numbers = scenario.appeal_numbers(page.text)
        if not numbers:
            return
        number = self.rng.choice(numbers)
        card = self.client.get(f"/workspace/appeals/{number}/", name="/workspace/appeals/<n>/")
        if "moderation" in query and self.rng.random() < 0.3:
            self.route(number, card.text)

    def route(self, number: str, card_html: str) -> None:
        v, token = scenario.version(card_html), scenario.csrf_token(card_html)
        if v is None or token is None:
            return  # no route form on this card (already routed by a colleague)
        data = {"version": v, "csrfmiddlewaretoken": token, "route-organisation": "", "route-reason": ""}
        url = f"/workspace/appeals/{number}/actions/route/"
        name = "/workspace/appeals/<n>/actions/route/"
        headers = {"Referer": f"{self.host}{url}"}
        with self.client.post(url, data=data, headers=headers, allow_redirects=False, name=name, catch_response=True) as response:
            if response.status_code >= 500 or response.status_code in (401, 403):
                response.failure(f"route: HTTP {response.status_code}")
            else:
                response.success()  # 302 routed; 409/422: a colleague was faster or no rule fits


class Analyst(_Staff):
    weight = scenario.WEIGHTS["Analyst"]
    usernames = scenario.ANALYSTS

    @task
    def open_dashboard(self) -> None:
        self.client.get(self.rng.choice(scenario.CENTER_PAGES))
