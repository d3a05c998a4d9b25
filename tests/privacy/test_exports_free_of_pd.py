"""Every export and analytics output is free of residents' personal data (152-FZ).

Known distinctive values (name, phone, e-mail, account link, also typed inside the appeal's text
and a resident's message) are planted on appeals at every stage of their life; then every
export-like URL (found by walking the URL patterns) and the command-line exports are fetched,
XLSX and PDF parsed, and the values searched for. A new export-like URL that this file does not
list fails the test: decide how it is fetched, or say why it may show personal data.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.privacy.helpers import NEEDLES, PLANTED, appeal_at, closed_appeal
from tsur.appeals import services
from tsur.appeals.models import Resident

EXPORT_LIKE = re.compile(r"export|csv|xlsx|pdf|report|feed|map|geojson|open311|georeport|public|json|download|dashboard|kpi|tension", re.I)

# route name -> list of (user fixture name or None for anonymous, kwargs, query)
FETCHED = {
    "workspace:center_kpi_export": [("analyst", {"kind": "csv"}, {}), ("analyst", {"kind": "xlsx"}, {})],
    "workspace:center_appeals_export": [("analyst", {"kind": "csv"}, {}), ("analyst", {"kind": "xlsx"}, {})],
    "workspace:center_map": [("analyst", {}, {})],
    "workspace:center_map_data": [("analyst", {}, {})],
    "workspace:center_reports": [("analyst", {}, {})],
    "workspace:center_weekly": [("analyst", {}, {})],
    "workspace:center_weekly_pdf": [("analyst", {}, {})],
    "workspace:center_dashboard": [("analyst", {}, {})],
    "workspace:center_kpi": [("analyst", {}, {})],
    "workspace:center_tension": [("analyst", {}, {})],
    "open311:services": [(None, {"fmt": "json"}, {})],
    "open311:requests": [(None, {"fmt": "json"}, {}), (None, {"fmt": "xml"}, {})],
    "intake:boundaries": [(None, {}, {})],
    "intake:places": [(None, {}, {"q": "Лен"})],
    "api:openapi-json": [(None, {}, {})],
    "open311:openapi": [(None, {}, {})],
}
# Fetched per appeal below (they need its id), or not exports for the reason given.
ELSEWHERE = {
    "open311:request": "fetched for every planted appeal below",
    "open311:service": "a service definition: categories only, no appeal is read",
    "open311:not-found": "the Open311 404",
    "workspace:center_weekly_store": "POST that stores weekly.pdf; the stored file is fetched below",
    "workspace:center_report_file": "fetched below after storing the weekly report",
    "workspace:poll_results_export": "poll ballots carry no identity (tsur.polls.models): no resident value can reach it",
    "api:public_status": "the resident's own appeal, by its private key",
    "api:public_rating": "the resident rates their own appeal (POST)",
    "api:public_reply": "the resident answers their own appeal (POST)",
    "intake:status_data": "«Мои данные»: the resident's own data by design, behind the private key",
    "intake:status_data_json": "«Мои данные»: the resident's own data by design, behind the private key",
    "intake:cabinet_data_json": "«Мои данные»: the resident's own data by design, for the signed-in resident",
    "api:appeal-extension-request": "a staff action (POST); matched by «tension» in «extension»",
    "api:appeal-extension-decision": "a staff action (POST); matched by «tension» in «extension»",
    "workspace:center_tension_point": "a point's page: its appeals by number and masked text (tests/tension)",
    "workspace:center_tension_acknowledge": "POST action on a point",
    "workspace:center_tension_assign": "POST action on a point",
    "workspace:center_tension_dismiss": "POST action on a point",
}


def _routes(patterns, prefix: str = "", ns: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern), ns + (f"{p.namespace}:" if p.namespace else ""))
        else:
            yield prefix + str(p.pattern), ns + (p.name or "")


def export_like_routes() -> dict[str, str]:
    return {
        name: route
        for route, name in _routes(get_resolver().url_patterns)
        if not route.startswith("admin/") and EXPORT_LIKE.search(f"{route} {name}")
    }


def text_of(body: bytes, content_type: str) -> str:
    """What a reader of this output sees: XLSX cells, PDF text, or the text itself."""
    if body[:2] == b"PK":  # XLSX: every shared string and inline cell, without openpyxl's styles
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    if body[:4] == b"%PDF":
        if shutil.which("pdftotext") is None:
            pytest.skip("pdftotext (poppler-utils) is not installed: PDF exports cannot be read")
        out = subprocess.run(["pdftotext", "-", "-"], input=body, capture_output=True, check=True).stdout
        return out.decode("utf-8", "replace")
    return body.decode("utf-8", "replace")


def found_needles(text: str) -> list[str]:
    folded = re.sub(r"\s+", " ", text).casefold()
    digits = re.sub(r"\D", "", text)
    hits = [n for n in NEEDLES if n.casefold() in folded]
    return hits + (["phone digits"] if "9771317283" in digits else [])


def test_every_export_like_url_is_listed():
    unknown = sorted(set(export_like_routes()) - set(FETCHED) - set(ELSEWHERE))
    assert unknown == [], f"new export-like URLs: decide how this test fetches them: {unknown}"


@pytest.fixture
def planted(world):
    now = timezone.now()
    start = now - dt.timedelta(days=3)
    appeals = [closed_appeal(world, start), appeal_at(world, start), appeal_at(world, start + dt.timedelta(hours=1))]
    services.route_appeal(appeals[2].pk, world.operator, organisation_code="roads-min") if appeals[2].status == "moderation" else None
    rejected = appeal_at(world, start)
    services.reject_appeal(rejected.pk, world.operator, reason_code="other", note="Проверка")
    appeals.append(rejected)
    services.add_resident_message(appeals[1], text=f"Это снова {PLANTED['name']}, мой номер {PLANTED['phone']}", photos=[], source="status_page")
    Resident.objects.filter(pk__in=[a.resident_id for a in appeals]).update(account_link=PLANTED["account_link"])
    call_command("analytics", "rebuild")
    return appeals


def test_no_export_holds_the_planted_personal_data(client, world, planted, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    leaks: dict[str, list[str]] = {}

    def fetch(label: str, username: str | None, url: str, *, method: str = "get", missing_ok: bool = False) -> bytes:
        client.logout()
        if username:
            client.force_login(getattr(world, username))
        response = getattr(client, method)(url)
        assert response.status_code in ((200, 302, 404) if missing_ok else (200, 302)), (label, url, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        hits = found_needles(text_of(body, response.get("Content-Type", "")))
        if hits:
            leaks[f"{label} {url}"] = hits
        return body

    today = timezone.localdate()
    window = f"date_from={today - dt.timedelta(days=30)}&date_to={today}"
    for name, calls in FETCHED.items():
        for username, kwargs, query in calls:
            url = reverse(name, kwargs=kwargs)
            q = "&".join(f"{k}={v}" for k, v in query.items())
            fetch(name, username, f"{url}?{window}{'&' + q if q else ''}")
    for a in planted:
        # An appeal not public yet answers 404.
        fetch("open311:request", None, reverse("open311:request", kwargs={"request_id": a.number, "fmt": "json"}), missing_ok=True)
    fetch("workspace:center_weekly_store", "operator", reverse("workspace:center_weekly_store"), method="post")
    for stored in Path(tmp_path).rglob("*.pdf"):
        leaks.update({f"stored {stored.name}": h for h in [found_needles(text_of(stored.read_bytes(), ""))] if h})
    # The command-line exports.
    out = tmp_path / "corrections.jsonl"
    call_command("triage_corrections", "--out", str(out))
    if found_needles(out.read_text(encoding="utf-8")):
        leaks["tsur triage_corrections"] = found_needles(out.read_text(encoding="utf-8"))
    call_command("weekly_report", stdout=io.StringIO())
    assert list(Path(tmp_path).rglob("*.pdf")), "no stored weekly report was found to read"
    for stored in Path(tmp_path).rglob("*.pdf"):
        leaks.update({f"tsur weekly_report {stored.name}": h for h in [found_needles(text_of(stored.read_bytes(), ""))] if h})
    assert leaks == {}


def test_the_search_finds_a_planted_value_where_personal_data_is_shown(client, world, planted):
    """The needle search is not blind: the card, which may show contacts, has them."""
    client.force_login(world.operator)
    body = client.get(reverse("workspace:card", args=[planted[1].number])).content.decode()
    assert "Зеленопупкин" in found_needles(body)
