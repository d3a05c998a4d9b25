"""What the appeal card shows: facts, deadlines, answers, the timeline, the map data, and the
audited view of the resident's personal data."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tsur.accounts.roles import is_center_role
from tsur.answers.files import staff_files
from tsur.answers.models import Answer
from tsur.appeals import access, event_labels
from tsur.appeals.lifecycle import TRANSITIONS
from tsur.appeals.models import Appeal, ClassificationSource, Event, Problem, Status
from tsur.appeals.privacy import appeal_text, visible
from tsur.appeals.services import LINK_SENT_EVENT, PD_VIEW_EVENT, RESIDENT_MESSAGE_EVENT, open_question_among, record_personal_data_view
from tsur.appeals.services.clarification import ANSWERS_KEY as CLARIFICATION_ANSWERS_KEY
from tsur.appeals.services.clarification import REQUEST_EVENT as CLARIFICATION_EVENT
from tsur.appeals.services.moderation import describe_applied
from tsur.appeals.services.problems import PROBLEM_LED_EVENT
from tsur.core import clock
from tsur.directory.models import Block, Category, Organisation, Regime, Territory, Urgency
from tsur.monitoring.links import EVENT_LABELS as MONITORING_LINK_LABELS
from tsur.triage.engine import wording
from tsur.workspace import answering, evidence, place
from tsur.workspace.actions import available_actions, extension_requests, initial_form, pending_extension
from tsur.workspace.forms import routing_decision
from tsur.workspace.notes import notes_context
from tsur.workspace.queries import due_state

EVENT_LABELS = {
    "created": "Обращение зарегистрировано",
    PD_VIEW_EVENT: "Просмотр персональных данных",
    "reminder": "Напоминание о сроке",
    "escalation": "Эскалация: срок нарушен",
    RESIDENT_MESSAGE_EVENT: "Дополнение от жителя",
    LINK_SENT_EVENT: "Персональная ссылка отправлена жителю повторно",
    PROBLEM_LED_EVENT: "Стало ведущим в проблеме",
    **MONITORING_LINK_LABELS,
}


def event_label(kind: str) -> str:
    """The event's name; a kind named nowhere reads «Служебное событие», never its key."""
    if kind in TRANSITIONS:
        return TRANSITIONS[kind].label
    return EVENT_LABELS.get(kind) or event_labels.event_label(kind)


def status_label(code: str) -> str:
    try:
        return Status(code).label
    except ValueError:
        return code


class _Names:
    """Names for the codes events store (category, territory, organisation), looked up once."""

    def __init__(self) -> None:
        self._cache: dict[str, dict[str, str]] = {}

    def _load(self, kind: str) -> dict[str, str]:
        if kind not in self._cache:
            if kind == "category":
                rows = Category.objects.values_list("code", "name")
            elif kind == "territory":
                rows = Territory.objects.values_list("code", "name")
            elif kind == "block":
                rows = Block.objects.values_list("key", "name")
            else:
                rows = Organisation.objects.values_list("code", "short_name")
            self._cache[kind] = dict(rows)
        return self._cache[kind]

    def __call__(self, kind: str, code: str | None) -> str:
        if not code:
            return "—"
        return self._load(kind).get(code, code)


def event_detail(e: Event, names: _Names) -> str:
    """What a change changed, in words: «Ямы на дороге → Снег на дороге»."""
    data = e.data or {}
    before, after = data.get("before"), data.get("after")
    if e.kind == "reclassify" and isinstance(before, dict) and isinstance(after, dict):
        return f"{names('category', before.get('category'))} → {names('category', after.get('category'))}"
    if e.kind == "change_place" and isinstance(before, dict) and isinstance(after, dict):
        parts = []
        if before.get("territory") != after.get("territory"):
            parts.append(f"{names('territory', before.get('territory'))} → {names('territory', after.get('territory'))}")
        if before.get("address") != after.get("address"):
            parts.append(f"«{before.get('address') or '—'}» → «{after.get('address') or '—'}»")
        # Events before the point was recorded have no "point" key: nothing to say about it.
        if "point" in before and "point" in after and before["point"] != after["point"]:
            parts.append(place.point_change_text(before["point"], after["point"]))
        detail = "; ".join(parts)
        return detail[:1].upper() + detail[1:]
    if e.kind == "change_urgency" and before and after:
        labels = dict(Urgency.choices)
        return f"{labels.get(before, before)} → {labels.get(after, after)}"
    if e.kind == "transfer" and ("from" in data or "to" in data):
        return f"{names('organisation', data.get('from'))} → {names('organisation', data.get('to'))}"
    if e.kind in ("grant_extension", "request_extension") and data.get("days"):
        return f"на {data['days']} дн."
    if e.kind == RESIDENT_MESSAGE_EVENT and data.get("attachments"):
        return f"вложений: {data['attachments']}"
    return ""


def clarification_detail(e: Event, replies: dict[int, Event], appeal: Appeal, *, pd: bool) -> str:
    """A clarification request and the resident's reply on one line of the timeline (residents)."""
    if e.kind == CLARIFICATION_EVENT:
        question = f"«{visible(e.reason, appeal, pd=pd)}»"
        reply = replies.get(e.pk)
        if reply is None:
            return f"{question} — ответа жителя пока нет"
        return f"{question} — ответ жителя {timezone.localtime(reply.at):%d.%m.%Y %H:%M}: «{visible(reply.reason, appeal, pd=pd)}»"
    if e.kind == RESIDENT_MESSAGE_EVENT and (e.data or {}).get(CLARIFICATION_ANSWERS_KEY):
        return "ответ на запрос уточнения"
    return ""


def event_reason(e: Event, names: _Names) -> str:
    """The stored reason, except where an older writer stored keys: the automatic triage's
    reason is rebuilt from its data («category: health-appointments» → «категория: Запись к
    врачу»)."""
    applied = (e.data or {}).get("applied")
    if e.kind == "auto_triage" and isinstance(applied, dict):
        return describe_applied(applied, names)
    return e.reason


def events_of(appeal: Appeal) -> list[Event]:
    """The appeal's events, oldest first: the timeline and the open question read them once."""
    return list(Event.objects.filter(appeal=appeal).order_by("at", "pk"))


def timeline(appeal: Appeal, *, pd: bool = True, events: list[Event] | None = None) -> list[dict]:
    rows = []
    names = _Names()
    events = events_of(appeal) if events is None else events
    replies = {(e.data or {}).get(CLARIFICATION_ANSWERS_KEY): e for e in events if e.kind == RESIDENT_MESSAGE_EVENT}
    for e in events:
        changed = bool(e.from_status and e.to_status and e.from_status != e.to_status) or (not e.from_status and e.to_status)
        rows.append(
            {
                "at": e.at,
                "kind": e.kind,
                "label": event_label(e.kind),
                "actor": e.actor_label or "система",
                "from_label": status_label(e.from_status) if e.from_status else "",
                "to_label": status_label(e.to_status) if e.to_status else "",
                "to_status": e.to_status,
                "detail": "; ".join(filter(None, [event_detail(e, names), clarification_detail(e, replies, appeal, pd=pd)])),
                "status_changed": changed,
                # A clarification's question is in its detail, before the reply (residents).
                "reason": "" if e.kind == CLARIFICATION_EVENT else visible(event_reason(e, names), appeal, pd=pd),
                "audit": e.kind == PD_VIEW_EVENT,
            }
        )
    return rows


def audit_personal_data_view(appeal: Appeal, user) -> None:
    record_personal_data_view(appeal, user, "рабочее место")


def personal_data(appeal: Appeal, user) -> dict:
    """{'state': 'none' | 'hidden' | 'shown', 'resident': Resident|None}; showing it is audited.

    The caller has already established that the user may see the appeal (scoped lookup)."""
    resident = appeal.resident
    if resident is None or not any([resident.name, resident.phone, resident.email, resident.account_link]):
        return {"state": "none", "resident": None}
    if not access.can_see_personal_data(user):
        return {"state": "hidden", "resident": None}
    audit_personal_data_view(appeal, user)
    return {"state": "shown", "resident": resident}


def map_data(appeal: Appeal) -> dict | None:
    """The card map's data: see tsur/workspace/place.py (the place's one story)."""
    return place.map_data(appeal)


def answers_of(appeal: Appeal, user, *, pd: bool = True) -> list[dict]:
    checking = access.can(user, "check_answer", appeal)
    rows = []
    for ans in appeal.answers.select_related("author", "checked_by").prefetch_related("attachments").order_by("created_at", "pk"):
        rows.append(
            {
                "answer": ans,
                # Answers address the resident by name: masked for those who may not see it.
                "text": visible(ans.text, appeal, pd=pd),
                "check_note": visible(ans.check_note, appeal, pd=pd),
                "findings": ans.formal_findings or [],
                "files": staff_files(ans, number=appeal.number),
                # The checking operator must see the formal-reply hints before approving.
                "highlight": checking and ans.kind == Answer.Kind.FINAL and ans.check_state == Answer.Check.PENDING,
            }
        )
    return rows


def problem_of(appeal: Appeal, user) -> dict | None:
    if appeal.problem_id:
        problem = appeal.problem
    else:
        problem = Problem.objects.filter(lead=appeal).first()
        if problem is None:
            return None
    # Members outside the user's scope are only counted, as the API does: their numbers, dates and
    # statuses are another organisation's or territory's business.
    in_scope = access.appeals_for(user, problem.appeals.exclude(pk=problem.lead_id)).order_by("received_at")
    members = [{"appeal": m, "linked": True, "is_self": m.pk == appeal.pk} for m in in_scope]
    total = problem.appeals.exclude(pk=problem.lead_id).count()
    return {
        "lead": problem.lead,
        "lead_linked": access.appeals_for(user).filter(pk=problem.lead_id).exists(),
        "is_lead": problem.lead_id == appeal.pk,
        "members": members,
        "hidden_members": total - len(members),
    }


def route_preview(appeal: Appeal) -> str:
    """What the rules would choose now, so the operator sees it before pressing «Направить»."""
    decision = routing_decision(appeal)
    if decision is None:
        return "Правила не настроены и организация-ЦУР не задана: выберите организацию вручную."
    preview = f"{decision.organisation.short_name}: {decision.reason}"
    if decision.rule_id is None:
        from tsur.triage.services import organisation_suggestions

        suggested = organisation_suggestions(appeal)
        if suggested:
            names = ", ".join(f"{org.short_name} ({p:.0%})" for org, p in suggested)
            preview += f". Подсказка по истории обращений: {names}"
    return preview


def card_context(appeal: Appeal, user, *, forms: dict | None = None, open_action: str = "") -> dict:
    """Everything the card template needs. `forms` replaces blank forms with bound ones after an error."""
    now = clock.now()
    actions = available_actions(user, appeal)
    # «Взять себе» sits in the card's head (one button, the `t` key), not in the actions panel.
    take = next((a for a in actions if a.name == "take"), None)
    actions = [a for a in actions if a.name != "take"]
    forms = forms or {}
    action_rows = [
        {"action": a, "form": forms.get(a.name) or initial_form(a, appeal), "open": a.name == open_action or (a.primary and not open_action)}
        for a in actions
    ]
    answer_flag = answering.decision_flag(appeal, action_rows)
    action_rows = answering.arrange(action_rows, answer_flag, open_action)
    groups: dict[str, list[dict]] = {}
    for row in action_rows:
        groups.setdefault(row["action"].group, []).append(row)
    pd = access.can_see_personal_data(user)
    resident = personal_data(appeal, user)  # audits the view: an event the timeline below shows
    events = events_of(appeal)
    return {
        "appeal": appeal,
        # Free texts as this user may see them (analysts: personal data masked).
        "text": appeal_text(appeal, pd=pd),
        "rejection_note": visible(appeal.rejection_note, appeal, pd=pd),
        "now": now,
        "due_state": due_state(appeal, now),
        "is_appeal_regime": appeal.regime == Regime.APPEAL,
        "classification_source": ClassificationSource(appeal.classification_source).label if appeal.classification_source else "",
        "place_source": ClassificationSource(appeal.place_source).label if appeal.place_source else "",
        "confidence_pct": round(appeal.classification_confidence * 100) if appeal.classification_confidence is not None else None,
        "photos": list(appeal.attachments.filter(content_type__startswith="image/").order_by("pk")),
        "map": map_data(appeal),
        "place": place.place_facts(appeal),
        "problem": problem_of(appeal, user),
        "answers": answers_of(appeal, user, pd=pd),
        "answer_flag": answer_flag,
        "extensions": [
            {"request": x, "reason": visible(x.reason, appeal, pd=pd)}
            for x in extension_requests(appeal)
        ],
        "pending_extension": pending_extension(appeal),
        "ratings": [{"rating": r, "comment": visible(r.comment, appeal, pd=pd)} for r in appeal.ratings.order_by("created_at")],
        "pd": resident,
        "timeline": timeline(appeal, pd=pd, events=events),
        "action_groups": list(groups.items()),
        "has_actions": bool(action_rows),
        "take_action": take,
        # Roles that act on appeals in some status (not the analyst): «none now» reads differently.
        "may_ever_act": may_ever_act(user),
        "route_preview": route_preview(appeal) if any(a.name == "route" for a in actions) else "",
        "triage": triage_of(appeal),
        "deliveries": deliveries_of(appeal),
        "monitoring": evidence.for_card(appeal, user),
        "is_center": is_center_role(user),
        "open_question": open_question_among(events),  # residents: the «ждём уточнения» badge
        **notes_context(appeal, user),  # internal notes with mentions (tsur.workspace.notes)
    }


def may_ever_act(user) -> bool:
    role = access.role_of(user)
    permissions = {t.permission for t in TRANSITIONS.values() if t.permission}
    return any(role in access.ACTIONS.get(p, frozenset()) for p in permissions)


def triage_of(appeal: Appeal) -> dict | None:
    """What the automatic triage decided, with confidences and the evidence it used, in words: the
    result stores keys (block, territory, category) and the engine's notes; names come from the
    directory, the notes are rendered in Russian (tsur.triage.engine.wording)."""
    result = appeal.triage_results.select_related("duplicate_of").first()
    if result is None:
        return None
    pct = lambda v: round(v * 100) if v is not None else None  # noqa: E731
    block = Block.objects.filter(key=result.block).values_list("name", flat=True).first() if result.block else None
    category = Category.objects.filter(code=result.category_code).values_list("name", flat=True).first() if result.category_code else None
    territory = Territory.objects.filter(code=result.territory_code).values_list("name", flat=True).first() if result.territory_code else None
    return {
        "result": result,
        # A key the directory does not have (a model trained on another taxonomy) is not shown.
        "block": block or ("нет в классификаторе" if result.block else ""),
        "category": category or result.category,
        "category_known": bool(category),
        "territory": territory or ("нет в справочнике территорий" if result.territory_code else ""),
        "evidence": wording.in_russian(result.place_evidence),
        "personal_data": wording.personal_data_in_russian(result.personal_data_kinds),
        "warnings": [wording.warning_in_russian(w) for w in result.warnings or []],
        "model": model_label(result.model_version),
        "block_pct": pct(result.block_confidence),
        "category_pct": pct(result.category_confidence),
        "complaint_pct": pct(result.complaint_probability),
        "screening": screening_of(appeal) if result.complaint_probability is None else "",
        "applied": result.applied or {},
    }


def model_label(version: str) -> str:
    """«модель от 20.11.2026 13:00» for the engine's «<directory>@<trained_at ISO>» tag."""
    trained = version.rpartition("@")[2]
    try:
        at = dt.datetime.fromisoformat(trained)
    except ValueError:
        return "встроенная модель" if version in ("", "default") else f"модель {version}"
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return f"модель от {timezone.localtime(at):%d.%m.%Y %H:%M}"


def screening_of(appeal: Appeal) -> str:
    """Complaint screening is done once, by the channel that heard the post (the appeal's triage
    does not repeat it): its decision, for the card."""
    from tsur.channels.services import screening_of as decision

    return decision(appeal)


def deliveries_of(appeal: Appeal) -> list:
    from tsur.channels.deliveries import deliveries_for

    return deliveries_for(appeal)
