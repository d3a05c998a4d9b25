"""Security headers on every page of the access matrix, fetched over HTTPS by an actor allowed to
see it: a Content-Security-Policy without eval or inline scripts, framing only by this site (the
widget by the configured sites), nosniff, a Referrer-Policy, HSTS, no caching of pages with
personal data, and cookies that are Secure, HttpOnly where scripts need not read them, SameSite."""

from __future__ import annotations

import pytest

from tests.security.access_matrix import ROWS
from tests.security.scene import KEY_ACTORS, SESSION_ACTORS, build_scene

# Pages one reader was allowed to see — answered to a session or a key, or opened by an appeal's
# private key — may not be kept by a shared cache (tsur.core.middleware.PrivatePagesMiddleware).
PRIVATE_BY_KEY = ("/status/", "/cabinet/", "/attachments/", "/widget/done/", "/api/public/")


def _personal(url: str, actor: str) -> bool:
    path = url.split("?", 1)[0]
    return actor != "anon" or (path.startswith(PRIVATE_BY_KEY) and path.count("/") > 3)
FRAMED = ("/widget/",)  # embedded by official sites: CSP frame-ancestors instead of X-Frame-Options


def _directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.fixture
def https(settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_SSL_REDIRECT = False
    settings.AXES_ENABLED = False


def _pages(scene):
    """(url, actor) for every GET row, as the first actor the matrix allows."""
    params = scene.params()
    for row in ROWS:
        if row.method != "GET":
            continue
        actors = SESSION_ACTORS + KEY_ACTORS if row.api else SESSION_ACTORS
        allowed = [a for a, cell in zip(actors, row.cells, strict=True) if cell == "ok"]
        if allowed:
            yield row.url.format(**params), allowed[0]


def test_every_page_carries_the_security_headers(db, https, settings):
    assert "tsur.core.middleware.PrivatePagesMiddleware" in settings.MIDDLEWARE, "wire PrivatePagesMiddleware in tsur/settings.py"
    scene = build_scene()
    wrong = []
    checked = 0
    for url, actor in _pages(scene):
        response = scene.client(actor if actor not in KEY_ACTORS else "anon").get(url, secure=True, headers=scene.key_header(actor))
        if response.status_code != 200:
            wrong.append(f"{url} as {actor}: {response.status_code}, not a page to check")
            continue
        checked += 1
        problems = []
        html = response.get("Content-Type", "").startswith("text/html")
        csp = _directives(response.get("Content-Security-Policy", ""))
        if html and not csp:
            problems.append("no Content-Security-Policy")
        scripts = csp.get("script-src", csp.get("default-src", []))
        if "'unsafe-eval'" in sum(csp.values(), []) or "'unsafe-inline'" in scripts:
            problems.append(f"CSP allows eval or inline scripts: {response.get('Content-Security-Policy')}")
        if url.startswith(FRAMED):
            if html and "frame-ancestors" not in csp:
                problems.append("the framed widget has no frame-ancestors")
        elif response.get("X-Frame-Options") not in ("DENY", "SAMEORIGIN") and "frame-ancestors" not in csp:
            problems.append(f"X-Frame-Options {response.get('X-Frame-Options')!r}")
        if response.get("X-Content-Type-Options") != "nosniff":
            problems.append("no nosniff")
        if not response.get("Referrer-Policy"):
            problems.append("no Referrer-Policy")
        if not response.get("Strict-Transport-Security", "").startswith("max-age=31536000"):
            problems.append("no HSTS")
        cache = response.get("Cache-Control", "")
        if _personal(url, actor) and not ("private" in cache or "no-store" in cache):
            problems.append(f"personal data with Cache-Control {cache!r}")
        for name, cookie in response.cookies.items():
            if not cookie["secure"] or cookie["samesite"] not in ("Lax", "Strict"):
                problems.append(f"cookie {name} not Secure/SameSite")
            if name == "sessionid" and not cookie["httponly"]:
                problems.append("session cookie readable by scripts")
        if problems:
            wrong.append(f"{url} as {actor}: " + "; ".join(problems))
    assert checked > 60
    assert not wrong, "Security headers missing:\n" + "\n".join(wrong)


def test_the_login_sets_secure_cookies(db, https):
    scene = build_scene()
    from django.test import Client

    client = Client()
    page = client.get("/accounts/login/", secure=True)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    response = client.post(
        "/accounts/login/", {"username": "operator", "password": "pass-12345"}, secure=True
    )
    assert response.status_code == 302, response.status_code
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert scene.users["operator"].pk == int(client.session["_auth_user_id"])
