"""The interactive API docs without a CDN.

Ninja renders Swagger UI from a CDN unless "ninja" is an installed app. Its package does ship the
Swagger UI files, so this page and a tiny asset route serve those files from the package itself:
the docs work on a closed network.
"""

from __future__ import annotations

import json
from pathlib import Path

import ninja
from django.http import FileResponse, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import escape
from ninja import Router
from ninja.openapi.docs import DocsBase

from tsur.core.errors import NotFound

ASSETS_DIR = Path(ninja.__file__).parent / "static" / "ninja"
ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-init.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}

router = Router()


@router.get("/docs/assets/{name}", auth=None, include_in_schema=False, url_name="docs-asset")
def docs_asset(request: HttpRequest, name: str):
    if name not in ASSETS:
        raise NotFound("Файл не найден.")
    response = FileResponse((ASSETS_DIR / name).open("rb"), content_type=ASSETS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response


class LocalSwagger(DocsBase):
    settings = {"layout": "BaseLayout", "deepLinking": True, "validatorUrl": None, "persistAuthorization": True}

    def render_page(self, request: HttpRequest, api, **kwargs) -> HttpResponse:
        ns = api.urls_namespace

        def asset(name: str) -> str:
            return escape(reverse(f"{ns}:docs-asset", kwargs={"name": name}))

        config = dict(self.settings, url=self.get_openapi_url(api, kwargs))
        # JSON inside <script>: "<" escaped so no value can close the tag.
        config_json = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c")
        html = f"""<!DOCTYPE html>
<html lang="ru">
<head>
<meta charset="utf-8">
<title>{escape(api.title)} — документация</title>
<link rel="icon" href="{asset("favicon.png")}">
<link rel="stylesheet" href="{asset("swagger-ui.css")}">
</head>
<body data-csrf-token="{escape(get_token(request))}" data-api-csrf="true">
<script type="application/json" id="swagger-settings">{config_json}</script>
<div id="swagger-ui"></div>
<script src="{asset("swagger-ui-bundle.js")}"></script>
<script src="{asset("swagger-ui-init.js")}"></script>
</body>
</html>
"""
        return HttpResponse(html, content_type="text/html; charset=utf-8")
