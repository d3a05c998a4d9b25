"""Residents' poll pages: the list of current polls, a poll with its verification step, the
thank-you page with results, and the embed script. Also framed in official sites under /widget/.

The steps carry no server-side session (inside an iframe our cookies are third-party and withheld):
after a code is sent, the page carries a signed proof naming the contact by its key (an HMAC, not
the contact), and the vote posts the code with the answers; a resident's account uses the session
(pages opened on our own site); an invitation's link carries its own token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from tsur.core.clients import client_ip
from tsur.core.errors import DomainError
from tsur.core.throttle import Throttled
from tsur.directory.models import Territory
from tsur.intake.forms import FormTokenError, check_form_token, issue_form_token
from tsur.polls import services
from tsur.polls.errors import PollNotOpen, VerificationRequired
from tsur.polls.models import Audience, Channel, Poll, QuestionKind, Status, Verification
from tsur.polls.services.identity import Identity, IdentityKind, contact_key, normalise_contact, shown_contact
from tsur.polls.services.voting import account_may_vote
from tsur.polls.tally import tally
from tsur.polls.throttle import check_ballot

PROOF_SALT = "tsur.polls.proof"
DEVICE_COOKIE = "tsur_poll_device"
PROOF_EXTRA_SECONDS = 30 * 60  # a resident may take a while over the questions after the code came


# --- helpers --------------------------------------------------------------------------------------


def _region_name() -> str:
    region = Territory.objects.filter(level=Territory.Level.REGION).order_by("pk").first()
    return region.name if region else ""


def _url(name: str, poll: Poll | None, *, embed: bool, **query: str) -> str:
    prefix = "intake:widget_" if embed else "intake:"
    path = reverse(prefix + name, args=[poll.token] if poll is not None else [])
    return path + (f"?{urlencode(query)}" if query else "")


def _poll_or_none(token: str) -> Poll | None:
    return Poll.objects.filter(token=token).exclude(status=Status.DRAFT).first()


def _not_found(request: HttpRequest, embed: bool) -> HttpResponse:
    ctx = {"embed": embed, "region_name": _region_name()}
    return render(request, "intake/polls/not_found.html", ctx, status=404)


def _proof(data: dict) -> str:
    return signing.dumps(data, salt=PROOF_SALT, compress=True)


def _read_proof(raw: str, poll: Poll) -> dict | None:
    max_age = settings.TSUR_POLL_CODE_TTL_MINUTES * 60 + PROOF_EXTRA_SECONDS
    try:
        data = signing.loads(raw or "", salt=PROOF_SALT, max_age=max_age)
    except signing.BadSignature:  # expired included
        return None
    return data if isinstance(data, dict) and data.get("p") == poll.pk else None


def _account_allowed(poll: Poll) -> bool:
    return poll.verification in (Verification.ACCOUNT, Verification.ACCOUNT_OR_CODE)


def _code_allowed(poll: Poll) -> bool:
    return poll.verification in (Verification.CODE, Verification.ACCOUNT_OR_CODE)


def _resident(request: HttpRequest):
    """The logged-in resident when the poll takes accounts (staff accounts are not voters)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    try:
        account_may_vote(user)
    except VerificationRequired:
        return None
    return user


def parse_answers(poll: Poll, data) -> dict[int, object]:
    """Form fields q<id> into the answers `cast_vote` takes (whatever cannot be read is passed on
    as it is, for the service to refuse with the question's own message)."""
    answers: dict[int, object] = {}
    for q in poll.questions.all():
        name = f"q{q.pk}"
        if q.kind == QuestionKind.MULTIPLE:
            values = [v for v in data.getlist(name) if v != ""]
            answers[q.pk] = [int(v) if v.lstrip("-").isdigit() else v for v in values]
        elif q.kind == QuestionKind.TEXT:
            answers[q.pk] = data.get(name, "")
        else:
            raw = (data.get(name) or "").strip()
            answers[q.pk] = int(raw) if raw.lstrip("-").isdigit() else (raw or None)
    return answers


@dataclass
class Step:
    """What the poll page shows: `start` (how to verify), `code` (the code and the questions),
    `vote` (the questions: an account or an invitation), `closed` (why votes are not taken)."""

    name: str
    proof: str = ""
    shown_contact: str = ""
    message: str = ""


@dataclass
class Errors:
    general: list[str] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)


def _question_rows(poll: Poll, data, errors: Errors) -> list[dict]:
    rows = []
    for q in poll.questions.prefetch_related("options").order_by("order", "pk"):
        name = f"q{q.pk}"
        chosen = set(data.getlist(name)) if data is not None else set()
        rows.append(
            {
                "q": q,
                "name": name,
                "options": [{"o": o, "checked": str(o.pk) in chosen} for o in q.options.all()],
                "scale": [{"value": v, "checked": str(v) in chosen} for v in range(q.scale_min, q.scale_max + 1)],
                "text": data.get(name, "") if data is not None else "",
                "errors": errors.fields.get(name, []),
            }
        )
    return rows


def _render_poll(
    request: HttpRequest,
    poll: Poll,
    step: Step,
    *,
    embed: bool,
    data=None,
    errors: Errors | None = None,
    status: int = 200,
    preset_territory: int | None = None,
) -> HttpResponse:
    errors = errors or Errors()
    territories = services.voting_territories(poll)
    if preset_territory is None and len(territories) == 1:
        preset_territory = territories[0].pk
    if preset_territory is not None and preset_territory not in {t.pk for t in territories}:
        preset_territory = None
    chosen_territory = (data.get("territory") if data is not None else "") or (str(preset_territory) if preset_territory is not None else "")
    ctx = {
        "embed": embed,
        "region_name": _region_name(),
        "poll": poll,
        "step": step,
        "errors": errors,
        "questions": _question_rows(poll, data, errors),
        "territories": territories,
        "chosen_territory": chosen_territory,
        "territory_errors": errors.fields.get("territory", []),
        "code_errors": errors.fields.get("code", []),
        "contact_errors": errors.fields.get("contact", []),
        "contact_value": data.get("contact", "") if data is not None else "",
        "form_token": issue_form_token(),
        "code_url": _url("poll_code", poll, embed=embed),
        "vote_url": _url("poll_vote", poll, embed=embed),
        # Framed, our session cookie is withheld: the login opens in a new tab and returns to the
        # poll on our own site, where the account can vote.
        "login_url": f"{settings.LOGIN_URL}?{urlencode({'next': _url('poll', poll, embed=False)})}",
        "account_allowed": _account_allowed(poll),
        "code_allowed": _code_allowed(poll),
        "results": tally(poll) if step.name == "closed" and poll.show_results and poll.status == Status.CLOSED else None,
        "list_url": _url("poll_list", None, embed=embed),
    }
    response = render(request, "intake/polls/poll.html", ctx, status=status)
    response["Cache-Control"] = "no-store"
    if not request.COOKIES.get(DEVICE_COOKIE):
        # Counts ballots per device (with the address): not an identity, never stored with a vote.
        response.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(12), max_age=365 * 86400, httponly=True, samesite="Lax", secure=request.is_secure())
    return response


def _form_error(request: HttpRequest) -> str | None:
    try:
        check_form_token(request.POST.get("form_token", ""))
    except FormTokenError as exc:
        return str(exc)
    return None


# --- pages ----------------------------------------------------------------------------------------


@require_GET
def poll_list(request: HttpRequest, embed: bool = False) -> HttpResponse:
    code = request.GET.get("territory", "").strip()
    territory = Territory.objects.filter(code=code).first() if code else None
    polls = services.current_polls(territory)
    ctx = {
        "embed": embed,
        "region_name": _region_name(),
        "polls": [{"poll": p, "url": _url("poll", p, embed=embed)} for p in polls],
        "territory": territory,
        "unknown_territory": bool(code) and territory is None,
    }
    return render(request, "intake/polls/list.html", ctx)


@require_GET
def poll_page(request: HttpRequest, token: str, embed: bool = False) -> HttpResponse:
    poll = _poll_or_none(token)
    if poll is None:
        return _not_found(request, embed)
    try:
        services.require_open(poll)
    except DomainError as exc:
        return _render_poll(request, poll, Step("closed", message=exc.message), embed=embed)
    invitation = request.GET.get("i", "").strip()
    if invitation:
        try:
            services.invitation_identity(poll, invitation)
        except DomainError as exc:
            return _render_poll(request, poll, Step("closed", message=exc.message), embed=embed, status=exc.http_status)
        return _render_poll(
            request,
            poll,
            Step("vote", proof=_proof({"p": poll.pk, "k": "invitation", "t": invitation})),
            embed=embed,
            preset_territory=services.invitation_territory(poll, invitation),  # where the resident's appeal was
        )
    if poll.audience == Audience.INVITED:
        return _render_poll(
            request, poll, Step("closed", message="В этом опросе голосуют жители, получившие приглашение: откройте ссылку из сообщения."), embed=embed
        )
    if _account_allowed(poll) and _resident(request) is not None:
        return _render_poll(request, poll, Step("vote", proof=_proof({"p": poll.pk, "k": "account"})), embed=embed)
    return _render_poll(request, poll, Step("start"), embed=embed)


@csrf_exempt  # framed in other sites: a signed form token instead of the CSRF cookie (intake.forms)
@require_POST
def poll_code(request: HttpRequest, token: str, embed: bool = False) -> HttpResponse:
    poll = _poll_or_none(token)
    if poll is None:
        return _not_found(request, embed)
    problem = _form_error(request)
    if problem:
        return _render_poll(request, poll, Step("start"), embed=embed, data=request.POST, errors=Errors([problem]), status=400)
    contact = request.POST.get("contact", "")
    try:
        services.request_code(poll, contact, ip=client_ip(request))
    except DomainError as exc:
        status = exc.http_status
        step = Step("closed", message=exc.message) if isinstance(exc, PollNotOpen) else Step("start")
        response = _render_poll(request, poll, step, embed=embed, data=request.POST, errors=Errors([exc.message], exc.field_errors), status=status)
        if isinstance(exc, Throttled):
            response["Retry-After"] = str(exc.retry_after)
        return response
    kind, value = normalise_contact(contact)
    proof = _proof({"p": poll.pk, "k": "contact", "s": contact_key(value), "m": shown_contact(kind, value)})
    return _render_poll(request, poll, Step("code", proof=proof, shown_contact=shown_contact(kind, value)), embed=embed)


def _identity(request: HttpRequest, poll: Poll, proof: dict) -> Identity:
    kind = proof.get("k")
    if kind == "account":
        user = getattr(request, "user", None)
        account_may_vote(user)
        return services.account_identity(user)
    if kind == "invitation":
        return services.invitation_identity(poll, str(proof.get("t", "")))
    if kind == "contact":
        return services.verify_code_key(poll, str(proof.get("s", "")), request.POST.get("code", ""))
    raise VerificationRequired("Подтвердите голос: получите код или войдите в учётную запись.")


CHANNEL_OF = {IdentityKind.INVITATION: Channel.FOLLOWUP}


@csrf_exempt
@require_POST
def poll_vote(request: HttpRequest, token: str, embed: bool = False) -> HttpResponse:
    poll = _poll_or_none(token)
    if poll is None:
        return _not_found(request, embed)
    proof = _read_proof(request.POST.get("proof", ""), poll)
    if proof is None:
        message = "Страница опроса устарела: подтвердите голос заново."
        return _render_poll(request, poll, Step("start"), embed=embed, errors=Errors([message]), status=400)
    step = Step(
        "code" if proof.get("k") == "contact" else "vote",
        proof=request.POST.get("proof", ""),
        shown_contact=str(proof.get("m", "")),
    )
    problem = _form_error(request)
    if problem:
        return _render_poll(request, poll, step, embed=embed, data=request.POST, errors=Errors([problem]), status=400)
    answers = parse_answers(poll, request.POST)
    territory = request.POST.get("territory", "")
    try:
        # Answers are checked before the code, so a resident fixing an answer keeps the same code.
        services.require_open(poll)
        services.check_answers(poll, answers)
        identity = _identity(request, poll, proof)
        # Counted once the voter is verified: a mistyped code does not use up a family's device.
        check_ballot(poll.pk, client_ip(request), request.COOKIES.get(DEVICE_COOKIE))
        channel = CHANNEL_OF.get(identity.kind, Channel.WIDGET)
        services.cast_vote(poll, identity, int(territory) if territory.isdigit() else None, answers, channel=channel)
    except DomainError as exc:
        fields = dict(exc.field_errors)
        if exc.code.startswith("code_"):
            fields.setdefault("code", [exc.message])
        response = _render_poll(request, poll, step, embed=embed, data=request.POST, errors=Errors([exc.message], fields), status=exc.http_status)
        if isinstance(exc, Throttled):
            response["Retry-After"] = str(exc.retry_after)
        return response
    return HttpResponseRedirect(_url("poll_thanks", poll, embed=embed))


@require_GET
def poll_thanks(request: HttpRequest, token: str, embed: bool = False) -> HttpResponse:
    poll = _poll_or_none(token)
    if poll is None:
        return _not_found(request, embed)
    ctx = {
        "embed": embed,
        "region_name": _region_name(),
        "poll": poll,
        "results": tally(poll) if poll.show_results else None,
        "list_url": _url("poll_list", None, embed=embed),
    }
    response = render(request, "intake/polls/thanks.html", ctx)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def polls_js(request: HttpRequest) -> HttpResponse:
    origin = request.build_absolute_uri("/").rstrip("/")
    response = render(request, "intake/polls/widget.js", {"origin": origin}, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response
