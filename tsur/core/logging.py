"""Structured logs without personal data.

Every line carries the request id of the request (or task) it belongs to. `PersonalDataFilter`,
attached to the root handler, masks phones, e-mails, documents, account links and names in every
message, argument and traceback before any formatter sees them (152-FZ: a log line is a copy of
whatever it quotes, kept and shipped elsewhere). `TSUR_LOG_FORMAT=json` selects `JsonFormatter`:
one JSON object per line with a fixed set of fields, never the record's other attributes (Django
attaches the request itself to its records, whose repr carries the path and its query string).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import re
import uuid

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

from tsur.lib.pdmask import mask_personal_data

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("tsur_request_id", default="")

# An id a proxy in front of us may have given the request already: kept if it looks like one.
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# Extra fields a record may carry into a JSON line (the request log's); anything else is dropped.
SAFE_EXTRAS = ("method", "route", "status", "duration_ms")


def new_request_id(incoming: str | None = None) -> str:
    """The id of a new request: the proxy's X-Request-ID when it is a plain token, else a fresh one."""
    if incoming and _INCOMING_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


def set_request_id(value: str) -> contextvars.Token:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


def current_request_id() -> str:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


def _route_of(request: object) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return "/" + match.route
    return "<unmatched>"


class PersonalDataFilter(logging.Filter):
    """Masks personal data in the message (its arguments merged in first), in the formatted
    traceback, and replaces the raw path of a request Django logs («Not Found: /status/<token>/»)
    with its route pattern. Runs once per record: the masked text replaces the original, so every
    handler and formatter after it sees only the masked one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_tsur_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the template only, never the raw arguments
            message = str(record.msg)
        request = getattr(record, "request", None)
        if request is not None:
            path = getattr(request, "path", "")
            if path:
                message = message.replace(getattr(request, "get_full_path", lambda: path)(), _route_of(request))
                message = message.replace(path, _route_of(request))
            record.request = None  # its repr carries the path and the query string
        record.msg = mask_personal_data(message)
        record.args = None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = mask_personal_data(text)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        record._tsur_masked = True
        return True


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id, the
    request log's fields when present, and exc_info for a (masked) traceback."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("timestamp", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def add_fields(self, log_data: dict, record: logging.LogRecord, message_dict: dict) -> None:
        log_data["time"] = dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds")
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.message
        log_data["request_id"] = getattr(record, "request_id", "") or _request_id.get()
        for name in SAFE_EXTRAS:
            value = getattr(record, name, None)
            if value is not None:
                log_data[name] = value
        if message_dict.get("exc_info"):
            log_data["exc_info"] = message_dict["exc_info"]
        if message_dict.get("stack_info"):
            log_data["stack_info"] = message_dict["stack_info"]
