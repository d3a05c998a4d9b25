"""Requests that earn each error code the monitoring endpoints declare (tests/api/test_contract.py
asks this module for the paths under /api/monitoring/)."""

from __future__ import annotations

import datetime as dt
import json

from django.test import Client

from tsur.core import clock
from tsur.monitoring.keys import issue_key
from tsur.monitoring.models import EventKind, Source

MAPPING = {"fields": {"external_id": "id", "occurred_at": "at"}, "default_kind": "contract-kind"}


def _source(code: str, **extra) -> tuple[Source, str]:
    EventKind.objects.get_or_create(code="contract-kind", defaults={"source_kind": "call112", "name": "Проверка"})
    source, _ = Source.objects.get_or_create(code=code, defaults={"name": code, "kind": "call112", "mapping": MAPPING, **extra})
    return source, issue_key(source)


def earn(method: str, path: str, code: int, settings):
    _source_, key = _source("contract-source")
    url = path.replace("{external_id}", "no-such-event")
    client = Client()

    def send(body: bytes = b"[]", *, key: str | None = key, ctype: str = "application/json", **extra):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        if method == "get":
            return client.get(url, headers=headers)
        return client.post(url, body, content_type=ctype, headers=headers, **extra)

    now = dt.datetime.now(dt.UTC).isoformat()
    good = json.dumps([{"id": "e1", "at": now}]).encode()
    if code == 401:
        return send(key="tsm_revoked_or_never_issued_source_key")
    if code == 403:
        _off, off_key = _source("contract-off", is_active=False)
        return send(good, key=off_key)
    if code == 404:
        return send()
    if code == 400:
        return send(b"[{not json")
    if code == 409:
        _broken, broken_key = _source("contract-broken", mapping={"fields": {}})
        return send(good, key=broken_key)
    if code == 413:
        return send(good, CONTENT_LENGTH=str(settings.TSUR_MAX_REQUEST_BYTES + 1))
    if code == 415:
        return send(good, ctype="text/plain")
    if code == 422:
        return send(b'[{"id": "e2", "at": "never"}]')
    if code == 429:
        _tight, tight_key = _source("contract-tight", rate_per_minute=1)
        with clock.at(dt.datetime.now(dt.UTC)):  # both in one minute of the budget, whatever the wall clock does
            assert send(good, key=tight_key).status_code == 200
            return send(json.dumps([{"id": "e3", "at": now}]).encode(), key=tight_key)
    raise AssertionError(f"no way to earn {code} on {method.upper()} {path}")
