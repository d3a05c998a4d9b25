"""The Kaluga demo configuration: reference data from `tsur/demo/data/*.json`, demo users for every
role, and a few hundred appeals replayed through the real service functions over the last weeks,
so every page shows something real and every appeal has a true timeline.

Everything here is data loading; no region or organisation name appears in the code.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from tsur.accounts.models import ApiToken, Membership, Role, Scope
from tsur.answers import services as answers
from tsur.answers.models import AnswerTemplate, ExtensionRequest
from tsur.appeals import channels, services
from tsur.appeals.models import Appeal, RejectionReason
from tsur.core import clock
from tsur.core.errors import DomainError
from tsur.deadlines.compute import upsert_default_policies
from tsur.demo import history, monitoring_history
from tsur.demo import polls as demo_polls
from tsur.demo import residents as demo_residents
from tsur.demo.monitoring import load_sources
from tsur.directory.models import Block, Category, Organisation, OutsidePlace, Queue, Street, Territory
from tsur.routing.models import RoutingRule

DATA_DIR = Path(__file__).resolve().parent / "data"
TEMPLATES_FILE = Path(__file__).resolve().parent / "answer_templates.json"
DEMO_PASSWORD = "tsur-demo-2026"
# A fixed token so the demo's Open311 / app examples in the README work as printed.
DEMO_API_KEY = "tsur_demo_open311_key_not_for_production"
DEMO_API_KEY_NAME = "Демо: Open311 и мобильное приложение"


def _read(name: str, data_dir: Path | None = None):
    return json.loads(((data_dir or DATA_DIR) / name).read_text(encoding="utf-8"))


def _read_optional(name: str, data_dir: Path | None = None) -> list:
    """A list file a configuration may leave out (a region without a street list): [] then."""
    path = (data_dir or DATA_DIR) / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


@transaction.atomic
def load_reference(data_dir: Path | None = None) -> dict[str, int]:
    """Territories, streets, places outside the region, taxonomy, organisations, queues, routing
    rules, deadline policies, templates. Idempotent: rows are matched by code/key and updated."""
    counts: dict[str, int] = {}

    rows = _read("territories.json", data_dir)
    by_code: dict[str, Territory] = {}
    for row in rows:
        t, _ = Territory.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "level": row["level"],
                "oktmo": row.get("oktmo") or "",
                "lat": row.get("lat"),
                "lon": row.get("lon"),
                "population": row.get("population"),
                "boundary": row.get("boundary"),
                "source": (row.get("source") or "")[:200],
            },
        )
        by_code[t.code] = t
    for row in rows:
        parent = by_code.get(row.get("parent") or "")
        t = by_code[row["code"]]
        if t.parent_id != (parent.pk if parent else None):
            t.parent = parent
            t.save(update_fields=["parent", "updated_at"])  # updated_at too: triage rebuilds its places when it moves
    counts["territories"] = len(rows)
    counts["streets"] = _load_streets(_read_optional("streets.json", data_dir), by_code)
    counts["outside_places"] = _load_outside_places(_read_optional("outside_places.json", data_dir))

    taxonomy = _read("taxonomy.json", data_dir)
    blocks = {}
    for row in taxonomy["blocks"]:
        b, _ = Block.objects.update_or_create(key=row["key"], defaults={"name": row["name"], "order": row.get("order", 0)})
        blocks[b.key] = b
    for row in taxonomy["categories"]:
        Category.objects.update_or_create(
            code=row["code"],
            defaults={
                "block": blocks[row["block"]],
                "name": row["name"],
                "default_urgency": row.get("default_urgency") or "normal",
                "default_regime": row.get("default_regime") or "",
                "municipal_competence": bool(row.get("municipal_competence")),
                "is_public": row.get("is_public", True),
            },
        )
    counts["blocks"], counts["categories"] = len(taxonomy["blocks"]), len(taxonomy["categories"])

    orgs = _read("organisations.json", data_dir)
    org_by_code: dict[str, Organisation] = {}
    for row in orgs:
        o, _ = Organisation.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "short_name": row.get("short_name") or row["name"][:120],
                "kind": row["kind"],
                "work_start": _time(row.get("work_start")),
                "work_end": _time(row.get("work_end")),
                "email": row.get("email") or "",
            },
        )
        org_by_code[o.code] = o
    for row in orgs:
        o = org_by_code[row["code"]]
        o.parent = org_by_code.get(row.get("parent") or "")
        o.save(update_fields=["parent"])
        o.territories.set([by_code[c] for c in row.get("territories", []) if c in by_code])
    counts["organisations"] = len(orgs)

    routing = _read("routing.json", data_dir)
    for row in routing.get("queues", []):
        q, _ = Queue.objects.update_or_create(
            code=row["code"], defaults={"name": row["name"], "territory": by_code[row["territory"]]}
        )
        q.categories.set(Category.objects.filter(code__in=row.get("categories", [])))
    RoutingRule.objects.all().delete()
    for row in routing["rules"]:
        RoutingRule.objects.create(
            category=Category.objects.get(code=row["category"]) if row.get("category") else None,
            block=blocks[row["block"]] if row.get("block") else None,
            territory=by_code[row["territory"]] if row.get("territory") else None,
            organisation=org_by_code[row["organisation"]],
            priority=row.get("priority") or 0,
            note=(row.get("note") or "")[:300],
        )
    counts["routing_rules"] = len(routing["rules"])
    counts["deadline_policies"] = upsert_default_policies()

    for row in json.loads(TEMPLATES_FILE.read_text(encoding="utf-8")):
        template, _ = AnswerTemplate.objects.update_or_create(
            code=row["code"],
            defaults={"name": row["name"], "kind": row["kind"], "text": row["text"], "block": blocks.get(row.get("block") or "")},
        )
        template.categories.set(Category.objects.filter(code__in=row.get("categories", [])))
    counts.update(load_sources((data_dir or DATA_DIR) / "monitoring.json"))  # monitoring's event kinds and sources (no keys)
    return counts


def _load_streets(rows: list[dict], by_code: dict[str, Territory]) -> int:
    """Streets matched by (territory, name, type): new ones are inserted in one statement (the demo
    city has ~500), known ones get the centre point the file gives. A street of a territory the
    configuration does not have is an error in the data (KeyError names it)."""
    known = {(s.territory_id, s.name, s.type): s for s in Street.objects.all()}
    new: list[Street] = []
    for row in rows:
        territory = by_code[row["territory"]]
        key = (territory.pk, row["name"], row.get("type") or Street.Type.STREET)
        street = known.get(key)
        if street is None:
            street = Street(territory=territory, name=key[1], type=key[2], lat=row.get("lat"), lon=row.get("lon"))
            known[key] = street
            new.append(street)
        elif (street.lat, street.lon) != (row.get("lat"), row.get("lon")):
            street.lat, street.lon = row.get("lat"), row.get("lon")
            street.save(update_fields=["lat", "lon", "updated_at"])
    Street.objects.bulk_create(new)
    return len(rows)


def _load_outside_places(rows: list[dict]) -> int:
    for row in rows:
        OutsidePlace.objects.get_or_create(name=row["name"], kind=row["kind"])
    return len(rows)


def _time(value: str | None) -> dt.time | None:
    return dt.time.fromisoformat(value) if value else None


@dataclass
class DemoUsers:
    by_role: dict[str, object] = field(default_factory=dict)
    coordinators: dict[int, object] = field(default_factory=dict)  # organisation pk -> user
    executors: dict[int, object] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role label, scope)


@functools.cache
def _demo_password_hash() -> str:
    # Hashing is deliberately slow; ~60 demo users share one password, so hash it once.
    return make_password(DEMO_PASSWORD)


def _user(username: str, first: str, last: str, role: str | None, *, organisation=None, queue=None, superuser=False):
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, first_name=first, last_name=last, is_staff=superuser, is_superuser=superuser)
        user.password = _demo_password_hash()
        user.save()
    if role:
        Membership.objects.update_or_create(user=user, defaults={"role": role, "organisation": organisation, "queue": queue})
    return user


def create_users() -> DemoUsers:
    """One demo user per role, plus a coordinator and an executor for every organisation."""
    u = DemoUsers()
    center = Organisation.objects.filter(kind=Organisation.Kind.CENTER).first()
    queue = Queue.objects.order_by("pk").first()
    u.by_role["admin"] = _user("admin", "Анна", "Администраторова", Role.ADMINISTRATOR, superuser=True)
    u.by_role["operator"] = _user("operator", "Ольга", "Операторова", Role.REGIONAL_OPERATOR, organisation=center)
    u.by_role["city_operator"] = _user("city_operator", "Марина", "Городская", Role.MUNICIPAL_OPERATOR, queue=queue)
    u.by_role["analyst"] = _user("analyst", "Андрей", "Аналитиков", Role.ANALYST)
    u.by_role["resident"] = _user("resident", "Дмитрий", "Жителев", Role.RESIDENT)
    for org in Organisation.objects.exclude(kind=Organisation.Kind.CENTER).order_by("pk"):
        u.coordinators[org.pk] = _user(f"coord-{org.code}", "Координатор", org.short_name[:100], Role.COORDINATOR, organisation=org)
        u.executors[org.pk] = _user(f"exec-{org.code}", "Исполнитель", org.short_name[:100], Role.EXECUTOR, organisation=org)
    u.logins = [
        ("admin", "Администратор", "всё, включая /admin/"),
        ("operator", "Оператор ЦУР", "все обращения региона"),
        ("city_operator", "Муниципальный оператор", queue.name if queue else "—"),
        ("analyst", "Аналитик", "только чтение, без персональных данных"),
        ("resident", "Житель", "свои обращения: личный кабинет /cabinet/ и API"),
    ]
    for org in Organisation.objects.exclude(kind=Organisation.Kind.CENTER).order_by("pk")[:3]:
        u.logins.append((f"coord-{org.code}", "Координатор", org.short_name))
        u.logins.append((f"exec-{org.code}", "Исполнитель", org.short_name))
    # The demo's key is printed for everybody: it belongs to an integration account with no staff
    # role and may only submit appeals (Open311 and the API), never read cards or act on them.
    client = _user("open311-client", "Демо-клиент", "Open311", None)
    if client.has_usable_password():  # an account for a key, not for signing in
        client.set_unusable_password()
        client.save(update_fields=["password"])
    token = ApiToken.objects.filter(name=DEMO_API_KEY_NAME).first()
    if token is None:
        ApiToken.issue(client, DEMO_API_KEY_NAME, raw=DEMO_API_KEY, scopes=[Scope.OPEN311, Scope.INTAKE])
    elif token.user_id != client.pk or sorted(token.scopes) != sorted([Scope.OPEN311, Scope.INTAKE]):
        ApiToken.objects.filter(pk=token.pk).update(user=client, scopes=[Scope.OPEN311, Scope.INTAKE])  # demo DBs made before scopes
    return u


# --- replaying a history of appeals -------------------------------------------------------------

STAGES = ["moderation", "routed", "in_progress", "answer_prepared", "answer_checked", "published", "closed", "reopened"]


def _stage_for(age_days: float, rng: random.Random) -> str:
    """Older appeals are further along, as in a real center's queue."""
    if rng.random() < 0.05:
        return "rejected"
    if rng.random() < 0.06:
        return "joined"
    if age_days < 0.3:
        return rng.choice(["moderation", "moderation", "routed"])
    if age_days < 3:
        return rng.choice(["moderation", "routed", "in_progress", "in_progress", "answer_prepared"])
    if age_days < 12:
        return rng.choice(["in_progress", "in_progress", "answer_prepared", "answer_checked", "published", "closed", "routed"])
    return rng.choice(["published", "closed", "closed", "closed", "closed", "reopened", "in_progress"])


def generate_appeals(users: DemoUsers, count: int = 400, days: int = 60, seed: int = 2026) -> int:
    """Replay `count` appeals received over the last `days` days through the real services."""
    rng = random.Random(seed)
    texts = _read("appeal_texts.json")
    messages = texts["appeals"]
    answer_texts = texts.get("answers", [])
    kinds = [channels.WIDGET] * 5 + [channels.APP] * 3 + ["vk"] * 3 + ["telegram", "ok", "email"] + [
        channels.OPERATOR
    ]
    now = timezone.now()
    created = 0
    recent_leads: list[Appeal] = []
    for i in range(count):
        msg = rng.choice(messages)
        # More recent days are busier; working hours dominate.
        age = days * (rng.random() ** 1.6)
        received = now - dt.timedelta(days=age)
        received = received.replace(hour=rng.choice([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 22]), minute=rng.randrange(60))
        if received > now:
            received = now - dt.timedelta(minutes=rng.randrange(5, 300))
        channel = rng.choice(kinds)
        data = services.NewAppeal(
            channel=channel,
            text=msg["text"],
            category_code=msg.get("category") or "",
            territory_code=msg.get("place") or msg.get("territory") or "",
            address=msg.get("address") or "",
            external_id=f"demo-{seed}-{i}" if channel in ("vk", "telegram", "ok") else "",
            received_at=received,
            # Demo residents are fictitious: no real names, phones or e-mails anywhere in the data.
            name=f"Житель {i + 1}",
            email=f"resident{i + 1}@demo.tsur.example" if rng.random() < 0.5 else "",
        )
        with clock.at(received):
            appeal = services.create_appeal(data)  # the in-process pipeline takes it to moderation
        stage = _stage_for(age, rng)
        try:
            _advance(appeal.pk, stage, received, now, users, rng, answer_texts, recent_leads)
        except DomainError:
            pass  # a combination the rules refuse stays where it got to, like in life
        created += 1
        if stage in ("routed", "in_progress") and len(recent_leads) < 40:
            recent_leads.append(Appeal.objects.get(pk=appeal.pk))
    return created


def _advance(pk, stage, received, now, users: DemoUsers, rng, answer_texts, leads) -> None:
    operator = users.by_role["operator"]
    t = received

    def step(hours: float) -> dt.datetime:
        nonlocal t
        t = min(t + dt.timedelta(hours=hours * (0.5 + rng.random())), now - dt.timedelta(minutes=1))
        return t

    if stage == "moderation":
        return
    if stage == "rejected":
        with clock.at(step(2)):
            services.reject_appeal(pk, operator, reason_code=rng.choice([RejectionReason.SPAM, RejectionReason.NO_CONTENT]))
        return
    if stage == "joined":
        a = Appeal.objects.get(pk=pk)
        lead = next((x for x in reversed(leads) if x.block_id == a.block_id and x.received_at < a.received_at), None)
        if lead is not None:
            with clock.at(step(1)):
                services.join_to_problem(pk, operator, lead_number=lead.number, reason="Та же проблема, тот же адрес")
            return
    with clock.at(step(3)):
        a = services.route_appeal(pk, operator)
    if stage == "routed" or a.organisation is None or a.organisation.is_center:
        return
    coordinator = users.coordinators.get(a.organisation_id)
    executor = users.executors.get(a.organisation_id)
    with clock.at(step(6)):
        services.assign_executor(pk, coordinator, executor_id=executor.pk)
    if rng.random() < 0.3:
        with clock.at(step(10)):
            answers.give_interim_answer(pk, executor, text=_answer(answer_texts, "interim", a, rng))
    if rng.random() < 0.08 and a.regime != "incident":
        with clock.at(step(12)):
            req = answers.request_extension(pk, executor, days=rng.choice([10, 15, 30]), reason="Требуются работы подрядной организации")
        with clock.at(step(4)):
            answers.decide_extension(pk, operator, request_id=req.pk, grant=True)
    if stage == "in_progress":
        return
    with clock.at(step(40)):
        answers.prepare_answer(pk, executor, text=_answer(answer_texts, "final", a, rng))
    if stage == "answer_prepared":
        return
    if rng.random() < 0.1:
        with clock.at(step(3)):
            answers.return_answer(pk, operator, note="Укажите срок и результат выполнения работ")
        with clock.at(step(10)):
            answers.prepare_answer(pk, executor, text=_answer(answer_texts, "final", a, rng))
    with clock.at(step(3)):
        # A flagged answer is approved only with the reason why (the demo keeps some on the record).
        flagged = answers.flagged_answer(Appeal.objects.get(pk=pk)) is not None
        answers.approve_answer(pk, operator, note="Срок и объём работ подтверждены организацией по телефону" if flagged else "")
    if stage == "answer_checked":
        return
    with clock.at(step(1)):
        answers.publish_answer(pk, operator)
    if stage == "published":
        return
    published_at = t
    if stage == "reopened":
        with clock.at(step(20)):
            answers.rate_appeal(pk, None, score=rng.choice([1, 2, 3]), comment="Проблема не решена")
        return
    roll = rng.random()
    if roll < 0.55:
        with clock.at(step(24)):
            answers.rate_appeal(pk, None, score=rng.choice([4, 5, 5, 5]))
    elif now - published_at > dt.timedelta(days=7):
        with clock.at(published_at + dt.timedelta(days=7, minutes=5)):
            answers.auto_close_due(clock.now())


def _answer(answer_texts: list[dict], kind: str, appeal: Appeal, rng: random.Random) -> str:
    pool = [x for x in answer_texts if x.get("kind") == kind and (x.get("block") in (None, "", getattr(appeal.block, "key", None)))]
    if kind == "final" and rng.random() < 0.15:
        pool = [x for x in answer_texts if x.get("kind") == "formal"] or pool
    if pool:
        return rng.choice(pool)["text"]
    if kind == "interim":
        return "Обращение принято в работу, назначено обследование. О результатах сообщим дополнительно."
    return f"По обращению № {appeal.number} работы выполнены, результат проверен на месте."


def pending_extension_count() -> int:
    return ExtensionRequest.objects.filter(state=ExtensionRequest.State.PENDING).count()


RECENT_DAYS = 60  # the appeals replayed through the services are received in these last days


def load_demo(
    count: int = 400, history_days: int = 0, history_per_day: float = history.DEFAULT_PER_DAY, progress=None
) -> tuple[dict[str, int], DemoUsers]:
    """Reference data and users; on an empty database also `history_days` of generated history
    (tsur.demo.history, written in bulk, ending where the recent appeals begin; its live episode runs
    up to now) and `count` recent appeals through the services. The history publishes nothing to
    subscribers, so the precomputed figures and the points of tension are then rebuilt from the
    stored state."""
    counts = load_reference()
    users = create_users()
    counts.update(demo_polls.load(users.by_role["operator"]))  # a published population poll with ballots
    if not Appeal.objects.exists():
        now = timezone.now()
        if history_days > 0:
            counts["history"] = history.generate(
                days=history_days, end=now - dt.timedelta(days=RECENT_DAYS), live_end=now, per_day=history_per_day, progress=progress
            )
        counts["appeals"] = generate_appeals(users, count=count, days=RECENT_DAYS)
        counts["resident_account_appeals"] = demo_residents.link_resident_account(users.by_role["resident"], users.by_role["operator"])
        counts.update(monitoring_history.load(now))  # three days of the sources' streams and a completed burst
        if history_days > 0:
            call_command("analytics", "rebuild", stdout=io.StringIO())
            first = timezone.localtime(now - dt.timedelta(days=RECENT_DAYS + history_days)).date()
            call_command("tension", "recompute", "--from", first.isoformat(), stdout=io.StringIO(), stderr=io.StringIO())
    return counts, users
