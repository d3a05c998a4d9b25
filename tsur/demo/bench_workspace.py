"""`tsur bench workspace`: server time of the queue and the card with 100,000 appeals.

Fills a scratch database (PostgreSQL for figures that mean anything) with the demo's reference
data, its users and `count` appeals written with COPY (`core.db.copy_rows`) — spread over the
region's territories, categories, organisations, statuses and channels as a year of a center's
work would be — plus a few appeals with long histories. Then times, through Django's test client
in this process (the whole request: middleware, access scope, queries, templates), each page
`runs` times and reports the median and p95 in milliseconds.

Only the figures are printed; no appeal text or person leaves the database.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client

from tsur.accounts.models import Role
from tsur.appeals.models import OPEN_STATUSES, Appeal, Event, Regime, Status
from tsur.core import clock
from tsur.core.db import copy_rows
from tsur.core.process import freeze_startup_objects
from tsur.demo.bench_monitoring import percentile
from tsur.demo.loader import create_users, load_reference
from tsur.directory.models import Category, Organisation, Queue, Territory

TEXTS = [
    "Яма на проезжей части у дома, машины объезжают по встречной",
    "Не вывозят мусор с контейнерной площадки вторую неделю",
    "В подъезде не работает освещение, вечером темно и опасно",
    "Нет горячей воды с понедельника, управляющая компания не отвечает",
    "Не расчищен тротуар от снега, пешеходы идут по дороге",
    "Не горят фонари на улице, остановка в темноте",
    "Протекает крыша над пятым этажом после дождя",
    "Не могу записаться к врачу в поликлинику, телефон не отвечает",
]
STREETS = ["ул. Ленина", "ул. Кирова", "ул. Гагарина", "пр. Победы", "ул. Садовая", "ул. Московская"]
# A center's year: most appeals answered and closed, a working queue of open ones.
STATUS_SHARES = [
    (Status.CLOSED, 0.52),
    (Status.PUBLISHED, 0.08),
    (Status.REJECTED, 0.05),
    (Status.MODERATION, 0.05),
    (Status.ROUTED, 0.10),
    (Status.IN_PROGRESS, 0.14),
    (Status.ANSWER_PREPARED, 0.04),
    (Status.ANSWER_CHECKED, 0.02),
]
CHANNELS = [("widget", Regime.MESSAGE), ("app", Regime.MESSAGE), ("vk", Regime.INCIDENT), ("telegram", Regime.INCIDENT), ("email", Regime.APPEAL)]
LONG_HISTORY = 300  # events on each of the card's test appeals


def _weighted(rng: random.Random, shares: list[tuple[str, float]]) -> str:
    x, acc = rng.random(), 0.0
    for value, share in shares:
        acc += share
        if x < acc:
            return value
    return shares[-1][0]


def fill(count: int, log: Callable[[str], None], *, seed: int = 13) -> None:
    """Reference data, users and `count` appeals (skipped when the database already has them)."""
    have = Appeal.objects.count()
    if have >= count:
        log(f"в базе уже {have} обращений: заполнение пропущено")
        return
    log("справочники и пользователи…")
    load_reference()
    users = create_users()
    rng = random.Random(seed)
    now = clock.now()
    territories = list(Territory.objects.values_list("pk", flat=True))
    categories = list(Category.objects.filter(is_active=True).values_list("pk", "block_id"))
    organisations = list(Organisation.objects.exclude(kind=Organisation.Kind.CENTER).values_list("pk", flat=True))
    queues = list(Queue.objects.values_list("pk", flat=True))
    executors = users.executors
    year = now.year
    start = have
    batch: list[Appeal] = []
    t0 = time.perf_counter()
    for i in range(start, count):
        status = _weighted(rng, STATUS_SHARES)
        channel, regime = rng.choice(CHANNELS)
        category, block = rng.choice(categories)
        received = now - dt.timedelta(days=365 * rng.random() ** (2.0 if status in OPEN_STATUSES else 0.7), minutes=rng.randrange(1440))
        organisation = rng.choice(organisations) if status not in (Status.MODERATION, Status.REJECTED) else None
        executor = executors.get(organisation) if organisation and status != Status.ROUTED and rng.random() < 0.7 else None
        due = received + dt.timedelta(hours=8) if regime == Regime.INCIDENT else received + dt.timedelta(days=30)
        text = rng.choice(TEXTS)
        a = Appeal(
            number=f"{year}-B{i + 1:07d}",
            channel=channel,
            external_id=f"bench-{i}" if channel in ("vk", "telegram") else "",
            regime=regime,
            text=text,
            text_masked=text,
            territory_id=rng.choice(territories),
            address=f"{rng.choice(STREETS)}, {rng.randrange(1, 120)}",
            block_id=block,
            category_id=category,
            urgency="high" if rng.random() < 0.1 else "normal",
            queue_id=rng.choice(queues) if queues and rng.random() < 0.3 else None,
            organisation_id=organisation,
            executor_id=executor.pk if executor else None,
            status=status,
            received_at=received,
            registered_at=received + dt.timedelta(hours=1),
            routed_at=received + dt.timedelta(hours=2) if organisation else None,
            due_at=due,
            closed_at=received + dt.timedelta(days=10) if status in (Status.CLOSED, Status.REJECTED) else None,
            created_at=received,
        )
        a.refresh_search_text()
        batch.append(a)
        if len(batch) == 10_000:
            copy_rows(Appeal, batch)
            batch = []
            log(f"  {i + 1} обращений ({time.perf_counter() - t0:.0f} с)")
    copy_rows(Appeal, batch)
    log("длинные истории для карточки…")
    operator = users.by_role["operator"]
    events = []
    for a in Appeal.objects.filter(status=Status.IN_PROGRESS).order_by("pk")[:3]:
        for k in range(LONG_HISTORY):
            events.append(
                Event(
                    appeal=a,
                    kind="comment" if k % 3 else "change_urgency",
                    actor=operator,
                    actor_label="Оператор",
                    at=a.received_at + dt.timedelta(minutes=k),
                    reason=f"Шаг {k + 1} работы по обращению",
                )
            )
    copy_rows(Event, events)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    log(f"заполнено за {time.perf_counter() - t0:.0f} с")


def _saved_views(client: Client) -> None:
    """Ten saved views for the signed-in user, saved the way an operator saves them (the demo may
    not import the workspace: a sibling surface). At the limit of ten, further saves are refused."""
    block = Category.objects.filter(is_active=True).values_list("block__key", flat=True).first()
    queries = [
        "overdue=on", "due_soon=on", f"block={block}", "status=moderation", "status=in_progress&sort=-received",
        "channel=vk", "q=мусор", f"block={block}&overdue=on", "status=routed", "sort=received",
    ]  # fmt: skip
    for i, q in enumerate(queries):
        client.post("/workspace/views/", {"name": f"Вид {i + 1}", "query": q, "list": "queue"})


class _DbTime:
    """Sums the time spent in the database during a request (connection.execute_wrapper)."""

    def __init__(self) -> None:
        self.ms = 0.0
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms += (time.perf_counter() - t) * 1000
            self.queries += 1


def _time(client: Client, url: str, runs: int, headers: dict | None = None) -> dict:
    times, db_times = [], []
    client.get(url, **(headers or {}))  # warm: the first request pays for imports and template loading
    queries = 0
    for _ in range(runs):
        db = _DbTime()
        with connection.execute_wrapper(db):
            t = time.perf_counter()
            response = client.get(url, **(headers or {}))
            times.append((time.perf_counter() - t) * 1000)
        db_times.append(db.ms)
        queries = db.queries
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "db_median_ms": round(statistics.median(db_times), 1),
        "queries": queries,
        "runs": runs,
    }


def measure(runs: int, log: Callable[[str], None]) -> dict:
    # As the serving process does after start-up (tsur.wsgi): the figures are the server's.
    freeze_startup_objects()
    User = get_user_model()
    operator = User.objects.get(username="operator")
    admin = User.objects.get(username="admin")  # the same whole-region scope, with ten saved views
    busiest = (
        Appeal.objects.filter(status__in=OPEN_STATUSES)
        .exclude(organisation=None)
        .values("organisation_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    coordinator = User.objects.get(membership__role=Role.COORDINATOR, membership__organisation_id=busiest["organisation_id"])
    city_operator = User.objects.get(username="city_operator")
    long_cards = list(Appeal.objects.filter(events__kind="comment").distinct().values_list("number", flat=True)[:3])
    block = Category.objects.filter(is_active=True).values_list("block__key", flat=True).first()
    pages: dict[str, tuple[object, str, dict | None]] = {
        "очередь по умолчанию (оператор ЦУР)": (operator, "/workspace/", None),
        "очередь по умолчанию, 10 сохранённых видов (администратор)": (admin, "/workspace/", None),
        "очередь, фильтр блок+статус": (operator, f"/workspace/?block={block}&status=in_progress", None),
        "очередь, поиск по тексту": (operator, "/workspace/?q=мусор", None),
        "очередь, страница 50": (operator, "/workspace/?page=50", None),
        "очередь, обновление (HTMX-опрос)": (operator, "/workspace/", {"HTTP_HX_REQUEST": "true", "HTTP_X_QUEUE_POLL": "1"}),
        "очередь координатора (самая загруженная организация)": (coordinator, "/workspace/", None),
        "очередь муниципального оператора": (city_operator, "/workspace/", None),
    }
    # The noise floor: a small page of the same stack (session, middleware, access, base template).
    pages["для сравнения: «Сигналы» (почти пустая страница)"] = (operator, "/workspace/alerts/", None)
    for number in long_cards:
        pages[f"карточка с длинной историей {number}"] = (operator, f"/workspace/appeals/{number}/", None)
    report: dict = {"appeals": Appeal.objects.count(), "open": Appeal.objects.filter(status__in=OPEN_STATUSES).count()}
    clients: dict[int, Client] = {}
    results = {}
    for name, (user, url, headers) in pages.items():
        if user.pk not in clients:
            clients[user.pk] = Client()
            clients[user.pk].force_login(user)
            if user.pk == admin.pk:
                _saved_views(clients[user.pk])
        results[name] = _time(clients[user.pk], url, runs, headers)
        r = results[name]
        log(f"{name}: медиана {r['median_ms']} мс, p95 {r['p95_ms']} мс (база: {r['db_median_ms']} мс, {r['queries']} запросов)")
    report["pages"] = results
    report["database"] = connection.vendor
    report["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return report


def run_bench(options: dict, log: Callable[[str], None]) -> dict:
    call_command("migrate", verbosity=0)
    fill(options["count"], log)
    return measure(max(1, options["runs"]), log)
