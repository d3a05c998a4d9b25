"""A bare Django Ninja API for `tsur bench load`: what the same server answers with no database,
no authentication and no domain work, so the intake's throughput can be read as a share of it.

Mounted at /bench/ only when TSUR_BENCH_ENDPOINTS=1 (tsur/urls.py); never in production.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI, Schema, Status

bench_api = NinjaAPI(title="bench", urls_namespace="bench", docs_url=None, openapi_url=None)


class EchoIn(Schema):
    text: str
    category: str = ""
    external_id: str = ""


class EchoOut(Schema):
    number: str
    length: int


@bench_api.get("/ping")
def ping(request: HttpRequest) -> dict:
    return {"ok": True}


@bench_api.post("/appeals", response={201: EchoOut})
def echo(request: HttpRequest, payload: EchoIn):
    """The shape of POST /api/appeals (a JSON body parsed and validated, 201 with a JSON reply),
    nothing written."""
    return Status(201, {"number": "0000-000000", "length": len(payload.text)})
