"""What of an appeal's free text each reader may see (152-FZ).

Residents type their names, phones and e-mails into what they write, and officials address them
by name in answers. Whoever may not see a resident's personal data (analysts, the public Open311
feed, exports) reads every such text through `masked`: the personal-data engine's patterns
(tsur.lib.pdmask) plus the values we know of this resident, masked wherever they appear.
"""

from __future__ import annotations

from tsur.appeals.models import Appeal, Resident
from tsur.lib.pdmask import mask_known, mask_personal_data


def masked(text: str, resident: Resident | None = None, *, name: str = "", phone: str = "", email: str = "", account: str = "") -> str:
    """`text` with personal data masked: recognised patterns, and the resident's own values."""
    if not text:
        return text
    if resident is not None:
        name, phone, email, account = resident.name, resident.phone, resident.email, resident.account_link
    return mask_known(mask_personal_data(text), name=name, phone=phone, email=email, account=account)


def visible(text: str, appeal: Appeal, *, pd: bool) -> str:
    """A free text about `appeal` (an answer, a note, a rating comment) as this reader may see it."""
    return text if pd else masked(text, appeal.resident if appeal.resident_id else None)


def appeal_text(appeal: Appeal, *, pd: bool) -> str:
    """The appeal's own text: as written to those who may see personal data, else the copy masked
    when it was received (`Appeal.text_masked`)."""
    return appeal.text if pd else appeal.text_masked
