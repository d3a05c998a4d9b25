"""The answers' share of the personal-data purge (tsur.appeals.services.retention).

An answer is written to the resident («Уважаемая Анна Сергеевна! …», a reply to the address they
gave) and a rating's comment is the resident's own words: both may carry the resident's name and
contacts. When appeals pseudonymise a resident, the texts of their appeals' answers and ratings are
masked here: names (natasha's person-name NER and the cues of address), phones, e-mails, documents
and profile links become placeholders; what the answer says about the problem stays. Appeals sit
below answers and never import them, so this listens to the `personal_data_purged` topic (after
commit), and a periodic sweep catches what a lost notification or a crash between the two left
behind. The resident's own values are already gone by then (cleared in the purge's transaction and
never sent on), so only the patterns mask here.

Staff notes about an answer (`check_note`, extension reasons) are the officials' texts, as the
staff reasons of events are, and are left as written.

Wiring (the answers app's `ready`): `from tsur.answers import retention; retention.subscribe()`.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction

from tsur.answers.models import Answer, Rating
from tsur.appeals.services.retention import personal_data_purged
from tsur.core import clock
from tsur.core.tasks import periodic
from tsur.lib.pdmask import mask_personal_data

log = logging.getLogger(__name__)

SWEEP_AT_MOST = 2000


def _mask(text: str) -> str:
    return mask_personal_data(text, names=True) if text else text


def mask_texts(appeal_ids: list[int], now: dt.datetime | None = None) -> int:
    """Mask the answers' texts and the ratings' comments of these appeals; marks them done.
    Returns the rows masked. Rows already marked are skipped, so a repeat does nothing."""
    if not appeal_ids:
        return 0
    now = now or clock.now()
    done = 0
    with transaction.atomic():
        for answer in Answer.objects.select_for_update().filter(appeal_id__in=appeal_ids, pd_purged_at__isnull=True).only("pk", "text"):
            Answer.objects.filter(pk=answer.pk).update(text=_mask(answer.text), pd_purged_at=now)
            done += 1
        for rating in Rating.objects.select_for_update().filter(appeal_id__in=appeal_ids, pd_purged_at__isnull=True).only("pk", "comment"):
            Rating.objects.filter(pk=rating.pk).update(comment=_mask(rating.comment), pd_purged_at=now)
            done += 1
    if done:
        log.info("personal data purge: masked %d answers and ratings", done)
    return done


@periodic("answers.pd_texts")
def sweep_texts(now: dt.datetime) -> int:
    """Answers and ratings of pseudonymised residents' appeals still unmasked (the subscriber missed them)."""
    unmasked = (
        list(
            model.objects.filter(appeal__resident__pseudonymised_at__isnull=False, pd_purged_at__isnull=True)
            .values_list("appeal_id", flat=True)
            .distinct()[:SWEEP_AT_MOST]
        )
        for model in (Answer, Rating)
    )
    ids = sorted({pk for part in unmasked for pk in part})
    return mask_texts(ids, now)


def subscribe() -> None:
    personal_data_purged.subscribe(lambda ids: mask_texts(list(ids)), uid="tsur.answers.retention")
