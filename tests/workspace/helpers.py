"""Helpers for workspace tests: log a named user in, open a card, post an action with a version."""

from __future__ import annotations

from django.urls import reverse

from tsur.appeals.models import Appeal


class Desk:
    """The Django test client acting as one user at a time."""

    def __init__(self, client):
        self.client = client

    def as_(self, user) -> Desk:
        self.client.force_login(user)
        return self

    def queue(self, **params):
        return self.client.get(reverse("workspace:queue"), params)

    def card(self, appeal: Appeal, **headers):
        return self.client.get(reverse("workspace:card", args=[appeal.number]), **headers)

    def act(self, appeal: Appeal, name: str, data: dict | None = None, *, version: int | None = None, htmx: bool = False):
        appeal.refresh_from_db()
        payload = {f"{name}-{k}": v for k, v in (data or {}).items()}
        payload["version"] = appeal.version if version is None else version
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        return self.client.post(reverse("workspace:act", args=[appeal.number, name]), payload, **headers)


def numbers(response) -> set[str]:
    """Appeal numbers listed in a queue response."""
    return {row["appeal"].number for row in response.context["rows"]}
