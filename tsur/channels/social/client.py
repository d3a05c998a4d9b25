"""The shared part of the thin clients of REST-style social network APIs (VK, OK).

Every call is one HTTPS POST with a form body, so a token never reaches a URL or an access log.
Calls are paced (`min_interval`) because both services limit requests per second. The service's
one documented "slow down" error is retried in place with a doubling pause: giving up on it would
leave the whole poll to the core's retry minutes later. Every failure is raised as a ServiceError
whose Russian reason an operator can act on and which says whether a later attempt can help
(`retryable`, `retry_after`).

A subclass says what differs: where a method is sent and with which extra parameters (a token and
a version, or a signature), how an answer carries its result or its error, and the service's table
of documented error codes (`ErrorGroup`).
"""

from __future__ import annotations

import abc
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, Self, TypedDict

import httpx

from tsur.channels.base import ServiceError


class Retry(NamedTuple):
    """The meaning of a documented error code that a later attempt can help with."""

    what: str  # what the code means, in the operator's words
    after: float  # seconds to wait before the next attempt


@dataclass(frozen=True)
class ErrorGroup:
    """Documented error codes an operator reads alike: how their reason is worded and what each means.

    `wording` is a str.format template over {service}, {method}, {what}, {code} and {msg} (the
    service's own message, cut to 200 characters); a group may leave any of them out. A code whose
    meaning is a Retry is worth another attempt after that many seconds; a plain meaning is final.
    `skip_source`: the codes say that one object (a community, a group, a post) is closed, deleted
    or private to us, so listening skips it and keeps reading the others.
    """

    wording: str
    codes: Mapping[int, str | Retry]
    skip_source: bool = False

    def __contains__(self, code: object) -> bool:
        return code in self.codes


# How the other documented errors are worded, and a code no table names.
PLAIN_WORDING = "{service}: {method}: {what} (код {code}: {msg})"


@dataclass(frozen=True)
class ErrorTable:
    """How one service's failures are raised: its name in the reasons, its error class and its
    documented error codes (groups are looked up in order). An error answer carries its `code`;
    an answer that is not what the documentation describes has none."""

    service: str  # e.g. «ВКонтакте»
    error: type[ServiceError]
    groups: tuple[ErrorGroup, ...]

    def protocol(self, where: str, problem: str, *, retry_after: float | None = None) -> ServiceError:
        """An answer that is not what the documentation describes; a later attempt can help only
        when `retry_after` is given (a broken gateway, not a changed format)."""
        return self.error(f"{self.service}: {where}: {problem}", retryable=retry_after is not None, retry_after=retry_after)

    def classify(self, code: Any, message: Any, method: str) -> ServiceError:
        """One documented error answer: its reason, and whether and when a later attempt can help."""
        try:
            code = int(code)
        except (TypeError, ValueError):
            return self.error(f"{self.service}: {method}: ошибка без кода ({str(message)[:200]})", retryable=False)
        words = {"service": self.service, "method": method, "code": code, "msg": str(message or "")[:200]}
        for group in self.groups:
            if code in group:
                meaning = group.codes[code]
                if isinstance(meaning, Retry):
                    return self.error(group.wording.format(what=meaning.what, **words), retryable=True, retry_after=meaning.after, code=code)
                return self.error(group.wording.format(what=meaning, **words), retryable=False, code=code)
        return self.error(PLAIN_WORDING.format(what="ошибка", **words), retryable=False, code=code)

    def skips_source(self, exc: Exception) -> bool:
        """Whether `exc` is this service saying that what was read is closed, deleted or private to us."""
        code = exc.code if isinstance(exc, self.error) else None
        return code is not None and any(group.skip_source and code in group for group in self.groups)


class InPlaceRetry(NamedTuple):
    """The documented "slow down" error a client retries itself before giving up."""

    code: int
    what: str  # how the log line names it
    pause: float = 1.0  # seconds before the first retry, doubled before each next one


class TransportOptions(TypedDict, total=False):
    """What every client takes besides its address and credentials (tests replace sleep and transport)."""

    timeout: float
    max_retries: int
    sleep: Callable[[float], None] | None
    transport: httpx.BaseTransport | None


class SocialClient(abc.ABC):
    """Calls one service's API methods. Use as a context manager (it owns one HTTP connection pool)."""

    name: ClassVar[str]  # the channel kind: names the logger and starts its lines
    errors: ClassVar[ErrorTable]
    retry_in_place: ClassVar[InPlaceRetry]
    booleans: ClassVar[tuple[str, str]]  # how the service writes true and false in a form

    def __init__(
        self,
        url: str,
        *,
        min_interval: float,
        timeout: float = 10.0,
        max_retries: int = 2,
        sleep: Callable[[float], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self._url = url
        self._min_interval = min_interval
        self._max_retries = max_retries
        self._sleep = sleep or time.sleep
        self._last_call = 0.0
        self._http = httpx.Client(timeout=timeout, transport=transport, headers={"User-Agent": "tsur-channels/1"})
        self._log = logging.getLogger(f"tsur.channels.{self.name}")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- what a service says ---------------------------------------------------------------
    @abc.abstractmethod
    def _request(self, method: str, params: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
        """The address and the form body of one call of `method`."""

    @abc.abstractmethod
    def _result(self, method: str, body: Any) -> Any:
        """The result a decoded JSON answer carries; raises the service's error when it carries one."""

    # -- calls -----------------------------------------------------------------------------
    def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        """Call `method` and return its result. The documented "slow down" error is retried here with
        a doubling pause; every other failure is raised as the service's ServiceError."""
        retry = self.retry_in_place
        attempt = 0
        while True:
            try:
                return self._call_once(method, params or {})
            except self.errors.error as exc:
                if exc.code != retry.code or attempt >= self._max_retries:
                    raise
                pause = retry.pause * (2**attempt)
                self._log.info("%s %s: %s, retrying in %.1fs", self.name, method, retry.what, pause)
                self._sleep(pause)
                attempt += 1

    def pages(self, method: str, params: Mapping[str, Any], *, max_pages: int, follow: Callable[[Any], Mapping[str, Any] | None]) -> Iterator[Any]:
        """The results of `method`, page after page, at most `max_pages`. `follow(result)` gives what
        the next request adds (an anchor, a start_from), None after the last page; a caller that has
        seen enough (a page of old items) stops iterating."""
        params = dict(params)
        for _page in range(max_pages):
            result = self.call(method, params)
            yield result
            more = follow(result)
            if more is None:
                return
            params.update(more)

    def _throttle(self) -> None:
        wait = self._last_call + self._min_interval - time.monotonic()
        if wait > 0:
            self._sleep(wait)
        self._last_call = time.monotonic()

    def _call_once(self, method: str, params: Mapping[str, Any]) -> Any:
        self._throttle()
        url, data = self._request(method, params)
        try:
            answer = self._http.post(url, data=data)
        except httpx.TimeoutException:
            raise self.errors.protocol(method, "нет ответа (тайм-аут)", retry_after=30.0) from None
        except httpx.HTTPError as exc:
            raise self.errors.protocol(method, f"сеть недоступна ({type(exc).__name__})", retry_after=60.0) from None
        if answer.status_code == 429 or answer.status_code >= 500:
            raise self.errors.protocol(method, f"HTTP {answer.status_code}", retry_after=60.0)
        if answer.status_code != 200:
            raise self.errors.protocol(method, f"HTTP {answer.status_code}")
        try:
            body = answer.json()
        except ValueError:
            raise self.errors.protocol(method, "ответ не в формате JSON", retry_after=60.0) from None
        return self._result(method, body)

    # -- the form ----------------------------------------------------------------------------
    @classmethod
    def form_value(cls, value: Any) -> str:
        """How one parameter value is written in the form (and, for OK, in the signed string)."""
        if isinstance(value, bool):
            return cls.booleans[0] if value else cls.booleans[1]
        if isinstance(value, list | tuple):
            return ",".join(str(v) for v in value)
        return str(value)

    @classmethod
    def form(cls, params: Mapping[str, Any]) -> dict[str, str]:
        """The method's parameters as form fields; a parameter set to None is left out."""
        return {name: cls.form_value(value) for name, value in params.items() if value is not None}
