"""Masking of contacts that residents type into free text (152-FZ: public reads and analysts must
not see them). Pure Python, no Django.

Only what can be recognised with confidence is masked: Russian phone numbers written with the
country prefix (+7 or 8) and e-mail addresses. Dates, appeal numbers and house numbers must stay
readable, so a phone is exactly eleven digits (prefix included) with ordinary separators between
them; dots are not separators, otherwise "8.12.2024 1234" would look like a phone.
"""

from __future__ import annotations

import re

PHONE_MASK = "[телефон]"
EMAIL_MASK = "[email]"

# Separators people put between the digits of a phone: spaces (incl. no-break), hyphens and
# dashes, parentheses around the area code.
_SEP = r"[\s\-\u2010-\u2015\u2212()]*"
_PHONE = re.compile(
    r"(?<![\w+])"  # not glued to a word or another number
    r"(?:\+" + _SEP + r"7|8)"  # +7 / + 7 / 8
    r"(?:" + _SEP + r"\d){10}"  # ten more digits, any grouping
    r"(?!\d)"
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


def mask_contacts(text: str) -> str:
    """Replace phone numbers and e-mail addresses in `text` with neutral placeholders."""
    if not text:
        return text
    text = _EMAIL.sub(EMAIL_MASK, text)
    return _PHONE.sub(PHONE_MASK, text)


def has_contacts(text: str) -> bool:
    return bool(text) and bool(_EMAIL.search(text) or _PHONE.search(text))
