"""A monitoring source's own key: `Authorization: Bearer <key>` on the event API.

Only a SHA-256 hash and the first characters are stored; the key itself is shown once, when it is
issued (the admin's action, `tsur monitoring issue-key SOURCE`). Issuing a new key replaces the
old one at once. Every issue is recorded in the admin's history (who, when, which source) and in
the log, never the key.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from tsur.monitoring.models import Source

log = logging.getLogger(__name__)
PREFIX = "tsm_"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def issue_key(source: Source, *, actor=None, raw: str | None = None) -> str:
    """A new key for `source` (the previous one stops working); returns it, the only time it is
    seen. `raw`: a fixed key (the demo's), else a random one."""
    raw = raw or PREFIX + secrets.token_urlsafe(32)
    if len(raw) < 24:
        raise ValueError("a source key must be at least 24 characters")
    source.key_prefix, source.key_hash = raw[:12], hash_key(raw)
    Source.objects.filter(pk=source.pk).update(key_prefix=source.key_prefix, key_hash=source.key_hash)
    if actor is not None and getattr(actor, "pk", None):
        LogEntry.objects.create(
            user_id=actor.pk,
            content_type=ContentType.objects.get_for_model(Source),
            object_id=str(source.pk),
            object_repr=str(source)[:200],
            action_flag=CHANGE,
            change_message=f"Выпущен новый ключ источника (начало: {source.key_prefix}…)",
        )
    log.info("monitoring source %s: a new key issued (prefix %s)", source.code, source.key_prefix)
    return raw


def source_for_key(raw: str | None) -> Source | None:
    """The source this key belongs to (active or not: the caller tells a stopped source apart), or None."""
    raw = (raw or "").strip()
    if not raw:
        return None
    return Source.objects.filter(key_hash=hash_key(raw)).exclude(key_hash="").first()
