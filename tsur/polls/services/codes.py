"""One-time codes to a phone or an e-mail: how a resident without an account proves a contact.

Only HMACs of the contact and the code are stored; the contact itself goes to the sender and
nowhere else. Limits: per client address (cache, tsur.polls.throttle), per contact (a pause
between two codes, a number per hour, counted over all polls in the database), per poll (a
number per minute: a flood of requests costs the region money per SMS).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F

from tsur.core import clock
from tsur.core.throttle import Throttled
from tsur.lib.ru import plural
from tsur.polls import senders
from tsur.polls.errors import AlreadyVoted, CodeRefused, ContactKindUnsupported, VerificationRequired
from tsur.polls.models import Audience, Ballot, ContactKind, Poll, PollEvent, Verification, VerificationCode
from tsur.polls.services.audit import record
from tsur.polls.services.identity import Identity, IdentityKind, code_hash, contact_key, normalise_contact, voter_key
from tsur.polls.services.voting import require_open
from tsur.polls.throttle import check_code_request

CODE_DIGITS = 6


def _ttl() -> dt.timedelta:
    return dt.timedelta(minutes=settings.TSUR_POLL_CODE_TTL_MINUTES)


def _hashed(code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    return f"{salt}${code_hash(salt, code)}"


def _matches(stored: str, code: str) -> bool:
    salt, _, _digest = stored.partition("$")
    return secrets.compare_digest(_hashed(code, salt), stored)


def request_code(poll: Poll, contact: str, *, ip: str | None) -> VerificationCode:
    """Send a fresh one-time code for voting in `poll` to a phone or an e-mail."""
    if poll.audience == Audience.INVITED:
        raise VerificationRequired("В этом опросе голосуют жители, получившие приглашение: откройте ссылку из сообщения.", code="invitation_required")
    if poll.verification == Verification.ACCOUNT:
        raise VerificationRequired("В этом опросе голосуют через учётную запись жителя: войдите, чтобы проголосовать.")
    require_open(poll)
    kind, contact_value = normalise_contact(contact)
    sender = senders.get_sender()
    if kind not in sender.kinds:
        other = "адрес электронной почты" if ContactKind.EMAIL in sender.kinds else "номер телефона"
        what = "на телефон" if kind == ContactKind.PHONE else "на электронную почту"
        raise ContactKindUnsupported(f"Отправка кодов {what} не настроена: укажите {other}.", field_errors={"contact": [f"Укажите {other}."]})
    check_code_request(ip)
    key = contact_key(contact_value)
    if Ballot.objects.filter(poll=poll, voter_key=voter_key(poll, Identity(IdentityKind.CONTACT, key))).exists():
        raise AlreadyVoted("Вы уже проголосовали в этом опросе.")
    now = clock.now()
    with transaction.atomic():
        # The contact's recent codes are locked (PostgreSQL), so two simultaneous requests for a
        # contact that already had a code cannot both pass the pause.
        recent = VerificationCode.objects.select_for_update().filter(contact_key=key, created_at__gt=now - dt.timedelta(hours=1))
        recent_list = list(recent.order_by("-created_at").values_list("created_at", flat=True))
        pause = dt.timedelta(seconds=settings.TSUR_POLL_CODE_PAUSE_SECONDS)
        if recent_list and now - recent_list[0] < pause:
            wait = int((pause - (now - recent_list[0])).total_seconds()) + 1
            raise Throttled(
                f"Код уже отправлен. Новый можно запросить через {wait} {plural(wait, 'секунду', 'секунды', 'секунд')}.",
                retry_after=wait,
            )
        per_hour = settings.TSUR_POLL_CODES_PER_CONTACT_HOUR
        if len(recent_list) >= per_hour:
            raise Throttled(
                f"На этот контакт уже отправлено {per_hour} {plural(per_hour, 'код', 'кода', 'кодов')} за час. Повторите попытку позже.",
                retry_after=3600,
            )
        if VerificationCode.objects.filter(poll=poll, created_at__gt=now - dt.timedelta(minutes=1)).count() >= (
            settings.TSUR_POLL_CODES_PER_POLL_MINUTE
        ):
            raise Throttled("Слишком много запросов кода в этом опросе. Повторите через минуту.", retry_after=60)
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        row = VerificationCode(poll=poll, contact_kind=kind, contact_key=key, created_at=now, expires_at=now + _ttl())
        row.code_hash = _hashed(code)
        row.save()
        record(poll, PollEvent.Kind.CODE_SENT, None, contact_kind=kind)
        # Sent inside the transaction: a sender that fails leaves no code behind to count or guess.
        sender.send(kind=kind, contact=contact_value, code=code, poll_title=poll.title, minutes=settings.TSUR_POLL_CODE_TTL_MINUTES)
    return row


def verify_code(poll: Poll, contact: str, code: str) -> Identity:
    """The identity a correct, fresh, unused code proves (used up by the vote it is given to).
    A wrong code counts an attempt, kept even though the call fails."""
    _kind, contact_value = normalise_contact(contact)
    return verify_code_key(poll, contact_key(contact_value), code)


def verify_code_key(poll: Poll, key: str, code: str) -> Identity:
    """`verify_code` for a contact known by its key (the resident pages carry the key between
    the two steps, signed, rather than the contact itself)."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    now = clock.now()
    with transaction.atomic():
        row = VerificationCode.objects.select_for_update().filter(poll=poll, contact_key=key).order_by("-created_at").first()
        refusal = _refusal(row, now)
        if refusal is None and row is not None and not _matches(row.code_hash, code):
            VerificationCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
            left = settings.TSUR_POLL_CODE_ATTEMPTS - row.attempts - 1
            refusal = CodeRefused(
                f"Код неверный. Осталось {left} {plural(left, 'попытка', 'попытки', 'попыток')}."
                if left > 0
                else "Код неверный. Попытки исчерпаны: запросите новый код.",
                code="code_wrong",
            )
        if refusal is not None:
            record(poll, PollEvent.Kind.CODE_REFUSED, None, reason=refusal.code)
    if refusal is not None:
        raise refusal
    return Identity(IdentityKind.CONTACT, key, code_id=row.pk)


def _refusal(row: VerificationCode | None, now: dt.datetime) -> CodeRefused | None:
    if row is None:
        return CodeRefused("Код для этого контакта не запрашивался: сначала получите код.", code="code_missing")
    if row.used_at is not None:
        return CodeRefused("Этот код уже использован. Запросите новый код.", code="code_used")
    if row.expires_at <= now:
        return CodeRefused("Срок действия кода истёк. Запросите новый код.", code="code_expired")
    if row.attempts >= settings.TSUR_POLL_CODE_ATTEMPTS:
        return CodeRefused("Попытки ввода кода исчерпаны: запросите новый код.", code="code_attempts")
    return None
