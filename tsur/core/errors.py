"""Domain errors. Each carries a Russian message for people and a stable code for the API."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field_errors = field_errors or {}

    def as_dict(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.field_errors:
            body["fields"] = self.field_errors
        return body


class ValidationFailed(DomainError):
    code = "validation_failed"
    http_status = 422


class TransitionNotAllowed(DomainError):
    code = "transition_not_allowed"
    http_status = 409


class ConcurrentUpdate(DomainError):
    code = "concurrent_update"
    http_status = 409


class AccessDenied(DomainError):
    code = "access_denied"
    http_status = 403


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
