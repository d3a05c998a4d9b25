"""«Мои данные»: what the platform holds about a resident, downloadable, and their request to delete it
(152-FZ art. 14: the right to know; art. 21: the withdrawal of consent).

Two ways in: a resident with an account (`/cabinet/data/`, every resident row linked to the
account) and the holder of an appeal's private link (`/status/<number>/<key>/data/`, that
appeal's resident only — the link is the proof, as for the rest of the status page). The deletion
goes through `appeals.services.retention.request_deletion`: recorded, queued for administrators,
executed at once when no appeal is still worked on. Appeals stay; only personal data goes.
Poll ballots carry no identity (tsur.polls): only the invitations of the resident's appeals are
listed, never how anyone voted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from tsur.answers.models import Rating
from tsur.appeals.models import Appeal, DataRequest, Event, Resident
from tsur.appeals.services import RESIDENT_MESSAGE_EVENT
from tsur.appeals.services.retention import RequestRefused, request_deletion
from tsur.intake import resident_view
from tsur.intake.cabinet import _resident_or_redirect
from tsur.intake.views import _base_context, _find_appeal, _status_path, not_found
from tsur.polls.models import Invitation


@dataclass(frozen=True)
class Holding:
    """Everything held about a set of resident rows."""

    residents: list[Resident]
    appeals: list[Appeal]
    messages: dict[int, list[Event]]
    ratings: dict[int, list[Rating]]
    invitations: dict[int, list[Invitation]]
    requests: list[DataRequest]


def holding(residents: list[Resident], requests: list[DataRequest]) -> Holding:
    ids = [r.pk for r in residents]
    appeals = list(Appeal.objects.filter(resident_id__in=ids).select_related("category").order_by("-received_at", "-pk"))
    pks = [a.pk for a in appeals]
    messages: dict[int, list[Event]] = {}
    for e in Event.objects.filter(appeal_id__in=pks, kind=RESIDENT_MESSAGE_EVENT).order_by("at", "pk"):
        messages.setdefault(e.appeal_id, []).append(e)
    ratings: dict[int, list[Rating]] = {}
    for r in Rating.objects.filter(appeal_id__in=pks).order_by("created_at", "pk"):
        ratings.setdefault(r.appeal_id, []).append(r)
    invitations: dict[int, list[Invitation]] = {}
    for i in Invitation.objects.filter(appeal_id__in=pks).select_related("poll").order_by("created_at", "pk"):
        invitations.setdefault(i.appeal_id, []).append(i)
    return Holding(residents, appeals, messages, ratings, invitations, requests)


def _when(value) -> str | None:
    return timezone.localtime(value).isoformat(timespec="minutes") if value else None


def as_json(h: Holding) -> dict:
    return {
        "контакты": [
            {"имя": r.name, "телефон": r.phone, "email": r.email, "аккаунт в соцсети": r.account_link,
             "обезличено": _when(r.pseudonymised_at)}
            for r in h.residents
        ],
        "обращения": [
            {
                "номер": a.number,
                "поступило": _when(a.received_at),
                "статус": resident_view.status_title(a),
                "тема": a.category.name if a.category else "",
                "адрес": a.address,
                "текст": a.text,
                "сообщения": [{"когда": _when(e.at), "текст": e.data.get("text", e.reason)} for e in h.messages.get(a.pk, [])],
                "оценки": [{"когда": _when(r.created_at), "оценка": r.score, "комментарий": r.comment} for r in h.ratings.get(a.pk, [])],
                # Invitations only: a ballot carries no identity, so how the resident voted is not ours to know.
                "опросы": [{"опрос": i.poll.title, "приглашение": _when(i.sent_at), "ссылка использована": bool(i.used_at)}
                           for i in h.invitations.get(a.pk, [])],
            }
            for a in h.appeals
        ],
        "запросы об удалении": [
            {"получен": _when(q.created_at), "срок": _when(q.due_at), "состояние": q.get_state_display(), "комментарий": q.note}
            for q in h.requests
        ],
    }


def _render(request: HttpRequest, h: Holding, *, back: str, download: str, delete: str, status: int = 200, error: str = "") -> HttpResponse:
    ctx = _base_context(request)
    ctx.update(
        h=h,
        rows=[(a, h.messages.get(a.pk, []), h.ratings.get(a.pk, []), h.invitations.get(a.pk, [])) for a in h.appeals],
        pending=next((q for q in h.requests if q.state == DataRequest.State.PENDING), None),
        purged=bool(h.residents) and all(r.pseudonymised_at for r in h.residents),
        back=back, download=download, delete=delete, error=error,
        requested=request.GET.get("requested") == "1",
    )
    response = render(request, "intake/my_data.html", ctx, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


def _download(h: Holding, number: str) -> HttpResponse:
    body = json.dumps(as_json(h), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="moi-dannye-{number}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- the cabinet ------------------------------------------------------------------------------------


def _cabinet_holding(user) -> Holding:
    residents = list(Resident.objects.filter(user=user).order_by("pk"))
    requests = list(DataRequest.objects.filter(user=user).order_by("-created_at", "-pk"))
    return holding(residents, requests)


@require_GET
def cabinet_data(request: HttpRequest) -> HttpResponse:
    redirect = _resident_or_redirect(request)
    if redirect is not None:
        return redirect
    return _render(
        request, _cabinet_holding(request.user), back=reverse("intake:cabinet"),
        download=reverse("intake:cabinet_data_json"), delete=reverse("intake:cabinet_data_delete"),
    )


@require_GET
def cabinet_data_json(request: HttpRequest) -> HttpResponse:
    redirect = _resident_or_redirect(request)
    if redirect is not None:
        return redirect
    return _download(_cabinet_holding(request.user), "kabinet")


# Deleting personal data cannot be undone: the form asks the resident to confirm it.
NOT_CONFIRMED = "Отметьте, что понимаете: имя, телефон, e-mail и аккаунт будут удалены без возможности восстановления."


def _confirmed(request: HttpRequest) -> bool:
    return request.POST.get("confirm") == "1"


@require_POST
def cabinet_data_delete(request: HttpRequest) -> HttpResponse:
    redirect = _resident_or_redirect(request)
    if redirect is not None:
        return redirect
    if not _confirmed(request):
        return _render(
            request, _cabinet_holding(request.user), back=reverse("intake:cabinet"),
            download=reverse("intake:cabinet_data_json"), delete=reverse("intake:cabinet_data_delete"),
            status=400, error=NOT_CONFIRMED,
        )
    for resident in Resident.objects.filter(user=request.user, pseudonymised_at__isnull=True):
        request_deletion(resident, source=DataRequest.Source.CABINET, user=request.user)
    return HttpResponseRedirect(reverse("intake:cabinet_data") + "?requested=1")


# --- the private link -------------------------------------------------------------------------------


def _link_holding(appeal: Appeal) -> Holding:
    if appeal.resident_id is None:
        return holding([], [])
    requests = list(DataRequest.objects.filter(resident_id=appeal.resident_id).order_by("-created_at", "-pk"))
    return holding([appeal.resident], requests)


def _link_urls(appeal: Appeal) -> dict:
    args = [appeal.number, appeal.access_key]
    return {"back": _status_path(appeal), "download": reverse("intake:status_data_json", args=args),
            "delete": reverse("intake:status_data_delete", args=args)}


@require_GET
def status_data(request: HttpRequest, number: str, key: str) -> HttpResponse:
    appeal = _find_appeal(number, key)
    if appeal is None:
        return not_found(request)
    return _render(request, _link_holding(appeal), **_link_urls(appeal))


@require_GET
def status_data_json(request: HttpRequest, number: str, key: str) -> HttpResponse:
    appeal = _find_appeal(number, key)
    if appeal is None:
        return not_found(request)
    return _download(_link_holding(appeal), appeal.number)


@require_POST
def status_data_delete(request: HttpRequest, number: str, key: str) -> HttpResponse:
    appeal = _find_appeal(number, key)
    if appeal is None:
        return not_found(request)
    if appeal.resident_id is None:
        return _render(request, _link_holding(appeal), **_link_urls(appeal), status=409, error="По этому обращению персональные данные не хранятся.")
    if not _confirmed(request):
        return _render(request, _link_holding(appeal), **_link_urls(appeal), status=400, error=NOT_CONFIRMED)
    try:
        request_deletion(appeal.resident, source=DataRequest.Source.STATUS_PAGE, appeal=appeal)
    except RequestRefused as exc:
        return _render(request, _link_holding(appeal), **_link_urls(appeal), status=409, error=exc.message)
    return HttpResponseRedirect(_link_urls(appeal)["download"].removesuffix("json/") + "?requested=1")
