"""The poll builder: the list of polls, a draft's fields and questions (added, edited, moved,
removed — HTMX swaps the questions' block), the preview as residents see it, publishing and
closing, the public link and the widget's embed code. Every change goes through
tsur.polls.services, which refuse what the poll's status does not allow with a Russian reason."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.http import require_POST

from tsur.channels import polls as channel_polls
from tsur.core import tasks
from tsur.core.errors import DomainError
from tsur.polls import services
from tsur.polls.models import AnnouncementTarget, Audience, FollowUp, Kind, Poll, PollEvent, Question, QuestionKind, Status
from tsur.workspace.guards import is_htmx
from tsur.workspace.polls.forms import PollForm, QuestionForm
from tsur.workspace.polls.guards import forbidden, may_build, polls_builder, polls_reader
from tsur.workspace.views import nav_context

SECTION = "polls"
QUIET_EVENTS = (PollEvent.Kind.VOTE_CAST, PollEvent.Kind.CODE_SENT, PollEvent.Kind.CODE_REFUSED)
STATUS_TONES = {Status.DRAFT: "tone-new", Status.PUBLISHED: "tone-work", Status.CLOSED: "tone-closed"}


def public_url(request: HttpRequest, poll: Poll) -> str:
    """The poll's page for residents (tsur.intake), absolute."""
    return request.build_absolute_uri(reverse("intake:poll", args=[poll.token]))


def embed_code(request: HttpRequest, poll: Poll) -> str:
    """An iframe of the poll's framed page for an official site (like the appeal form's)."""
    url = request.build_absolute_uri(reverse("intake:widget_poll", args=[poll.token]))
    title = escape(f"Опрос: {poll.title}")
    return f'<iframe src="{url}" title="{title}" style="width:100%;height:900px;border:0" loading="lazy"></iframe>'


def _poll(poll_id: int) -> Poll:
    return get_object_or_404(Poll, pk=poll_id)


def _question(poll: Poll, question_id: int) -> Question:
    q = Question.objects.filter(pk=question_id, poll=poll).first()
    if q is None:
        raise Http404("Нет такого вопроса.")
    return q


def _apply_errors(form, exc: DomainError) -> None:
    placed = False
    for name, errors in exc.field_errors.items():
        target = name if name in form.fields else ("scale_min" if name == "scale" else None)
        for e in errors:
            form.add_error(target, e)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


@polls_reader
def poll_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    qs = Poll.objects.annotate(ballot_count=Count("ballots", distinct=True)).prefetch_related("territories")
    if status in Status.values:
        qs = qs.filter(status=status)
    # Follow-up polls come one per resolved problem, hundreds a month: the operators' own polls are
    # listed unless asked otherwise.
    kind = request.GET.get("kind", "") or Kind.REGULAR
    if kind in Kind.values:
        qs = qs.filter(kind=kind)
    followups = Poll.objects.filter(kind=Kind.FOLLOWUP).count()
    ctx = {
        **nav_context(request, SECTION),
        "polls": qs.order_by("-created_at")[:300],
        "status": status,
        "kind": kind,
        "statuses": Status.choices,
        "kinds": [*Kind.choices, ("all", "все")],
        "followups": followups,
        "tones": STATUS_TONES,
        "may_build": may_build(request.user),
    }
    return render(request, "workspace/polls/list.html", ctx)


@polls_builder
def poll_new(request: HttpRequest) -> HttpResponse:
    form = PollForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            poll = services.create_poll(request.user, **form.values())
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Черновик опроса создан. Добавьте вопросы.")
            return redirect("workspace:poll_edit", poll.pk)
    return render(request, "workspace/polls/new.html", {**nav_context(request, SECTION), "form": form})


def _edit_context(request: HttpRequest, poll: Poll, *, form: PollForm | None = None, qform: QuestionForm | None = None,
                  editing: Question | None = None, eform: QuestionForm | None = None) -> dict:  # fmt: skip
    locked = poll.status != Status.DRAFT
    return {
        **nav_context(request, SECTION),
        "poll": poll,
        "form": form or PollForm(poll=poll, locked=locked),
        "qform": qform or QuestionForm(),
        "editing": editing,
        "eform": eform,
        "questions": list(poll.questions.prefetch_related("options").order_by("order", "pk")),
        "locked": locked,
        "ballots": poll.ballots.count(),
        "public_url": public_url(request, poll) if poll.status != Status.DRAFT else "",
        "embed_code": embed_code(request, poll) if poll.status == Status.PUBLISHED and poll.audience == Audience.EVERYONE else "",
        "followup": followup_summary(poll) if poll.kind == Kind.FOLLOWUP else None,
        "kinds": QuestionKind,
        # The changes people made; the votes and codes are counted on the results page.
        "events": poll.events.exclude(kind__in=QUIET_EVENTS).select_related("actor").order_by("-at", "-pk")[:20],
        "announcements": list(poll.announcements.select_related("target").order_by("pk")),
        "targets": AnnouncementTarget.objects.filter(enabled=True).count(),
        "may_build": may_build(request.user),
    }


def followup_summary(poll: Poll) -> dict:
    """A follow-up poll's subject and how its invitations went (no resident named)."""
    rows = poll.followups.values("state", "outcome").annotate(n=Count("pk")).order_by()
    states: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    for r in rows:
        states[r["state"]] = states.get(r["state"], 0) + r["n"]
        if r["outcome"]:
            outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + r["n"]
    appeals = list(poll.followups.order_by("appeal__number").values_list("appeal__number", "state", "outcome", "reopened")[:50])
    return {
        "states": [(label, states.get(value, 0)) for value, label in FollowUp.State.choices],
        "outcomes": [(label, outcomes.get(value, 0)) for value, label in FollowUp.Outcome.choices],
        "appeals": [
            {"number": n, "state": dict(FollowUp.State.choices)[st], "outcome": dict(FollowUp.Outcome.choices).get(out, ""), "reopened": re}
            for n, st, out, re in appeals
        ],
        "subject_appeal": poll.subject_appeal.number if poll.subject_appeal_id else "",
        "subject_problem": poll.subject_problem.lead.number if poll.subject_problem_id else "",
        "tension_point": poll.subject_tension_point_id,
    }


def _questions_block(request: HttpRequest, poll: Poll, **kw) -> HttpResponse:
    ctx = _edit_context(request, poll, **kw)
    return render(request, "workspace/polls/_questions.html", ctx)


@polls_reader
def poll_edit(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = _poll(poll_id)
    form = None
    if request.method == "POST":
        if not may_build(request.user):
            return forbidden(request, "Создавать и менять опросы могут операторы ЦУР и администраторы.")
        form = PollForm(request.POST, poll=poll, locked=poll.status != Status.DRAFT)
        if form.is_valid():
            try:
                services.update_poll(poll, request.user, **form.values())
            except DomainError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, "Опрос сохранён.")
                return redirect("workspace:poll_edit", poll.pk)
    return render(request, "workspace/polls/edit.html", _edit_context(request, poll, form=form))


def _after_question_change(request: HttpRequest, poll: Poll, text: str) -> HttpResponse:
    if is_htmx(request):
        return _questions_block(request, poll)
    messages.success(request, text)
    return redirect("workspace:poll_edit", poll.pk)


def _refused(request: HttpRequest, poll: Poll, exc: DomainError, **kw) -> HttpResponse:
    if is_htmx(request):
        ctx = _edit_context(request, poll, **kw)
        ctx["question_error"] = exc.message
        return render(request, "workspace/polls/_questions.html", ctx)
    messages.error(request, exc.message)
    return redirect("workspace:poll_edit", poll.pk)


@require_POST
@polls_builder
def question_add(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = _poll(poll_id)
    qform = QuestionForm(request.POST)
    if qform.is_valid():
        try:
            services.save_question(poll, request.user, **qform.values())
        except DomainError as exc:
            _apply_errors(qform, exc)
        else:
            return _after_question_change(request, poll, "Вопрос добавлен.")
    if is_htmx(request):
        return _questions_block(request, poll, qform=qform)
    return render(request, "workspace/polls/edit.html", _edit_context(request, poll, qform=qform), status=422)


@polls_builder
def question_edit(request: HttpRequest, poll_id: int, question_id: int) -> HttpResponse:
    poll = _poll(poll_id)
    q = _question(poll, question_id)
    if request.method != "POST":
        eform = QuestionForm(question=q)
        if is_htmx(request):
            return _questions_block(request, poll, editing=q, eform=eform)
        return render(request, "workspace/polls/edit.html", _edit_context(request, poll, editing=q, eform=eform))
    eform = QuestionForm(request.POST)
    if eform.is_valid():
        try:
            services.save_question(poll, request.user, question=q, **eform.values())
        except DomainError as exc:
            _apply_errors(eform, exc)
        else:
            return _after_question_change(request, poll, "Вопрос сохранён.")
    if is_htmx(request):
        return _questions_block(request, poll, editing=q, eform=eform)
    return render(request, "workspace/polls/edit.html", _edit_context(request, poll, editing=q, eform=eform), status=422)


@require_POST
@polls_builder
def question_delete(request: HttpRequest, poll_id: int, question_id: int) -> HttpResponse:
    poll = _poll(poll_id)
    q = _question(poll, question_id)
    try:
        services.delete_question(q, request.user)
    except DomainError as exc:
        return _refused(request, poll, exc)
    return _after_question_change(request, poll, "Вопрос удалён.")


@require_POST
@polls_builder
def question_move(request: HttpRequest, poll_id: int, question_id: int, direction: str) -> HttpResponse:
    """Swap the question with its neighbour above or below (both saved through the service, so a
    published poll refuses it like any other change of its questions)."""
    poll = _poll(poll_id)
    q = _question(poll, question_id)
    ordered = list(poll.questions.prefetch_related("options").order_by("order", "pk"))
    i = ordered.index(q)
    j = i - 1 if direction == "up" else i + 1
    if direction not in ("up", "down"):
        raise Http404("Неизвестное направление.")
    if 0 <= j < len(ordered):
        ordered[i], ordered[j] = ordered[j], ordered[i]
        try:
            for pos, question in enumerate(ordered, 1):
                if question.order != pos:
                    services.save_question(poll, request.user, question=question, order=pos, **_as_values(question))
        except DomainError as exc:
            return _refused(request, poll, exc)
    return _after_question_change(request, poll, "Порядок вопросов изменён.")


def _as_values(q: Question) -> dict:
    return {
        "kind": q.kind,
        "text": q.text,
        "required": q.required,
        "options": [o.text for o in q.options.all()],
        "max_choices": q.max_choices,
        "scale_min": q.scale_min,
        "scale_max": q.scale_max,
        "scale_min_label": q.scale_min_label,
        "scale_max_label": q.scale_max_label,
    }


@polls_reader
def poll_preview(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = _poll(poll_id)
    ctx = {
        **nav_context(request, SECTION),
        "poll": poll,
        "questions": list(poll.questions.prefetch_related("options").order_by("order", "pk")),
        "territories": list(poll.territories.order_by("name")),
        "kinds": QuestionKind,
    }
    return render(request, "workspace/polls/preview.html", ctx)


@require_POST
@polls_builder
def poll_publish(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = _poll(poll_id)
    try:
        services.publish_poll(poll, request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Опрос опубликован: жители могут голосовать.")
    return redirect("workspace:poll_edit", poll.pk)


@require_POST
@polls_builder
def poll_close(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = _poll(poll_id)
    try:
        services.close_poll(poll, request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Опрос завершён: голоса больше не принимаются.")
    return redirect("workspace:poll_edit", poll.pk)


@require_POST
@polls_builder
def poll_announce(request: HttpRequest, poll_id: int) -> HttpResponse:
    """«Разместить в сообществах»: post the link to the configured communities and chats that have
    none yet (publishing does it by itself; this covers a target added afterwards)."""
    poll = _poll(poll_id)
    if poll.status != Status.PUBLISHED:
        messages.error(request, "Разместить ссылку можно только на опубликованный опрос.")
    elif poll.audience != Audience.EVERYONE:
        messages.error(request, "В этом опросе голосуют только приглашённые: ссылку в сообществах не размещают.")
    else:
        ids = channel_polls.write_announcements(poll)
        for pk in ids:
            transaction.on_commit(lambda pk=pk: tasks.enqueue("send_poll_announcement", pk))
        if ids:
            messages.success(request, f"Ссылка отправлена на размещение: мест — {len(ids)}.")
        else:
            messages.info(request, "Новых мест для размещения нет: ссылка уже размещена везде, где настроено.")
    return redirect("workspace:poll_edit", poll.pk)
