"""GET /api/openapi.json, which anybody may send, builds the schema once per process (it took
~270 ms every time); every answer is the same, and a caller changing its copy changes no other."""

from __future__ import annotations

import ninja.main

from tsur.intake.api import api


def test_the_schema_is_built_once_and_handed_out_as_copies(client, db, monkeypatch):
    api.__dict__.pop("_tsur_schemas", None)
    builds = []
    real = ninja.main.get_schema
    monkeypatch.setattr(ninja.main, "get_schema", lambda **kw: builds.append(kw) or real(**kw))
    first = client.get("/api/openapi.json")
    second = client.get("/api/openapi.json")
    assert first.status_code == second.status_code == 200 and first.content == second.content
    assert len(builds) == 1
    mine = api.get_openapi_schema()
    mine["paths"].clear()
    assert api.get_openapi_schema()["paths"] and len(builds) == 1
    assert client.get("/api/openapi.json").content == first.content
