"""How the access matrix is requested and read: the outcome of one request as a short token, the
URL patterns and API operations that need an entry, and a fingerprint of the rows a refused request
must leave alone."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator

from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from tests.security.access_matrix import ADMIN_FAMILY, REDIRECTS, Row
from tests.security.scene import KEY_ACTORS, SESSION_ACTORS, Scene

LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


def outcome(response: HttpResponse) -> str:
    """ok (2xx), L (sent to a login page), →/path (sent elsewhere), else the status code."""
    code = response.status_code
    if 200 <= code < 300:
        return "ok"
    if code in (301, 302, 303, 307, 308) or (code == 204 and response.get("HX-Redirect")):
        target = response.get("Location") or response.get("HX-Redirect") or ""
        path = target.split("?", 1)[0].removeprefix("http://testserver")
        return "L" if path.startswith(LOGIN_PATHS) else f"→{path}"
    return str(code)


REFUSED = frozenset({"L", "401", "403", "404"})


def actors_of(row: Row) -> tuple[str, ...]:
    return SESSION_ACTORS + KEY_ACTORS if row.api else SESSION_ACTORS


def normalised(token: str, params: dict[str, str]) -> str:
    """A redirect's target with the scene's values named, so a row reads the same in every run."""
    if token.startswith("→"):
        named = {path.format(**params): name for path, name in REDIRECTS.items()}
        path, hash_, fragment = token[1:].partition("#")
        return "→" + named.get(path, path) + hash_ + fragment
    return token


@functools.cache
def action_body(path: str) -> dict:
    """A body an appeal's action accepts, but with version 0: whoever passes the checks of access
    meets a stale version (409) and nothing changes; whoever does not is refused first."""
    from tsur.intake.api import api

    schema = api.get_openapi_schema()
    body = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    values = {"integer": 0, "number": 0, "boolean": False, "string": "проверка доступа", "array": []}
    data = {name: values.get(body["properties"][name].get("type"), "проверка доступа") for name in body.get("required", [])}
    return data | {"version": 0}  # the cache keeps one dict per path: callers only serialise it


def request(scene: Scene, row: Row, actor: str, method: str) -> HttpResponse:
    url = row.url.format(**scene.params())
    # API keys ride on an anonymous client; the session actors' clients skip CSRF checks, as a
    # request carrying a valid token would (tests/security/test_csrf.py sends none).
    client = scene.client(actor if actor not in KEY_ACTORS else "anon")
    headers = scene.key_header(actor)
    if method == "GET":
        return client.get(url, headers=headers)
    if row.api:
        body = action_body(row.url) if row.url.startswith("/api/appeals/{number}/") else {}
        return client.post(url, json.dumps(body), content_type="application/json", headers=headers)
    return client.post(url, {}, headers=headers)


def walk_routes(patterns=None, prefix: str = "") -> Iterator[tuple[str, object]]:
    """Every URL pattern of tsur.urls as its full route and view, however deeply included."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from walk_routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def api_operations() -> Iterator[tuple[str, str]]:
    """Every Django Ninja operation as (method, /api/path) — the hidden ones too."""
    from tsur.intake.api import api

    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for op in view.operations:
                for method in op.methods:
                    yield method, "/api" + prefix + path


def route_of(url: str) -> str:
    # An included regex pattern's own ^ is dropped when Django joins the routes.
    return resolve(url.split("?", 1)[0]).route.replace("^", "")


def _ninja_route(path: str) -> str:
    return path.lstrip("/").replace("{", "<").replace("}", ">")


def missing_entries(rows: list[Row], scene_params: dict[str, str]) -> list[str]:
    """Routes and operations with no row, each with the line to add."""
    from tsur.intake.api import api  # noqa: F401  (the API's URLs are built on import)

    covered_routes = {route_of(r.url.format(**scene_params)) for r in rows if not r.api}
    covered_ops = {(r.method, route_of(r.url.format(**scene_params))) for r in rows if r.api}
    missing = []
    admin_rows = [r for r in rows if r.url.startswith("/admin/")]
    for route, view in walk_routes():
        if route.startswith(ADMIN_FAMILY):
            if not admin_rows:
                missing.append(f"the admin family ({ADMIN_FAMILY}): add at least one Row('GET', '/admin/…', …)")
            continue
        if getattr(view, "__module__", "").startswith("ninja.operation"):
            continue  # API operations are checked one by one below
        if route.replace("^", "") not in covered_routes:
            missing.append(f"URL pattern {route!r} ({view.__module__}.{getattr(view, '__name__', view)}): add Row('GET', '/…', '<outcomes>')")
    for method, path in api_operations():
        if (method, _ninja_route(path)) not in covered_ops:
            template = path.replace("{path:", "{")
            missing.append(f"API operation {method} {path}: add Api({method!r}, {template!r}, '<outcomes>')")
    return missing


def fingerprint() -> tuple:
    """What a refused request could have changed: row counts of every model and the appeals' versions."""
    from django.apps import apps

    from tsur.appeals.models import Appeal

    counts = tuple((m._meta.label, m.objects.count()) for m in apps.get_models() if not m._meta.label.startswith(("sessions.", "axes.")))
    versions = tuple(Appeal.objects.order_by("pk").values_list("pk", "version", "status"))
    return counts, versions
