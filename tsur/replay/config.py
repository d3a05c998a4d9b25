"""A replayed region as configuration: its territory tree, its own categories mapped onto the
platform's blocks, its organisations and its channel, read from a JSON file
(tsur/replay/data/<region>.json) and created idempotently before the first appeal is loaded.

Nothing here names a place or an organisation: the file does. Blocks are shared by key with any
region already configured (the Kaluga demo); everything else carries the region's own codes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from tsur.accounts.models import Membership, Role
from tsur.directory.models import Block, Category, Organisation, Territory

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_CONFIG = DATA_DIR / "spb.json"


def normalised(name: str) -> str:
    """A source label as the configuration matches it: spaces collapsed, straight quotes made
    «guillemets» (the portal writes one organisation both ways)."""
    name = re.sub(r"\s+", " ", name or "").strip()
    return re.sub(r'"([^"]*)"', r"«\1»", name)


@dataclass
class RegionConfig:
    """The parsed file, with the look-ups the replay needs from a source row's labels to codes."""

    path: Path
    region: str
    channel_code: str
    channel_label: str
    channel_regime: str
    raw: dict
    districts: dict[str, str] = field(default_factory=dict)  # source district label -> territory code
    municipalities: dict[tuple[str, str], str] = field(default_factory=dict)  # (district, municipality) -> code
    categories: dict[tuple[str, str], str] = field(default_factory=dict)  # (category, reason) -> category code
    organisations: dict[str, str] = field(default_factory=dict)  # normalised name -> organisation code

    def operator_username(self) -> str:
        return f"replay-{self.region}-operator"

    def coordinator_username(self, organisation_code: str) -> str:
        return f"replay-{organisation_code}"


class ConfigError(ValueError):
    """The configuration file is missing or inconsistent (a message for the command line)."""


def read_config(path: Path | str = DEFAULT_CONFIG) -> RegionConfig:
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"файл конфигурации региона не найден: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"файл конфигурации региона {path} не читается: {exc}") from None
    try:
        channel = raw["channel"]
        config = RegionConfig(path, raw["region"], channel["code"], channel["label"], channel["regime"], raw)
        by_code = {t["code"]: t for t in raw["territories"]}
        for t in raw["territories"]:
            if t["level"] == Territory.Level.REGION:
                continue
            parent = by_code.get(t.get("parent") or "")
            if parent is not None and parent["level"] == Territory.Level.REGION:
                config.districts[normalised(t["source_name"])] = t["code"]
        for t in raw["territories"]:
            parent = by_code.get(t.get("parent") or "")
            if parent is not None and parent["level"] != Territory.Level.REGION:
                config.municipalities[normalised(parent["source_name"]), normalised(t["source_name"])] = t["code"]
        config.categories = {(normalised(c["category"]), normalised(c["reason"])): c["code"] for c in raw["categories"]}
        config.organisations = {normalised(o["name"]): o["code"] for o in raw["organisations"]}
        blocks = {b["key"] for b in raw["blocks"]}
        for c in raw["categories"]:
            if c["block"] not in blocks:
                raise ConfigError(f"{path}: категория {c['code']} ссылается на неизвестный блок {c['block']!r}")
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: нет обязательного поля {exc}") from None
    return config


def configs() -> list[RegionConfig]:
    """Every region configuration shipped with the replay (each registers its channel)."""
    return [read_config(p) for p in sorted(DATA_DIR.glob("*.json"))]


@transaction.atomic
def set_up_region(config: RegionConfig) -> dict[str, int]:
    """Create or update the region's territories, blocks (reused by key), categories and
    organisations, and the users the replay acts as. Idempotent: rows are matched by code."""
    raw = config.raw
    blocks = {b.key: b for b in Block.objects.all()}
    for row in raw["blocks"]:
        if row["key"] not in blocks:
            blocks[row["key"]] = Block.objects.create(key=row["key"], name=row["name"], order=row.get("order", 0))
    territories: dict[str, Territory] = {}
    for row in raw["territories"]:
        territories[row["code"]], _ = Territory.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "level": row["level"],
                "lat": row.get("lat"),
                "lon": row.get("lon"),
                "boundary": row.get("boundary"),
                "source": (row.get("boundary_source") or raw.get("source") or "")[:200],
            },
        )
    for row in raw["territories"]:
        t, parent = territories[row["code"]], territories.get(row.get("parent") or "")
        if t.parent_id != (parent.pk if parent else None):
            t.parent = parent
            t.save(update_fields=["parent", "updated_at"])
    for row in raw["categories"]:
        Category.objects.update_or_create(
            code=row["code"],
            defaults={"block": blocks[row["block"]], "name": row["name"][:300], "is_public": True, "is_active": True},
        )
    organisations: dict[str, Organisation] = {}
    for row in raw["organisations"]:
        organisations[row["code"]], _ = Organisation.objects.update_or_create(
            code=row["code"],
            defaults={"name": row["name"][:300], "short_name": row["short_name"][:120], "kind": row["kind"], "is_active": True},
        )
        organisations[row["code"]].territories.set([territories[c] for c in row.get("territories", []) if c in territories])
    _actor(config.operator_username(), "Оператор воспроизведения", Role.REGIONAL_OPERATOR, None)
    for code, organisation in organisations.items():
        _actor(config.coordinator_username(code), "Координатор (история портала)", Role.COORDINATOR, organisation)
    return {
        "territories": len(raw["territories"]),
        "categories": len(raw["categories"]),
        "organisations": len(raw["organisations"]),
        "users": len(organisations) + 1,
    }


def _actor(username: str, label: str, role: str, organisation: Organisation | None):
    """A user the replay acts as: it has a role (the services check it) but no password, so
    nobody can sign in as it."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, first_name=label[:150])
        user.set_unusable_password()
        user.save()
    Membership.objects.update_or_create(user=user, defaults={"role": role, "organisation": organisation, "queue": None})
    return user


@dataclass
class Actors:
    """The replay's users, read once per run."""

    operator: object
    coordinators: dict[str, object]  # organisation code -> user

    @classmethod
    def of(cls, config: RegionConfig) -> Actors:
        User = get_user_model()
        operator = User.objects.select_related("membership").get(username=config.operator_username())
        prefix = config.coordinator_username("")
        coordinators = {
            u.username[len(prefix) :]: u
            for u in User.objects.filter(username__startswith=prefix).exclude(pk=operator.pk).select_related("membership")
        }
        return cls(operator, coordinators)
