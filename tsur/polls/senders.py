"""Where one-time codes go: a pluggable sender named by the TSUR_POLL_CODE_SENDER setting (a
dotted path to a class). Two ship:

- `OutboxSender` (the demo's and the tests'): appends one JSON line per code to
  TSUR_VAR_DIR/outbox/poll-codes.jsonl. It is the only place in the platform where a resident's
  contact is written down for polls; use it for development and demonstrations only.
- `EmailSender`: sends the code by e-mail through Django's mail settings (phones not supported).

An SMS gateway is another class with the same two members (`kinds`, `send`).
"""

from __future__ import annotations

import json
import logging
import threading
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from tsur.core import clock
from tsur.polls.errors import SenderUnavailable
from tsur.polls.models import ContactKind

log = logging.getLogger(__name__)

__all__ = ["CodeSender", "EmailSender", "OutboxSender", "SenderUnavailable", "get_sender"]


class CodeSender(Protocol):
    kinds: frozenset[str]  # ContactKind values it can send to

    def send(self, *, kind: str, contact: str, code: str, poll_title: str, minutes: int) -> None:
        """Deliver the code or raise SenderUnavailable (with a Russian message for the resident)."""


def message(code: str, poll_title: str, minutes: int) -> str:
    return f"Код для голосования в опросе «{poll_title}»: {code}. Код действует {minutes} мин. Никому его не сообщайте."


class OutboxSender:
    kinds = frozenset({ContactKind.PHONE, ContactKind.EMAIL})
    _lock = threading.Lock()

    @staticmethod
    def path() -> Path:
        return Path(settings.VAR_DIR) / "outbox" / "poll-codes.jsonl"

    def send(self, *, kind: str, contact: str, code: str, poll_title: str, minutes: int) -> None:
        path = self.path()
        line = json.dumps(
            {"at": clock.now().isoformat(), "kind": kind, "to": contact, "code": code, "text": message(code, poll_title, minutes)},
            ensure_ascii=False,
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
        except OSError:
            log.exception("poll code outbox not writable")
            raise SenderUnavailable("Не удалось отправить код. Повторите попытку позже.") from None


class EmailSender:
    kinds = frozenset({ContactKind.EMAIL})

    def send(self, *, kind: str, contact: str, code: str, poll_title: str, minutes: int) -> None:
        try:
            send_mail("Код для голосования", message(code, poll_title, minutes), None, [contact])
        except Exception:  # the contact is not logged: only that sending failed
            log.exception("poll code e-mail not sent")
            raise SenderUnavailable("Не удалось отправить письмо с кодом. Повторите попытку позже.") from None


@lru_cache(maxsize=4)
def _sender_class(path: str) -> type:
    return import_string(path)


def get_sender() -> CodeSender:
    return _sender_class(settings.TSUR_POLL_CODE_SENDER)()


def read_outbox(path: Path | None = None) -> list[dict]:
    """The outbox's lines (tests and the demo read the code a resident would receive)."""
    path = path or OutboxSender.path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
