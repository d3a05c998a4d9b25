"""Who votes, as the polls know it: never the contact or the account itself, only keyed hashes.

- `contact_key(contact)`: HMAC of the normalised phone or e-mail, the same for every poll (it
  counts code requests per contact); stored only on a one-time code.
- `voter_key(poll, identity)`: HMAC of the verified identity and the poll's id, stored on the
  ballot. Unique per poll, so a resident votes once; different in each poll, so ballots of two
  polls cannot be joined into one person's record; not reversible without the secret key.

A resident who votes once with an account and once with a phone code is two identities: the
platform does not link an account to a contact (that would need personal data beside the vote).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from tsur.polls.errors import BadContact
from tsur.polls.models import ContactKind, Poll


class IdentityKind:
    ACCOUNT = "account"  # a resident's account: subject "user:<id>"
    CONTACT = "contact"  # a phone or e-mail confirmed by a one-time code: subject = contact_key
    INVITATION = "invitation"  # a follow-up invitation's link: subject "resident:<id>" or "invitation:<id>"


@dataclass(frozen=True)
class Identity:
    kind: str
    subject: str
    # The one-time code (contact) or the invitation that proved it, used up by the vote.
    code_id: int | None = None
    invitation_id: int | None = None


def _hmac(message: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def contact_key(normalised_contact: str) -> str:
    return _hmac(f"poll-contact:{normalised_contact}")


def code_hash(salt: str, code: str) -> str:
    return _hmac(f"poll-code:{salt}:{code}")


def token_hash(token: str) -> str:
    return _hmac(f"poll-invitation:{token}")


def voter_key(poll: Poll, identity: Identity) -> str:
    return _hmac(f"poll-vote:{poll.pk}:{identity.kind}:{identity.subject}")


def account_identity(user) -> Identity:
    return Identity(IdentityKind.ACCOUNT, f"user:{user.pk}")


_PHONE_CHARS = re.compile(r"[\s\-()\u2010-\u2015\u2212.]")


def normalise_contact(raw: str) -> tuple[str, str]:
    """(kind, normalised contact) of a phone or e-mail as a resident typed it; BadContact otherwise.
    Phones are Russian numbers: +7XXXXXXXXXX, 8XXXXXXXXXX, 7XXXXXXXXXX or ten digits from 9."""
    value = (raw or "").strip()
    if not value:
        raise BadContact("Укажите номер телефона или адрес электронной почты.", field_errors={"contact": ["Обязательное поле."]})
    if "@" in value:
        email = value.lower()
        try:
            validate_email(email)
        except ValidationError:
            raise BadContact(
                "Адрес электронной почты указан неверно: проверьте, например, ivanov@mail.ru.",
                field_errors={"contact": ["Неверный адрес электронной почты."]},
            ) from None
        return ContactKind.EMAIL, email
    digits = _PHONE_CHARS.sub("", value)
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("8") and len(digits) == 11:
        digits = "7" + digits[1:]
    elif len(digits) == 10 and digits.startswith("9"):
        digits = "7" + digits
    if not (digits.isdigit() and len(digits) == 11 and digits.startswith("7")):
        raise BadContact(
            "Номер телефона указан неверно: нужен российский номер из 11 цифр, например +7 900 123-45-67.",
            field_errors={"contact": ["Неверный номер телефона."]},
        )
    return ContactKind.PHONE, "+" + digits


def shown_contact(kind: str, contact: str) -> str:
    """A contact as shown back to its owner («код отправлен на …»), mostly hidden: the page may be
    seen over a shoulder or kept in a browser's history."""
    if kind == ContactKind.EMAIL:
        name, _, domain = contact.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"+7 {contact[2:5]} ***-**-{contact[-2:]}"
