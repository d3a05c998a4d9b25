"""Internal notes on the card, with mentions of colleagues.

Views parse input, check access and call `tsur.appeals.services.notes`; with HTMX the notes
section is swapped in place, without JavaScript the form posts and redirects back to the card.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tsur.appeals import access
from tsur.appeals.models import Appeal
from tsur.appeals.services.notes import MAX_NOTE_CHARS, add_note, colleagues_for, notes_of
from tsur.core.errors import DomainError
from tsur.workspace.guards import is_htmx, scoped_appeal, staff_required


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Заметка",
        max_length=MAX_NOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Видна только сотрудникам. Упомяните коллегу: @имя_пользователя"}),
        error_messages={"required": "Напишите текст заметки.", "max_length": f"Заметка длиннее {MAX_NOTE_CHARS} знаков; сократите её."},
    )
    mentions = forms.TypedMultipleChoiceField(
        label="Упомянуть коллег",
        required=False,
        coerce=int,
        choices=(),
        widget=forms.SelectMultiple(attrs={"size": 4, "data-testid": "note-mentions"}),
    )

    def __init__(self, *args, colleagues=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mentions"].choices = [(u.pk, _name(u)) for u in colleagues]
        self.fields["mentions"].error_messages["invalid_choice"] = "Этого сотрудника нельзя упомянуть: у него нет доступа к обращению."


def _name(user) -> str:
    full = user.get_full_name()
    return f"{full} (@{user.username})" if full else f"@{user.username}"


def notes_context(appeal: Appeal, user, *, form: NoteForm | None = None, error: str = "") -> dict:
    """What the card's notes section needs; empty for those who may not read notes."""
    if not access.can(user, "note", appeal):
        return {"may_note": False}
    colleagues = list(colleagues_for(appeal).exclude(pk=user.pk))
    return {
        "may_note": True,
        "notes": list(notes_of(appeal, user)),
        "note_form": form or NoteForm(colleagues=colleagues),
        "note_error": error,
    }


@staff_required
@require_POST
def add(request: HttpRequest, number: str) -> HttpResponse:
    appeal = scoped_appeal(request.user, number)
    colleagues = list(colleagues_for(appeal).exclude(pk=request.user.pk))
    form = NoteForm(request.POST, colleagues=colleagues)
    status, error = 200, ""
    if not access.can(request.user, "note", appeal):
        status, error = 403, "Заметки к этому обращению вам недоступны."
    elif not form.is_valid():
        status, error = 422, "Заметка не добавлена: проверьте отмеченные поля."
    else:
        try:
            add_note(appeal, request.user, form.cleaned_data["text"], mention_ids=form.cleaned_data["mentions"])
        except DomainError as exc:
            for field, errors in exc.field_errors.items():
                form.add_error(field if field in form.fields else None, errors)
            # The reason is shown at the field it concerns; the notice above the form only says so.
            status, error = exc.http_status, ("Заметка не добавлена." if exc.field_errors else exc.message)
        else:
            form = None
    if is_htmx(request):
        ctx = {"appeal": appeal, **notes_context(appeal, request.user, form=form, error=error)}
        if status == 403:
            ctx["note_error"] = error
        return render(request, "workspace/_notes.html", ctx, status=status)
    if error:
        messages.error(request, error + " " + " ".join(e for errs in (form.errors.values() if form else []) for e in errs))
    else:
        messages.success(request, "Заметка добавлена.")
    return redirect(reverse("workspace:card", args=[appeal.number]) + "#notes")
