"""The card's answer work: the live formal-reply check under the executor's text, the decision
between «Вернуть на доработку» and «Одобрить» when the check flagged the answer, and the answer's
files served to staff who may see the appeal."""

from __future__ import annotations

import dataclasses

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from tsur.answers.checking import find_formal_reply
from tsur.answers.files import file_response
from tsur.answers.models import Answer, AnswerAttachment
from tsur.answers.services import flagged_answer
from tsur.appeals import access
from tsur.appeals.models import Appeal
from tsur.workspace.guards import scoped_appeal, staff_required

ANSWER_FORMS = ("prepare_answer", "interim_answer")
DECISIONS = ("return_answer", "approve_answer")


def live_check_id(prefix: str) -> str:
    return f"answer-check-{prefix}"


def live_check_attrs(appeal: Appeal, prefix: str, *, on_load: bool = False) -> dict[str, str]:
    """HTMX attributes of the answer's textarea: the check runs on the draft as the executor types
    (after a short pause), and at once when a template has just been put into the text."""
    trigger = "input changed delay:600ms"
    return {
        "hx-post": reverse("workspace:answer_check", args=[appeal.number]) + f"?for={prefix}",
        "hx-trigger": f"load, {trigger}" if on_load else trigger,
        "hx-target": f"#{live_check_id(prefix)}",
        "hx-swap": "innerHTML",
        # Only the text is sent (never the chosen files), and the form's own settings do not apply:
        # the textarea must stay enabled and focused while the check runs.
        "hx-params": f"{prefix}-text",
        "hx-encoding": "application/x-www-form-urlencoded",
        "hx-disabled-elt": "unset",
        "hx-indicator": "unset",
        "hx-sync": "this:replace",
        "aria-describedby": live_check_id(prefix),
    }


@staff_required
@require_POST
def answer_check(request: HttpRequest, number: str) -> HttpResponse:
    """The formal-reply check of a draft, as a small partial under the textarea."""
    appeal = scoped_appeal(request.user, number)
    prefix = request.GET.get("for", "")
    if prefix not in ANSWER_FORMS or not access.can(request.user, prefix, appeal):
        raise Http404("Проверка недоступна.")
    text = request.POST.get(f"{prefix}-text", "")[:20_000]
    findings = find_formal_reply(text) if text.strip() else []
    return render(request, "workspace/_answer_check.html", {"findings": findings, "checked": bool(text.strip())})


@staff_required
@require_GET
def answer_file(request: HttpRequest, number: str, pk: int) -> FileResponse:
    """An answer's file for staff who may see the appeal (the same scope as the card)."""
    appeal = scoped_appeal(request.user, number)
    att = AnswerAttachment.objects.filter(pk=pk, answer__appeal=appeal).first()
    if att is None:
        raise Http404("Файл не найден.")
    return file_response(att)


def decision_flag(appeal: Appeal, rows: list[dict]) -> dict | None:
    """The flagged answer's findings for the operator who decides on it, or None."""
    names = {row["action"].name for row in rows}
    if not names.intersection(DECISIONS):
        return None
    answer: Answer | None = flagged_answer(appeal)
    if answer is None:
        return None
    group = next(row["action"].group for row in rows if row["action"].name in DECISIONS)
    return {"answer": answer, "findings": answer.formal_findings, "group": group}


def arrange(rows: list[dict], flag: dict | None, open_action: str) -> list[dict]:
    """With a flagged answer «Вернуть на доработку» comes first, open and primary; «Одобрить»
    stays folded (it needs a stated reason). Without a flag nothing changes: approve is one click."""
    if flag is None:
        return rows
    arranged = []
    for row in rows:
        action = row["action"]
        if action.name == "return_answer":
            row = {**row, "action": dataclasses.replace(action, primary=True, danger=False), "open": open_action in ("", action.name)}
        elif action.name == "approve_answer":
            row = {**row, "action": dataclasses.replace(action, primary=False, button="Одобрить с обоснованием"), "open": open_action == action.name}
        arranged.append(row)
    decisions = [r for r in arranged if r["action"].name in DECISIONS]
    decisions.sort(key=lambda r: DECISIONS.index(r["action"].name))
    it = iter(decisions)
    return [next(it) if r["action"].name in DECISIONS else r for r in arranged]
