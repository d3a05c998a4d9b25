"""Requests that earn each error code the poll endpoints declare (tests/api/test_contract.py asks
this module for the paths under /api/polls)."""

from __future__ import annotations

import json

from django.test import Client

from tsur.accounts.models import ApiToken, Scope
from tsur.polls import services
from tsur.polls.models import Poll, QuestionKind, Verification


def _poll(world, title: str, **fields) -> Poll:
    poll = Poll.objects.filter(title=title).first()
    if poll is None:
        poll = services.create_poll(world.operator, title=title, territories=[world.district], **fields)
        services.save_question(poll, world.operator, kind=QuestionKind.SCALE, text="Оценка", scale_min=1, scale_max=5)
        services.publish_poll(poll, world.operator)
    return poll


def _vote(poll: Poll) -> dict:
    return {"territory": "village", "answers": [{"question": poll.questions.get().pk, "value": 4}]}


def earn(method: str, path: str, code: int, settings, world):
    poll = _poll(world, "Проверка контракта")
    url = path.replace("{token}", poll.token)
    client = Client()
    is_vote = path.endswith("/votes")

    def send(body: bytes = b"{}", *, key: str | None = None, ctype: str = "application/json", target: str = url, **extra):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        if method == "get":
            return client.get(target, headers=headers, **extra)
        return client.post(target, body, content_type=ctype, headers=headers, **extra)

    resident = ApiToken.issue(world.resident, "контракт", scopes=[Scope.RESIDENT])[1] if is_vote else None
    if code == 401:
        return send(key="tsur_revoked_or_never_issued")
    if code == 404:
        body = _vote(poll) if is_vote else {"contact": "+79001234567"}
        return send(json.dumps(body).encode(), key=resident, target=path.replace("{token}", "no-such-poll"))
    if code == 422:
        if method == "get":
            return send(target=url + "?territory=nowhere")
        return send(json.dumps({"contact": "12345"}).encode() if not is_vote else b"{}")
    if code == 400:
        return send(b"{not json")
    if code == 413:
        return send(CONTENT_LENGTH=str(settings.TSUR_MAX_REQUEST_BYTES + 1))
    if code == 415:
        return send(b'{"contact": "x"}', ctype="text/plain")
    if code == 403:
        if is_vote:  # nobody verified the vote
            return send(json.dumps(_vote(poll)).encode())
        by_account = _poll(world, "Только для учётных записей", verification=Verification.ACCOUNT)
        return send(json.dumps({"contact": "+79001234567"}).encode(), target=path.replace("{token}", by_account.token))
    if code == 409:
        closed = _poll(world, "Завершённый опрос")
        if closed.status != "closed":
            services.close_poll(closed, world.operator)
        body = _vote(closed) if is_vote else {"contact": "+79001234567"}
        return send(json.dumps(body).encode(), key=resident, target=path.replace("{token}", closed.token))
    if code == 429:
        if is_vote:
            settings.TSUR_RATE_POLL_VOTE_DEVICE = ["1/h"]
            other = ApiToken.issue(world.other_resident, "контракт", scopes=[Scope.RESIDENT])[1]
            first = send(json.dumps(_vote(poll)).encode(), key=other, HTTP_X_DEVICE_ID="contract-device")
            assert first.status_code == 201, first.content
            return send(json.dumps(_vote(poll)).encode(), key=resident, HTTP_X_DEVICE_ID="contract-device")
        settings.TSUR_RATE_POLL_CODE_ADDRESS = ["1/m"]
        first = send(json.dumps({"contact": "+79000000001"}).encode())
        assert first.status_code == 202, first.content
        return send(json.dumps({"contact": "+79000000002"}).encode())
    if code == 503:
        kept, settings.VAR_DIR = settings.VAR_DIR, "/dev/null/not-a-directory"  # the outbox cannot be written
        try:
            return send(json.dumps({"contact": "+79000000003"}).encode())
        finally:
            settings.VAR_DIR = kept
    raise AssertionError(f"no way to earn {code} on {method.upper()} {path}")
