"""What the load scenario's mix asks of the web server's processor, request by request.

`tsur bench load` offers the Locust scenario (loadtest/) at rising rates and reports where it
saturates. This part says why: each kind of request the scenario sends is made here through
Django's test client, in this process, and its processor time is taken on the calling thread
(`time.thread_time`: the background runner's follow-ups, run on their own thread and waited for
between requests, do not count). Weighted by how often the scenario sends each kind, that gives the
web server's processor time per request of the mix, and so the cores that a rate needs for the
web processes alone (PostgreSQL, Redis, the Celery worker and the load generator come on top).

The operator's «route» POST (about 0.7 % of the mix's requests) is not measured: it changes the
appeal it acts on, and the next one would not be the same request. The situation center's figures
are kept for `TSUR_CENTER_FIGURES_SECONDS` (tsur.workspace.center.kept), as the scenario's analysts
meet them: the views measured are mostly within that period.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

# The kinds of request the scenario sends (loadtest/locustfile.py), each once per iteration of its
# user class; a round is one iteration of every user class, `scenario.WEIGHTS` times.
KINDS: tuple[tuple[str, str], ...] = (  # (label, user class)
    ("GET /widget/", "WidgetResident"),
    ("POST /widget/", "WidgetResident"),
    ("GET /widget/done/…", "WidgetResident"),
    ("POST /api/appeals", "AppResident"),
    ("GET /open311/v2/services.json", "Open311Client"),
    ("POST /open311/v2/requests.json", "Open311Client"),
    ("GET /open311/v2/requests.json", "Open311Client"),
    ("GET /workspace/ (a queue page)", "Operator"),
    ("GET /workspace/appeals/<n>/ (a card)", "Operator"),
    ("GET a situation center page", "Analyst"),
)


@dataclass
class Measured:
    label: str
    per_round: float  # requests of this kind per round of all users
    cpu_ms: float  # median processor time of one request, this thread


class RequestFailed(RuntimeError):
    """A request of the mix did not answer as the scenario expects: its time would mean nothing."""


def mix_budget(*, runs: int, operator: str, analyst: str, api_key: str) -> dict:
    """Median processor time of each kind of the scenario's requests (`runs` of each, after one
    not timed) and the mix's weighted mean. `operator`, `analyst`: usernames to act as;
    `api_key`: an Open311/app key (a quarter of the app's appeals carry it, as in the scenario)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from loadtest import scenario
    from tsur.core import tasks

    users = get_user_model().objects
    resident, staff, center = Client(), Client(), Client()
    staff.force_login(users.get(username=operator))
    center.force_login(users.get(username=analyst))
    rng = random.Random(7)
    counter = iter(range(10**9))

    def ok(response, *codes: int):
        if response.status_code not in codes:
            raise RequestFailed(f"{response.request['PATH_INFO']}: HTTP {response.status_code}, expected {codes}")
        return response

    widget_state: dict = {}

    def widget_get() -> None:
        page = ok(resident.get("/widget/", secure=True), 200).content.decode()
        widget_state["post"] = scenario.widget_post(scenario.form_token(page), scenario.select_options(page, "category"), rng)

    def widget_post() -> None:
        data = widget_state.pop("post")
        widget_state["done"] = ok(resident.post("/widget/", data, secure=True, REMOTE_ADDR="10.9.1.1"), 302)["Location"]

    def widget_done() -> None:
        ok(resident.get(widget_state.pop("done"), secure=True), 200)

    categories = [c["code"] for c in ok(resident.get("/api/categories", secure=True), 200).json()]

    def api_post() -> None:
        body = scenario.api_appeal(categories, rng)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {api_key}"} if next(counter) % 4 == 0 else {}
        ok(resident.post("/api/appeals", body, content_type="application/json", secure=True, REMOTE_ADDR="10.9.1.2", **headers), 201)

    services = [s["service_code"] for s in ok(resident.get("/open311/v2/services.json", secure=True), 200).json()]

    def open311_post() -> None:
        data = {**scenario.open311_request(services, rng), "api_key": api_key}
        ok(resident.post("/open311/v2/requests.json", data, secure=True, REMOTE_ADDR="10.9.1.3"), 200, 201)

    filters = list(scenario.QUEUE_FILTERS)
    numbers: list[str] = []

    def queue() -> None:
        query = filters[next(counter) % len(filters)]
        page = ok(staff.get(f"/workspace/{query}", secure=True), 200).content.decode()
        numbers.extend(scenario.appeal_numbers(page)[:5])

    def some_numbers() -> None:
        for _filter in filters:  # the next filters in turn, until a page lists an appeal
            if numbers:
                return
            queue()
        if not numbers:
            raise RequestFailed("no appeal on the queue pages: no card to open")

    def card() -> None:
        ok(staff.get(f"/workspace/appeals/{numbers.pop(rng.randrange(len(numbers)))}/", secure=True), 200)

    pages = list(scenario.CENTER_PAGES)

    def center_page() -> None:
        ok(center.get(pages[next(counter) % len(pages)], secure=True), 200)

    senders: dict[str, Callable[[], None]] = {
        "GET /widget/": widget_get,
        "POST /widget/": widget_post,
        "GET /widget/done/…": widget_done,
        "POST /api/appeals": api_post,
        "GET /open311/v2/services.json": lambda: ok(resident.get("/open311/v2/services.json", secure=True), 200),
        "POST /open311/v2/requests.json": open311_post,
        "GET /open311/v2/requests.json": lambda: ok(resident.get("/open311/v2/requests.json", secure=True), 200),
        "GET /workspace/ (a queue page)": queue,
        "GET /workspace/appeals/<n>/ (a card)": card,
        "GET a situation center page": center_page,
    }
    def form_and_post() -> None:
        widget_get()
        widget_post()

    # What a timed request needs made first, not timed: the widget's form for its POST, a POST for
    # the «accepted» page, a queue page for the card.
    before: dict[str, Callable[[], None]] = {
        "POST /widget/": widget_get,
        "GET /widget/done/…": form_and_post,
        "GET /workspace/appeals/<n>/ (a card)": some_numbers,
    }
    measured = []
    for label, user in KINDS:
        send, prepare = senders[label], before.get(label)
        if label == "GET a situation center page":
            for _page in pages:  # each page viewed once first, as the scenario's analysts meet the kept figures
                center_page()
        times = []
        for i in range(runs + 1):
            if prepare is not None:
                prepare()
            tasks.runner().wait_idle(120)
            started = time.thread_time()
            send()
            if i:  # the first of each kind warms its code and caches, as a running worker has them
                times.append((time.thread_time() - started) * 1000)
        measured.append(Measured(label, scenario.WEIGHTS[user], round(statistics.median(times), 1)))
    tasks.runner().wait_idle(120)
    return summary(measured)


def summary(measured: list[Measured]) -> dict:
    """Each kind's share of the requests and of the processor time; the mix's mean per request."""
    requests = sum(m.per_round for m in measured)
    cpu = sum(m.per_round * m.cpu_ms for m in measured)
    rows = [
        {
            "request": m.label,
            "share_of_requests": round(m.per_round / requests, 3),
            "cpu_ms": m.cpu_ms,
            "share_of_cpu": round(m.per_round * m.cpu_ms / cpu, 3) if cpu else 0.0,
        }
        for m in measured
    ]
    mean = cpu / requests if requests else 0.0
    return {"rows": rows, "mean_cpu_ms": round(mean, 2), "cores_for_web": {str(rate): round(mean * rate / 1000, 2) for rate in (50, 100, 200)}}


def markdown(budget: dict) -> list[str]:
    lines = [
        "",
        "What the scenario's requests cost the web server's processor (in-process, Django test client, this thread's CPU, medians):",
        "",
        "| request | share of requests | CPU ms | share of the web CPU |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {r['request']} | {100 * r['share_of_requests']:.1f} % | {r['cpu_ms']} | {100 * r['share_of_cpu']:.1f} % |" for r in budget["rows"]]
    cores = ", ".join(f"{rate} req/s: {value}" for rate, value in budget["cores_for_web"].items())
    lines += ["", f"Mean per request of the mix: {budget['mean_cpu_ms']} ms of web CPU; cores for the web processes alone at {cores}"]
    return lines
