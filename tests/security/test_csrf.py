"""CSRF: every page that takes a POST refuses one without a token (403, the Russian «Форма
устарела» page) and changes nothing, whoever sends it; the API refuses a logged-in session's
unsafe request without the token; the only views exempt from Django's check are the listed ones,
each with the reason it is safe."""

from __future__ import annotations

import json

from tests.security.access_matrix import ROWS
from tests.security.matrix_runner import fingerprint, route_of, walk_routes
from tests.security.scene import build_scene
from tsur.appeals.models import Appeal

# Views exempt from Django's CSRF check, and why each is safe. A new exempt view fails
# test_only_the_listed_views_are_csrf_exempt until it is added here with its reason.
EXEMPT = {
    # Open311 clients authenticate with api_key; no cookie carries authority there.
    "tsur.intake.open311.services": "Open311: read-only, public",
    "tsur.intake.open311.service_definition": "Open311: read-only, public",
    "tsur.intake.open311.requests": "Open311: POST needs the client's api_key",
    "tsur.intake.open311.request_detail": "Open311: read-only, public",
    "tsur.intake.open311.not_found": "Open311: answers 404 to anything",
    # Framed in official sites, where the browser withholds our cookies: a signed, time-limited
    # form token (tsur.intake.forms.issue_form_token) replaces the CSRF cookie.
    "tsur.intake.views.widget": "the resident widget: signed form token",
    "tsur.intake.polls.poll_code": "a poll's code request: signed form token",
    "tsur.intake.polls.poll_vote": "a poll's vote: signed form token",
}
# Django Ninja marks its operations exempt and checks CSRF itself for logged-in sessions
# (tsur.intake.api_auth.Session): test_the_api_refuses_a_session_post_without_a_token.
NINJA = "ninja.operation"


def _name(view) -> str:
    return f"{view.__module__}.{getattr(view, '__name__', '')}"


def test_only_the_listed_views_are_csrf_exempt():
    exempt = {_name(view) for _route, view in walk_routes() if getattr(view, "csrf_exempt", False)}
    exempt = {name for name in exempt if not name.startswith(NINJA)}
    assert exempt == set(EXEMPT), (
        f"CSRF-exempt views not in tests/security/test_csrf.py EXEMPT (say why each is safe): {sorted(exempt - set(EXEMPT))}; "
        f"listed but no longer exempt: {sorted(set(EXEMPT) - exempt)}"
    )


def test_every_form_refuses_a_post_without_a_token_and_changes_nothing(db, settings):
    """Every URL pattern of the site outside the API and the exempt views, POSTed without a
    token by a visitor, a resident and an administrator (the one who may do most)."""
    settings.AXES_ENABLED = False
    scene = build_scene()
    params = scene.params()
    urls = {}
    for row in ROWS:
        if row.api:
            continue
        url = row.url.format(**params)
        view = _view_of(url)
        if getattr(view, "csrf_exempt", False):
            continue
        urls.setdefault(route_of(url), url)
    assert len(urls) > 80  # the walk found the site, not an empty list
    before = fingerprint()
    wrong = []
    for actor in ("anon", "resident", "admin"):
        client = scene.client(actor, csrf=True)
        for route, url in sorted(urls.items()):
            response = client.post(url, {"text": "Подделанный запрос", "reason": "подделка"})
            # People read the Russian page; machines (the API's and Open311's pages) the JSON error.
            machine = url.startswith(("/api/", "/open311/"))
            body = response.get("Content-Type", "") if machine else response.content.decode()
            refused = ("application/json" if machine else "Форма устарела") in body
            if response.status_code != 403 or not refused:
                wrong.append(f"{actor} POST {url} ({route}): {response.status_code}")
    assert not wrong, "POST without a CSRF token not refused:\n" + "\n".join(wrong)
    assert fingerprint() == before


def _view_of(url: str):
    from django.urls import resolve

    return resolve(url.split("?", 1)[0]).func


def test_the_api_refuses_a_session_post_without_a_token(db, settings):
    scene = build_scene()
    a = scene.appeal
    before = fingerprint()
    client = scene.client("operator", csrf=True)
    for url, body in (
        ("/api/appeals", {"text": "Подделанное обращение от имени оператора", "category": "pothole", "territory": "city"}),
        (f"/api/appeals/{a.number}/return-to-moderation", {"version": a.version, "reason": "подделка"}),
        (f"/api/appeals/{scene.problem_appeal.number}/route", {"version": scene.problem_appeal.version}),
    ):
        response = client.post(url, json.dumps(body), content_type="application/json")
        assert response.status_code == 403, (url, response.content)
        assert response.json()["code"] == "csrf_failed" and "CSRF" in response.json()["message"]
    assert fingerprint() == before
    # The same request with the token goes through: the refusal above was the token's.
    scene.problem_appeal.refresh_from_db()
    client.get("/workspace/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/api/appeals/{scene.problem_appeal.number}/route", json.dumps({"version": scene.problem_appeal.version}),
        content_type="application/json", headers={"X-CSRFToken": token},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert Appeal.objects.get(pk=scene.problem_appeal.pk).status == "routed"


def test_the_exempt_resident_forms_refuse_a_post_without_their_form_token(db, settings, still_rate_clock):
    scene = build_scene()
    before = fingerprint()
    client = scene.client("anon", csrf=True)
    widget = client.post(
        "/widget/", {"text": "Большая яма у остановки, машины бьют колёса", "category": "pothole", "territory": "city", "email": "a@example.org"}
    )
    assert widget.status_code in (400, 422) and "обновите" in widget.content.decode().lower(), widget.status_code
    token = scene.poll.token
    for url in (f"/polls/{token}/code/", f"/polls/{token}/vote/", f"/widget/polls/{token}/vote/"):
        response = client.post(url, {"contact": "a@example.org"})
        assert 400 <= response.status_code < 500, (url, response.status_code)
    assert fingerprint() == before
