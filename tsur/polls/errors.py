"""What a poll refuses, each with a Russian message for residents and a stable code for the API."""

from __future__ import annotations

from tsur.core.errors import DomainError, NotFound, ValidationFailed


class PollNotFound(NotFound):
    code = "poll_not_found"


class PollNotOpen(DomainError):
    """Not published yet, not started, ended or closed."""

    code = "poll_not_open"
    http_status = 409


class OutsideTerritory(DomainError):
    code = "outside_territory"
    http_status = 422


class AlreadyVoted(DomainError):
    code = "already_voted"
    http_status = 409


class VerificationRequired(DomainError):
    """The poll asks for a way of verification the voter did not go through."""

    code = "verification_required"
    http_status = 403


class BadContact(ValidationFailed):
    code = "bad_contact"


class CodeRefused(DomainError):
    """A one-time code that is wrong, expired, used or tried too often (`code` says which)."""

    code = "code_invalid"
    http_status = 422


class ContactKindUnsupported(BadContact):
    """The configured sender cannot reach this kind of contact (e.g. phones without an SMS gateway)."""

    code = "contact_kind_unsupported"


class SenderUnavailable(DomainError):
    """Sending failed (the mail server or the gateway is down): a later attempt can help."""

    code = "sender_failed"
    http_status = 503


class InvalidAnswers(ValidationFailed):
    code = "invalid_answers"


class PollLocked(DomainError):
    """A change the poll's status does not allow (questions of a published poll, a closed poll)."""

    code = "poll_locked"
    http_status = 409
