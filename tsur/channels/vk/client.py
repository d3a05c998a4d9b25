"""A thin client for the VK API, written from the official documentation (dev.vk.com, "API requests"
and "Errors"): one HTTPS POST to `{api_url}/{method}` with the method's parameters plus `access_token`
and the API version `v`; the answer is JSON, either {"response": ...} or {"error": {"error_code",
"error_msg", ...}}.

The token travels in the POST body, never in the URL, so it does not reach access logs. Errors carry
a Russian reason for operators and say whether a later attempt can help (`retryable`, `retry_after`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from tsur.channels.base import ServiceError

log = logging.getLogger("tsur.channels.vk")

DEFAULT_API_URL = "https://api.vk.com/method"
DEFAULT_VERSION = "5.199"

# Documented error codes (dev.vk.com, "Errors") and how the connector treats them.
TOO_MANY_PER_SECOND = 6
AUTH_FAILED = 5
# Code -> seconds to wait before the next attempt.
RATE_LIMITED: dict[int, float] = {
    6: 1.0,  # Too many requests per second
    9: 60.0,  # Flood control: too many identical actions
    29: 3600.0,  # Rate limit reached: the method's daily quota
}
TRANSIENT: dict[int, float] = {
    1: 10.0,  # Unknown error occurred
    10: 30.0,  # Internal server error
    14: 600.0,  # Captcha needed: a later attempt usually passes without it
}
AUTH: dict[int, str] = {
    5: "ключ доступа недействителен или истёк",
    17: "требуется подтверждение (validation required) для ключа пользователя",
    27: "ключ доступа сообщества недействителен",
    28: "ключ доступа приложения недействителен",
}
# Access problems with one object (a community, a post): the object is closed, deleted or private.
ACCESS: dict[int, str] = {
    7: "нет прав на это действие",
    15: "доступ запрещён",
    18: "страница удалена или заблокирована",
    30: "профиль или сообщество закрыто",
    203: "доступ к сообществу запрещён",
    210: "нет доступа к записи на стене",
    211: "нет доступа к комментарию",
    212: "комментарии к записи закрыты",
    213: "нет доступа к ответам",
}
OTHER: dict[int, str] = {
    8: "неверный запрос",
    100: "неверный или отсутствующий параметр",
    104: "объект не найден",
    113: "неверный идентификатор пользователя",
    222: "ссылки в комментарии запрещены",
    223: "слишком много ответов в ветке",
}


class VkError(ServiceError):
    """Any failure talking to VK."""


class VkApiError(VkError):
    """VK answered with {"error": {...}}."""

    @property
    def is_auth(self) -> bool:
        return self.code in AUTH

    @property
    def is_access(self) -> bool:
        return self.code in ACCESS


class VkProtocolError(VkError):
    """The answer is not what the documentation describes (not JSON, no "response", wrong shape)."""


def api_error(code: Any, message: Any, method: str) -> VkApiError:
    """Classify one documented error answer."""
    try:
        code = int(code)
    except (TypeError, ValueError):
        return VkApiError(f"ВКонтакте: {method}: ошибка без кода ({str(message)[:200]})", retryable=False)
    msg = str(message or "")[:200]
    if code in RATE_LIMITED:
        what = {6: "слишком много запросов в секунду", 9: "сработал контроль флуда", 29: "исчерпан лимит вызовов метода"}[code]
        return VkApiError(f"ВКонтакте: {what} (код {code}), повтор позже", retryable=True, retry_after=RATE_LIMITED[code], code=code)
    if code in TRANSIENT:
        return VkApiError(f"ВКонтакте: {method}: временная ошибка (код {code}: {msg})", retryable=True, retry_after=TRANSIENT[code], code=code)
    if code in AUTH:
        return VkApiError(
            f"ВКонтакте: {AUTH[code]} (код {code}: {msg}) — выпустите новый ключ доступа и сохраните его в настройках канала",
            retryable=False,
            code=code,
        )
    if code in ACCESS:
        return VkApiError(f"ВКонтакте: {method}: {ACCESS[code]} (код {code}: {msg})", retryable=False, code=code)
    what = OTHER.get(code, "ошибка")
    return VkApiError(f"ВКонтакте: {method}: {what} (код {code}: {msg})", retryable=False, code=code)


class VkClient:
    """Calls VK API methods. Use as a context manager (it owns one HTTP connection pool)."""

    def __init__(
        self,
        access_token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        version: str = DEFAULT_VERSION,
        timeout: float = 10.0,
        min_interval: float = 0.34,
        max_retries: int = 2,
        sleep: Callable[[float], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self._token = access_token
        self._url = api_url.rstrip("/")
        self._version = version
        self._min_interval = min_interval
        self._max_retries = max_retries
        self._sleep = sleep or time.sleep
        self._last_call = 0.0
        self._http = httpx.Client(timeout=timeout, transport=transport, headers={"User-Agent": "tsur-channels/1"})

    def __enter__(self) -> VkClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        """Call `method` and return the value of "response". "Too many requests per second" (code 6)
        is retried here with a growing pause; every other error is raised as VkError."""
        attempt = 0
        while True:
            try:
                return self._call_once(method, params or {})
            except VkApiError as exc:
                if exc.code != TOO_MANY_PER_SECOND or attempt >= self._max_retries:
                    raise
                pause = (exc.retry_after or 1.0) * (2**attempt)
                log.info("vk %s: too many requests per second, retrying in %.1fs", method, pause)
                self._sleep(pause)
                attempt += 1

    def _throttle(self) -> None:
        wait = self._last_call + self._min_interval - time.monotonic()
        if wait > 0:
            self._sleep(wait)
        self._last_call = time.monotonic()

    def _call_once(self, method: str, params: Mapping[str, Any]) -> Any:
        self._throttle()
        data = {k: _wire(v) for k, v in params.items() if v is not None}
        data["access_token"] = self._token
        data["v"] = self._version
        try:
            answer = self._http.post(f"{self._url}/{method}", data=data)
        except httpx.TimeoutException:
            raise VkProtocolError(f"ВКонтакте: {method}: нет ответа (тайм-аут)", retryable=True, retry_after=30.0) from None
        except httpx.HTTPError as exc:
            raise VkProtocolError(f"ВКонтакте: {method}: сеть недоступна ({type(exc).__name__})", retryable=True, retry_after=60.0) from None
        if answer.status_code == 429 or answer.status_code >= 500:
            raise VkProtocolError(f"ВКонтакте: {method}: HTTP {answer.status_code}", retryable=True, retry_after=60.0)
        if answer.status_code != 200:
            raise VkProtocolError(f"ВКонтакте: {method}: HTTP {answer.status_code}", retryable=False)
        try:
            body = answer.json()
        except ValueError:
            raise VkProtocolError(f"ВКонтакте: {method}: ответ не в формате JSON", retryable=True, retry_after=60.0) from None
        if not isinstance(body, dict):
            raise VkProtocolError(f"ВКонтакте: {method}: ответ не является JSON-объектом", retryable=False)
        if "error" in body:
            error = body["error"] if isinstance(body["error"], dict) else {}
            raise api_error(error.get("error_code"), error.get("error_msg"), method)
        if "response" not in body:
            raise VkProtocolError(f"ВКонтакте: {method}: в ответе нет ни «response», ни «error»", retryable=False)
        return body["response"]


def _wire(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)
