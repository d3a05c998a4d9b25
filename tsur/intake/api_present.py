"""How appeals look in the API: to staff (scoped, personal data only where allowed) and to the
resident (public events only, no staff names)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone

from tsur.accounts.models import Role
from tsur.answers.files import FileItem, public_files, staff_files
from tsur.answers.models import Answer, ExtensionRequest
from tsur.answers.services import answer_for
from tsur.appeals import access
from tsur.appeals import views as attachment_urls
from tsur.appeals.lifecycle import TRANSITIONS
from tsur.appeals.models import Appeal, Status
from tsur.appeals.privacy import appeal_text, visible
from tsur.appeals.services import actor_label, record_personal_data_view, status_url
from tsur.intake import resident_view

# API action (the last path segment of POST /api/appeals/{number}/...) -> its lifecycle transition,
# whose permission (tsur.appeals.lifecycle) decides who may take it.
ACTIONS: dict[str, str] = {
    "route": "route",
    "transfer": "transfer",
    "return-to-moderation": "return_to_moderation",
    "assign": "assign",
    "accept": "accept",
    "reject": "reject",
    "join": "join_problem",
    "reclassify": "reclassify",
    "place": "change_place",
    "urgency": "change_urgency",
    "interim-answer": "interim_answer",
    "extension-request": "request_extension",
    "extension-decision": "grant_extension",
    "answer": "prepare_answer",
    "answer-approve": "approve_answer",
    "answer-return": "return_answer",
    "publish": "publish_answer",
    "confirm": "confirm_resolution",
    "clarification": "request_clarification",
}

def _ref(obj, *names: str) -> dict | None:
    if obj is None:
        return None
    return {n: getattr(obj, n) for n in names}


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value else None


# Event data keys that carry what people wrote (a resident's follow-up letter, a note).
FREE_TEXT_KEYS = ("text", "reason", "note", "comment")


def _masked_data(data: dict, appeal: Appeal) -> dict:
    return {k: visible(v, appeal, pd=False) if k in FREE_TEXT_KEYS and isinstance(v, str) else v for k, v in (data or {}).items()}


def summary(appeal: Appeal, user, *, pd: bool | None = None) -> dict:
    pd = access.can_see_personal_data(user) if pd is None else pd
    text = appeal_text(appeal, pd=pd)
    return {
        "number": appeal.number,
        "status": appeal.status,
        "status_label": Status(appeal.status).label,
        "channel": appeal.channel,
        "regime": appeal.regime,
        "urgency": appeal.urgency,
        "block": _ref(appeal.block, "key", "name"),
        "category": _ref(appeal.category, "code", "name"),
        "territory": _ref(appeal.territory, "code", "name"),
        "organisation": _ref(appeal.organisation, "code", "short_name"),
        "executor": {"id": appeal.executor.pk, "name": actor_label(appeal.executor)} if appeal.executor_id else None,
        "received_at": _local(appeal.received_at),
        "due_at": _local(appeal.due_at),
        "is_overdue": appeal.is_overdue,
        "excerpt": text if len(text) <= 300 else text[:299] + "…",
        "version": appeal.version,
    }


def available_actions(user, appeal: Appeal) -> list[str]:
    """Actions this user may take on this (visible) appeal in its current status."""
    pending = None
    result = []
    for name, transition in ACTIONS.items():
        if appeal.status not in TRANSITIONS[transition].sources or not access.can(user, TRANSITIONS[transition].permission):
            continue
        if name in ("extension-request", "extension-decision"):
            if pending is None:
                pending = appeal.extension_requests.filter(state=ExtensionRequest.State.PENDING).exists()
            if (name == "extension-decision") != pending:
                continue
        result.append(name)
    return result


def executors_for(appeal: Appeal) -> list[dict]:
    if not appeal.organisation_id:
        return []
    members = (
        appeal.organisation.members.filter(role__in=[Role.EXECUTOR, Role.COORDINATOR], user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    return [{"id": m.user_id, "name": actor_label(m.user)} for m in members]


def _record_pd_view(appeal: Appeal, user) -> None:
    record_personal_data_view(appeal, user, "API")


def detail(request: HttpRequest, user, appeal: Appeal, *, in_scope: bool = True) -> dict:
    """The card. `appeal` must have come through appeals_for; `in_scope=False` is the last look
    after an action moved it out of the user's scope: no personal data and no actions."""
    pd = in_scope and access.can_see_personal_data(user)
    resident = None
    r = appeal.resident
    if pd and r is not None and (r.name or r.phone or r.email or r.account_link):
        resident = {"name": r.name, "phone": r.phone, "email": r.email, "account_link": r.account_link}
        _record_pd_view(appeal, user)
    problem = None
    p = appeal.problem if appeal.problem_id else getattr(appeal, "led_problem", None)
    if p is not None:
        # Members are listed only as far as this user may see them.
        members = access.appeals_for(user, p.appeals.exclude(pk=p.lead_id)).values_list("number", flat=True)
        problem = {"lead": p.lead.number, "members": sorted(members)}
    actions = available_actions(user, appeal) if in_scope else []
    data = summary(appeal, user, pd=pd)
    data.update(
        text=appeal_text(appeal, pd=pd),
        address=appeal.address,
        lat=appeal.lat,
        lon=appeal.lon,
        queue=appeal.queue.code if appeal.queue_id else None,
        urgency_reason=appeal.urgency_reason,
        routing_reason=appeal.routing_reason,
        due_explain=appeal.due_explain,
        registered_at=_local(appeal.registered_at),
        routed_at=_local(appeal.routed_at),
        published_at=_local(appeal.published_at),
        closed_at=_local(appeal.closed_at),
        close_reason=appeal.close_reason,
        rejection_reason=appeal.rejection_reason,
        rejection_note=visible(appeal.rejection_note, appeal, pd=pd),
        extension_days=appeal.extension_days,
        reopened_count=appeal.reopened_count,
        problem=problem,
        personal_data_visible=pd,
        resident=resident,
        available_actions=actions,
        executors=executors_for(appeal) if "assign" in actions else [],
        events=[
            {
                "kind": e.kind,
                "at": _local(e.at),
                "actor": e.actor_label,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "reason": visible(e.reason, appeal, pd=pd),
                "data": e.data if pd else _masked_data(e.data, appeal),
            }
            for e in appeal.events.order_by("at", "pk")
        ],
        answers=[
            {
                "id": a.pk,
                "kind": a.kind,
                "text": visible(a.text, appeal, pd=pd),
                "author": actor_label(a.author) if a.author_id else "",
                "organisation_name": a.organisation_name,
                "created_at": _local(a.created_at),
                "check_state": a.check_state,
                "check_note": visible(a.check_note, appeal, pd=pd),
                "formal_findings": a.formal_findings,
                "published_at": _local(a.published_at),
                "files": [_file(request, f) for f in staff_files(a, number=appeal.number)],
            }
            for a in appeal.answers.select_related("author").prefetch_related("attachments").order_by("created_at", "pk")
        ],
        extension_requests=[
            {
                "id": x.pk,
                "days": x.days,
                "reason": visible(x.reason, appeal, pd=pd),
                "state": x.state,
                "requested_by": actor_label(x.requested_by),
                "created_at": _local(x.created_at),
                "decided_by": actor_label(x.decided_by) if x.decided_by_id else None,
                "decided_at": _local(x.decided_at),
            }
            for x in appeal.extension_requests.select_related("requested_by", "decided_by").order_by("created_at", "pk")
        ],
        attachments=[
            {
                "id": att.pk,
                "url": request.build_absolute_uri(attachment_urls.staff_url(att)),
                "content_type": att.content_type,
                "size": att.size,
                "width": att.width,
                "height": att.height,
            }
            for att in appeal.attachments.order_by("pk")
        ],
        ratings=[
            {"score": x.score, "comment": visible(x.comment, appeal, pd=pd), "at": _local(x.created_at)}
            for x in appeal.ratings.order_by("created_at", "pk")
        ],
    )
    return data


# --- the resident's view -------------------------------------------------------------------------


def _file(request: HttpRequest | None, f: FileItem) -> dict:
    url = request.build_absolute_uri(f.url) if request is not None else f.url
    return {"name": f.name, "size": f.size, "url": url, "is_image": f.is_image}


def _public_answer(a: Answer, appeal: Appeal) -> dict:
    files = public_files(a, number=appeal.number, key=appeal.access_key)
    return {
        "kind": a.kind, "text": a.text, "organisation": a.organisation_name, "published_at": _local(a.published_at),
        "files": [_file(None, f) for f in files],
    }


def public_view(appeal: Appeal) -> dict:
    """What the resident sees by the private link (tsur.intake.resident_view, as on the status page)."""
    answer = answer_for(appeal)
    rating = appeal.ratings.order_by("-created_at", "-pk").first()
    question = resident_view.open_clarification(appeal)
    return {
        "number": appeal.number,
        "status": appeal.status,
        "status_label": resident_view.status_title(appeal),
        "received_at": _local(appeal.received_at),
        "due_at": _local(appeal.due_at) if appeal.is_open else None,
        "text": appeal.text,
        "category": appeal.category.name if appeal.category_id else None,
        "territory": appeal.territory.name if appeal.territory_id else None,
        "address": appeal.address,
        "organisation": appeal.organisation.short_name if appeal.organisation_id else None,
        "history": [{"at": e.at, "kind": e.kind, "title": e.title, "note": e.note} for e in resident_view.history(appeal)],
        "answer": _public_answer(answer, appeal) if answer else None,
        "interim_answers": [
            _public_answer(a, appeal)
            for a in appeal.answers.filter(kind=Answer.Kind.INTERIM).exclude(published_at=None).order_by("published_at", "pk")
        ],
        "can_rate": resident_view.can_rate(appeal),
        "rating": {"score": rating.score, "comment": rating.comment, "at": _local(rating.created_at)} if rating else None,
        "open_question": {"at": question.at, "text": question.text} if question else None,
    }


def my_appeal(appeal: Appeal) -> dict:
    return {
        "number": appeal.number,
        "status": appeal.status,
        "status_label": Status(appeal.status).label,
        "received_at": _local(appeal.received_at),
        "text": appeal.text,
        "category": appeal.category.name if appeal.category_id else None,
        "access_key": appeal.access_key,
        "status_url": status_url(appeal),
    }
