"""Searching appeals by words of their text, number and address (the workspace and the API)."""

from __future__ import annotations

from django.db.models import Q


def search_q(text: str, *, personal_data: bool = False) -> Q:
    """Every word must occur in the case-folded search text (made from the masked text: nobody
    finds an appeal by a phone or a name there); or the number matches exactly. Those who may see
    residents' personal data also find words of the text as written (a phone the resident typed)."""
    text = text.strip()
    cond = Q()
    for word in text.split():
        match = Q(search_text__contains=word.casefold())
        if personal_data:
            match |= Q(text__contains=word)
        cond &= match
    return cond | Q(number=text)
