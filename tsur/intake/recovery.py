"""«Не помню ссылку»: a resident who lost the private link to their appeal gets it again, sent to
the contact they gave with the appeal — never shown on the page.

- With the appeal's number and the e-mail or phone given with it: that appeal's link.
- With the contact alone: the links of all the appeals sent with it (the newest MAX_LINKS).

The page answers the same neutral text whether anything matched or not, so nobody learns from it
whose appeals exist (no enumeration); the sending happens in a background task, so the answer
takes the same time too. Requests are counted per client address and per contact
(`tsur.core.throttle`); each appeal whose link went out gets an audit event without the contact.
An e-mail goes through Django's mail settings; a phone number through the SMS sender named by
TSUR_LINK_SMS_SENDER (the default writes VAR_DIR/outbox/status-links.jsonl, as poll codes do —
development and the demo only). A social-network author who gave no e-mail or phone matches
nothing: there is no contact of theirs we could prove the link goes to.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.module_loading import import_string
from django.views.decorators.http import require_http_methods

from tsur.appeals.models import Appeal
from tsur.appeals.services import record_status_links_sent, status_url
from tsur.core import clock, tasks
from tsur.core.clients import client_ip
from tsur.core.throttle import Throttled, count, period_ru
from tsur.intake.resident_forms import RecoveryForm, phone_digits
from tsur.intake.views import _base_context

log = logging.getLogger(__name__)

EMAIL, PHONE = "email", "phone"
MAX_LINKS = 20
NEUTRAL_REPLY = (
    "Если указанные данные совпадают с данными обращения, мы отправили персональную ссылку на электронную почту "
    "или телефон из обращения. Письмо или сообщение придёт в течение нескольких минут."
)


class SmsSender(Protocol):
    def send(self, *, phone: str, text: str) -> None:
        """Deliver a text message or raise (the task logs the failure without the number)."""


class OutboxSmsSender:
    """Development and the demo: one JSON line per message in VAR_DIR/outbox/status-links.jsonl."""

    _lock = threading.Lock()

    @staticmethod
    def path() -> Path:
        return Path(settings.VAR_DIR) / "outbox" / "status-links.jsonl"

    def send(self, *, phone: str, text: str) -> None:
        path = self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"at": clock.now().isoformat(), "kind": PHONE, "to": phone, "text": text}, ensure_ascii=False)
        with self._lock, path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")


def sms_sender() -> SmsSender:
    return import_string(settings.TSUR_LINK_SMS_SENDER)()


# --- matching -------------------------------------------------------------------------------------


def _phone_regex(digits: str) -> str:
    """A pattern matching a stored phone with these digits whatever its separators, with the
    country's «+7» or «8» prefix or without it (SQLite and PostgreSQL both read it)."""
    national = digits[1:] if len(digits) == 11 and digits[0] == "7" else digits
    return r"^\D*(\+?7|8)?\D*" + r"\D*".join(national) + r"\D*$"


def matching_appeals(contact: str, kind: str, *, number: str = "") -> list[Appeal]:
    """The appeals sent with this contact (and this number, when given), newest first."""
    qs = Appeal.objects.exclude(resident=None)
    if kind == EMAIL:
        qs = qs.filter(resident__email__iexact=contact)
    else:
        digits = phone_digits(contact)
        qs = qs.exclude(resident__phone="").filter(resident__phone__regex=_phone_regex(digits))
    if number:
        qs = qs.filter(number=number)
    rows = list(qs.select_related("resident").order_by("-received_at", "-pk")[:MAX_LINKS])
    if kind == PHONE:  # the pattern is generous with separators; the digits must be the same
        rows = [a for a in rows if phone_digits(a.resident.phone) == phone_digits(contact)]
    return rows


# --- throttling -----------------------------------------------------------------------------------


def _contact_key(contact: str, kind: str) -> str:
    """The contact as the rate-limit cache counts it: hashed, so the cache holds no personal data."""
    normal = contact.lower() if kind == EMAIL else phone_digits(contact)
    return hashlib.sha256(f"{settings.SECRET_KEY}:recovery:{normal}".encode()).hexdigest()[:32]


def check_rate(request: HttpRequest, contact: str, kind: str) -> None:
    """Count the request per client address and per contact; raise Throttled over either limit.
    Counted whether or not the contact matches, so the limit itself reveals nothing."""
    checks = (
        ("tsur-recovery-ip", f"ip:{client_ip(request) or 'unknown'}", settings.TSUR_RATE_LINK_RECOVERY_ADDRESS),
        ("tsur-recovery-contact", f"contact:{_contact_key(contact, kind)}", settings.TSUR_RATE_LINK_RECOVERY_CONTACT),
    )
    for group, who, rates in checks:
        exceeded = count(group, who, rates, request=request)
        if exceeded is not None:
            rate, wait = exceeded
            raise Throttled(f"Слишком много запросов ссылки: не более {period_ru(rate)}. Повторите попытку через {wait} с.", retry_after=wait)


# --- the request and the sending --------------------------------------------------------------------


def request_links(request: HttpRequest, *, contact: str, kind: str, number: str = "") -> int:
    """Count the request, find the appeals and, after commit, send their links to the contact the
    appeals carry. Returns how many matched (for tests and the log; never shown on the page)."""
    check_rate(request, contact, kind)
    appeals = matching_appeals(contact, kind, number=number)
    if not appeals:
        return 0
    with transaction.atomic():
        record_status_links_sent(appeals, via=kind)
        ids = [a.pk for a in appeals]
        # The task reads the address from the appeal's own record: the queue carries no personal data.
        transaction.on_commit(lambda: tasks.enqueue("send_status_links", kind, ids))
    return len(appeals)


def links_text(appeals: list[Appeal]) -> str:
    lines = [f"№ {a.number}: {status_url(a)}" for a in appeals]
    head = "Персональная ссылка на ваше обращение" if len(appeals) == 1 else "Персональные ссылки на ваши обращения"
    return (
        f"{head} (запрошено на сайте Центра управления регионом):\n\n"
        + "\n".join(lines)
        + ("\n\nЕсли вы не запрашивали ссылку, просто не отвечайте на это сообщение. Никому не пересылайте ссылку: она открывает обращение.")
    )


@tasks.background("send_status_links")
def send_status_links(kind: str, appeal_ids: list[int]) -> int:
    """Send the links of these appeals to the contact they were sent with (one message per
    contact). Returns the number of messages sent; a failure is logged without the contact."""
    appeals = list(Appeal.objects.filter(pk__in=appeal_ids).select_related("resident").order_by("-received_at", "-pk"))
    by_contact: dict[str, list[Appeal]] = {}
    for a in appeals:
        contact = a.resident.email if kind == EMAIL else a.resident.phone
        if contact:
            key = contact.lower() if kind == EMAIL else phone_digits(contact)
            by_contact.setdefault(key, []).append(a)
    sent = 0
    for group in by_contact.values():
        text = links_text(group)
        try:
            if kind == EMAIL:
                send_mail("Ссылка на ваше обращение", text, settings.DEFAULT_FROM_EMAIL, [group[0].resident.email])
            else:
                sms_sender().send(phone=group[0].resident.phone, text=text)
        except Exception as exc:  # one contact's failure must not stop the others
            # Only the error's class: a mail or SMS error's text can carry the address (152-FZ).
            log.error("status links not sent (%s, %d appeals): %s", kind, len(group), type(exc).__name__)
            continue
        sent += 1
    return sent


# --- the page -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def status_recover(request: HttpRequest) -> HttpResponse:
    """«Не помню ссылку»: the form, and after it the same neutral answer whatever matched."""
    ctx = _base_context(request)
    if request.method == "GET":
        ctx["form"] = RecoveryForm(initial={"number": request.GET.get("number", "")})
        return render(request, "intake/status_recover.html", ctx)
    form = RecoveryForm(request.POST)
    ctx["form"] = form
    if not form.is_valid():
        return render(request, "intake/status_recover.html", ctx, status=400)
    try:
        request_links(request, contact=form.cleaned_data["contact"], kind=form.kind, number=form.cleaned_data["number"])
    except Throttled as exc:
        ctx["throttled"] = exc.message
        response = render(request, "intake/status_recover.html", ctx, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    ctx.update(sent=True, reply=NEUTRAL_REPLY)
    response = render(request, "intake/status_recover.html", ctx)
    response["Cache-Control"] = "private, no-store"
    return response
