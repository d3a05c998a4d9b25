"""Pseudonymising residents' personal data (152-FZ): by the retention period, or at their request.

What goes: the resident's name, phone, e-mail, social-network account and the link to their user
account; their personal data inside the appeals' free texts (the appeal's text becomes its masked
copy, residents' messages and clarification answers, notifications and internal notes are masked).
What stays: the appeals, their events, statuses, places and times (59-FZ files; the statistics
read those) and the resident's row with its pseudonym, so the numbers on every dashboard stay the
same after a purge. Photos: deleted by the retention purge (they may show people, car plates or a
home, and their purpose ended with the archive period); kept on a resident's request, where the
appeal file is still within its archive period and the photo is the evidence of the problem.

Every purge writes one `personal_data_purged` event on each appeal it touched (through
`log_event`) and a `PurgeRun` with the counts; the apps above (channels keep raw payloads) hear of
it on the `personal_data_purged` topic after commit and clear their own copies.

Work is idempotent and resumable: each resident is pseudonymised in its own transaction, claimed by
locking the row while `pseudonymised_at` is empty, so two workers or a run after a crash never purge
twice, and a run cut short leaves the rest for the next one.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import Q

from tsur.accounts.models import Membership, Role
from tsur.appeals.models import Appeal, Attachment, DataRequest, Event, Notification, PurgeRun, Resident, Status
from tsur.appeals.notes import InternalNote
from tsur.appeals.services.messages import REQUEST_EVENT, RESIDENT_MESSAGE_EVENT
from tsur.appeals.services.transitions import log_event
from tsur.core import clock
from tsur.core.errors import DomainError, NotFound
from tsur.core.events import Topic
from tsur.core.tasks import periodic
from tsur.deadlines.compute import calendar_for
from tsur.directory.models import Regime
from tsur.lib.pdmask import mask_known, mask_personal_data

log = logging.getLogger(__name__)

PURGED_EVENT = "personal_data_purged"
REQUEST_EVENT_KIND = "personal_data_request"
# Ids of the appeals whose resident was pseudonymised, after commit (channels empty raw payloads).
personal_data_purged: Topic[int] = Topic("personal_data_purged")

# An appeal is finished in these statuses; its `closed_at` starts the retention period.
FINISHED = (Status.CLOSED, Status.REJECTED, Status.JOINED)
# Events whose free text a resident wrote or was addressed in: masked with the patterns too (a
# rating's reason is the resident's comment). Others (staff reasons) are masked only where the
# resident's own values appear in them.
RESIDENT_TEXT_EVENTS = (RESIDENT_MESSAGE_EVENT, REQUEST_EVENT, "created", "rate_satisfied", "reopen", "reopen_member")


def cutoffs(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(59-FZ appeals, messages and incidents): appeals closed before these are past retention."""
    return (
        now - dt.timedelta(days=settings.TSUR_PD_RETENTION_DAYS),
        now - dt.timedelta(days=settings.TSUR_PD_RETENTION_DAYS_MESSAGES),
    )


def _expired_q(now: dt.datetime, prefix: str = "") -> Q:
    """An appeal past retention: finished, and closed before its regime's cutoff."""
    appeal_cut, message_cut = cutoffs(now)
    p = prefix
    return Q(**{f"{p}status__in": FINISHED}) & (
        (Q(**{f"{p}regime": Regime.APPEAL}) & Q(**{f"{p}closed_at__lt": appeal_cut}))
        | (~Q(**{f"{p}regime": Regime.APPEAL}) & Q(**{f"{p}closed_at__lt": message_cut}))
    )


def residents_due(now: dt.datetime) -> models.QuerySet[Resident]:
    """Residents not yet pseudonymised whose every appeal is past retention."""
    blocking = Appeal.objects.filter(resident_id=models.OuterRef("pk")).exclude(_expired_q(now))
    return (
        Resident.objects.filter(pseudonymised_at__isnull=True, appeals__isnull=False)
        .exclude(models.Exists(blocking))
        .distinct()
        .order_by("pk")
    )


def _mask(text: str, values: dict[str, str], *, patterns: bool) -> str:
    if not text:
        return text
    return mask_known(mask_personal_data(text) if patterns else text, **values)


def _values(resident: Resident) -> dict[str, str]:
    return {"name": resident.name, "phone": resident.phone, "email": resident.email, "account": resident.account_link}


def _rewrite_events(appeal_ids: list[int], values: dict[str, str]) -> None:
    """Mask the free text of the appeals' events. The log is append-only (`EventQuerySet`); this is
    its one sanctioned rewrite: 152-FZ art. 21 requires the personal data itself to go, and it lives
    in the text of residents' messages. Kind, actor, time and statuses are never touched."""
    raw = models.QuerySet(model=Event)
    for event in raw.filter(appeal_id__in=appeal_ids).only("pk", "kind", "reason", "data"):
        patterns = event.kind in RESIDENT_TEXT_EVENTS
        reason = _mask(event.reason, values, patterns=patterns)
        data = dict(event.data or {})
        if isinstance(data.get("text"), str):
            data["text"] = _mask(data["text"], values, patterns=patterns)
        if reason != event.reason or data != event.data:
            raw.filter(pk=event.pk).update(reason=reason, data=data)


def _pseudonymise(resident: Resident, *, run: PurgeRun, actor, delete_photos: bool, why: str) -> list[int]:
    """Clear one resident's personal data (the caller holds the row locked). Returns appeal ids."""
    values = _values(resident)
    appeals = list(Appeal.objects.select_for_update().filter(resident=resident).order_by("pk"))
    ids = [a.pk for a in appeals]
    for appeal in appeals:
        text = _mask(appeal.text_masked or appeal.text, values, patterns=True)
        appeal.text = appeal.text_masked = text
        appeal.refresh_search_text()
        # update(), not save(): no status, version or `updated_at` moves, so nothing that counts
        # appeals sees a change.
        Appeal.objects.filter(pk=appeal.pk).update(text=text, text_masked=text, search_text=appeal.search_text)
    _rewrite_events(ids, values)
    for note in InternalNote.objects.filter(appeal_id__in=ids).only("pk", "text"):
        masked = _mask(note.text, values, patterns=True)
        if masked != note.text:
            InternalNote.objects.filter(pk=note.pk).update(text=masked)
    for n in Notification.objects.filter(appeal_id__in=ids).only("pk", "subject", "body"):
        Notification.objects.filter(pk=n.pk).update(
            subject=_mask(n.subject, values, patterns=False)[:200], body=_mask(n.body, values, patterns=True)
        )
    if delete_photos:
        for attachment in Attachment.objects.filter(appeal_id__in=ids):
            name = attachment.file.name
            attachment.delete()
            # The file goes after commit: a rolled-back purge keeps its photos.
            transaction.on_commit(lambda name=name, storage=attachment.file.storage: storage.delete(name))
    Resident.objects.filter(pk=resident.pk).update(
        name="", phone="", email="", account_link="", user=None, pseudonymised_at=clock.now()
    )
    for appeal in appeals:
        log_event(appeal, PURGED_EVENT, actor, reason=why, data={"run": run.pk, "reason": run.reason, "photos_deleted": delete_photos})
    transaction.on_commit(lambda: personal_data_purged.publish(ids))
    return ids


def purge_expired(now: dt.datetime | None = None, *, limit: int | None = None) -> PurgeRun | None:
    """Pseudonymise up to `limit` residents past retention; None when there is nobody to purge."""
    now = now or clock.now()
    limit = limit or settings.TSUR_PD_PURGE_BATCH
    due = list(residents_due(now).values_list("pk", flat=True)[:limit])
    if not due:
        return None
    run = PurgeRun.objects.create(reason=PurgeRun.Reason.RETENTION, cutoff=cutoffs(now)[0], started_at=now)
    why = f"Персональные данные жителя обезличены: истёк срок хранения ({settings.TSUR_PD_RETENTION_DAYS} дн. после закрытия)"
    for pk in due:
        with transaction.atomic():
            # The claim: a row another worker already purged (or a new appeal made not due) is skipped.
            resident = Resident.objects.select_for_update().filter(pk=pk, pseudonymised_at__isnull=True).first()
            if resident is None or not residents_due(now).filter(pk=pk).exists():
                continue
            ids = _pseudonymise(resident, run=run, actor=None, delete_photos=True, why=why)
            PurgeRun.objects.filter(pk=run.pk).update(residents=models.F("residents") + 1, appeals=models.F("appeals") + len(ids))
    PurgeRun.objects.filter(pk=run.pk).update(finished_at=clock.now())
    run.refresh_from_db()
    log.info("personal data purge run %s: %s residents, %s appeals", run.pk, run.residents, run.appeals)
    return run


@periodic("pd_retention")
def retention_job(now: dt.datetime) -> int:
    """Each tick: one batch of residents past retention (0 when nobody is due)."""
    run = purge_expired(now)
    return run.residents if run is not None else 0


# --- residents' requests ---------------------------------------------------------------------------


class RequestRefused(DomainError):
    http_status = 409


def request_due(at: dt.datetime) -> dt.datetime:
    """When a request received at `at` must be answered: 10 working days (152-FZ art. 14 part 3,
    art. 20 part 1; the deployment's working calendar)."""
    return calendar_for(None).add_working_days(at, settings.TSUR_PD_REQUEST_WORKING_DAYS)


def blocks_automatic(resident: Resident) -> bool:
    """Whether an administrator must decide: an appeal still worked on needs the contacts to answer
    (59-FZ art. 10 part 4: the answer goes to the address the resident gave)."""
    return resident.appeals.exclude(status__in=FINISHED).exists()


def request_deletion(resident: Resident, *, source: str, user=None, appeal: Appeal | None = None) -> DataRequest:
    """Record a resident's request to delete their data; executed at once when nothing blocks it.
    A pending request is returned again rather than doubled (a second click, a second tab)."""
    with transaction.atomic():
        locked = Resident.objects.select_for_update().get(pk=resident.pk)
        if locked.pseudonymised_at is not None:
            raise RequestRefused("Персональные данные по этому обращению уже удалены.", code="already_purged")
        pending = DataRequest.objects.filter(resident=locked, state=DataRequest.State.PENDING).first()
        if pending is not None:
            return pending
        now = clock.now()
        req = DataRequest.objects.create(
            resident=locked, user=user, appeal=appeal, source=source, created_at=now, due_at=request_due(now)
        )
        for a in locked.appeals.all():
            log_event(a, REQUEST_EVENT_KIND, user, label="житель", reason="Житель запросил удаление персональных данных", data={"request": req.pk})
        if not blocks_automatic(locked):
            return execute_request(req, actor=None)
    return req


def _lock_pending(req: DataRequest | int) -> DataRequest:
    """The request, locked for its decision (inside the caller's transaction), if still pending."""
    pk = req.pk if isinstance(req, DataRequest) else req
    locked = DataRequest.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise NotFound("Запрос не найден.")
    if locked.state != DataRequest.State.PENDING:
        raise RequestRefused("Запрос уже рассмотрен.", code="request_decided")
    return locked


def execute_request(req: DataRequest | int, *, actor) -> DataRequest:
    """Pseudonymise the resident of a pending request (an administrator, or the system when nothing
    blocks it), and tell the resident by e-mail while we still have the address."""
    with transaction.atomic():
        locked = _lock_pending(req)
        resident = Resident.objects.select_for_update().get(pk=locked.resident_id)
        run = PurgeRun.objects.create(reason=PurgeRun.Reason.REQUEST, actor=actor)
        if resident.pseudonymised_at is None:
            email = resident.email
            ids = _pseudonymise(
                resident, run=run, actor=actor, delete_photos=False, why="Персональные данные жителя удалены по его запросу"
            )
            if email:
                transaction.on_commit(lambda: _tell_resident(email, locked.pk))
        else:
            ids = []
        if locked.source == DataRequest.Source.CABINET and locked.user_id:
            _forget_account_contacts(locked.user_id)
        PurgeRun.objects.filter(pk=run.pk).update(residents=1 if ids else 0, appeals=len(ids), finished_at=clock.now())
        locked.state = DataRequest.State.DONE
        locked.decided_by = actor
        locked.decided_at = clock.now()
        locked.run = run
        locked.save(update_fields=["state", "decided_by", "decided_at", "run"])
    return locked


def _forget_account_contacts(user_id: int) -> None:
    """The cabinet account of a resident who asked: once none of its resident rows holds data any
    more, its name and e-mail go too. The login and password stay, so the resident can still sign
    in and read the outcome of the request; an account with any other role is never touched."""
    if Resident.objects.filter(user_id=user_id, pseudonymised_at__isnull=True).exists():
        return  # another of the resident's rows still waits for its decision
    if not Membership.objects.filter(user_id=user_id, role=Role.RESIDENT).exists():
        return
    get_user_model().objects.filter(pk=user_id, is_staff=False, is_superuser=False).update(first_name="", last_name="", email="")


def refuse_request(req: DataRequest | int, *, actor, note: str) -> DataRequest:
    """Refuse a request, with the reason the resident will read (no personal data in it)."""
    note = (note or "").strip()
    if not note:
        raise DomainError("Укажите причину отказа: её увидит житель.", code="note_required", field_errors={"note": ["Обязательное поле."]})
    with transaction.atomic():
        locked = _lock_pending(req)
        locked.state, locked.decided_by, locked.decided_at, locked.note = DataRequest.State.REFUSED, actor, clock.now(), note[:2000]
        locked.save(update_fields=["state", "decided_by", "decided_at", "note"])
        for a in Appeal.objects.filter(resident_id=locked.resident_id):
            log_event(a, REQUEST_EVENT_KIND, actor, reason="Отказано в удалении персональных данных", data={"request": locked.pk, "refused": True})
    return locked


def _tell_resident(email: str, request_id: int) -> None:
    # The address is held in memory only for this message: it is already gone from the database.
    try:
        send_mail(
            "Ваши персональные данные удалены",
            "Здравствуйте!\n\nПо вашему запросу персональные данные (имя, телефон, адрес электронной почты, "
            "аккаунт в соцсети) удалены из платформы. Обращения сохранены без них: этого требует закон "
            "о порядке рассмотрения обращений граждан.\n\nЭто письмо отправлено автоматически.",
            settings.DEFAULT_FROM_EMAIL,
            [email],
        )
    except Exception as exc:
        log.warning("could not tell the resident of data request %s: %s", request_id, type(exc).__name__)
