"""Internal notes on an appeal, with mentions of colleagues (each mention becomes a personal
signal, tsur.escalation). A note changes nothing of the appeal: it is written with an audit event
(`note_added`, neither the text nor the names in it) and published after commit on `appeal_noted`.
Residents never see a note or its event (tsur.appeals.notes)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet

from tsur.accounts.models import Role
from tsur.appeals import access
from tsur.appeals.events import AppealChange, appeal_noted
from tsur.appeals.models import Appeal, InternalNote
from tsur.appeals.services.transitions import log_event
from tsur.core.errors import ValidationFailed

NOTE_EVENT = "note_added"
MAX_NOTE_CHARS = 4000
# "@username" not preceded by a word character, so an e-mail address in the text is no mention.
MENTION = re.compile(r"(?<![\w@])@([\w.+-]+[\w])")


def mentioned_usernames(text: str) -> list[str]:
    """The usernames mentioned in `text`, in order, each once."""
    return list(dict.fromkeys(MENTION.findall(text)))


def colleagues_for(appeal: Appeal) -> QuerySet:
    """Active staff who may read this appeal's notes, for the mention picker: the same rule as
    `access.appeals_for`, turned around (who sees this appeal) so the list is one query."""
    roles = access.ACTIONS["note"]
    sees = Q(membership__role__in=[Role.REGIONAL_OPERATOR, Role.ADMINISTRATOR])
    if appeal.queue_id:
        sees |= Q(membership__role=Role.MUNICIPAL_OPERATOR, membership__queue_id=appeal.queue_id)
    if appeal.organisation_id:
        sees |= Q(membership__role=Role.COORDINATOR, membership__organisation_id=appeal.organisation_id)
        if appeal.executor_id:
            sees |= Q(pk=appeal.executor_id, membership__role=Role.EXECUTOR, membership__organisation_id=appeal.organisation_id)
    users = get_user_model().objects.filter(sees, is_active=True, membership__role__in=roles)
    return users.order_by("last_name", "first_name", "username")


def notes_of(appeal: Appeal, user) -> QuerySet:
    """The appeal's notes for a user who may read them, oldest first; none for anyone else."""
    if not access.can(user, "note", appeal):
        return InternalNote.objects.none()
    return InternalNote.objects.filter(appeal=appeal).select_related("author").prefetch_related("mentions")


def add_note(appeal: Appeal, user, text: str, *, mention_ids: Iterable[int] = ()) -> InternalNote:
    """Write an internal note. Colleagues are mentioned by `@username` in the text or picked
    (`mention_ids`); a mention of someone who cannot see the appeal is refused, so nobody gets a
    signal about an appeal they cannot open."""
    access.require(user, "note", appeal)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("Напишите текст заметки.", field_errors={"text": ["Напишите текст заметки."]})
    if len(text) > MAX_NOTE_CHARS:
        message = f"Заметка длиннее {MAX_NOTE_CHARS} знаков; сократите её."
        raise ValidationFailed(message, field_errors={"text": [message]})
    mentioned = _mentioned(appeal, user, mentioned_usernames(text), {int(pk) for pk in mention_ids})
    with transaction.atomic():
        note = InternalNote.objects.create(appeal=appeal, author=user, text=text)
        note.mentions.set(mentioned)
        data: dict = {"note": note.pk}
        if mentioned:
            data["mentioned"] = sorted(u.pk for u in mentioned)
        event = log_event(appeal, NOTE_EVENT, user, data=data)
        appeal_noted.publish([AppealChange.of(event)])
    return note


def _mentioned(appeal: Appeal, author, usernames: list[str], picked: set[int]) -> list:
    User = get_user_model()
    found = {u.username.casefold(): u for u in User.objects.filter(is_active=True).filter(_names_q(usernames))} if usernames else {}
    unknown = [name for name in usernames if name.casefold() not in found]
    if unknown:
        message = "Нет сотрудника с именем пользователя " + ", ".join(f"@{n}" for n in unknown) + "."
        raise ValidationFailed(message, field_errors={"text": [message]})
    users = {u.pk: u for u in found.values()}
    if picked - users.keys():
        users.update({u.pk: u for u in User.objects.filter(pk__in=picked - users.keys(), is_active=True)})
        if picked - users.keys():
            raise ValidationFailed("Выбранный сотрудник не найден.", field_errors={"mentions": ["Выбранный сотрудник не найден."]})
    users.pop(author.pk, None)
    blind = [u for u in users.values() if not access.can(u, "note", appeal)]
    if blind:
        names = ", ".join(u.get_full_name() or u.get_username() for u in blind)
        message = f"Нельзя упомянуть: {names} — нет доступа к этому обращению."
        # The error goes where the mention was made: the text (@name) or the list of colleagues.
        in_text = any(u.username.casefold() in found for u in blind)
        raise ValidationFailed(message, field_errors={"text" if in_text else "mentions": [message]})
    return sorted(users.values(), key=lambda u: u.pk)


def _names_q(usernames: list[str]) -> Q:
    q = Q()
    for name in usernames:
        q |= Q(username__iexact=name)
    return q


__all__ = ["MAX_NOTE_CHARS", "NOTE_EVENT", "add_note", "colleagues_for", "mentioned_usernames", "notes_of"]
