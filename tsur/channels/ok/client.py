"""A thin client for the OK (Одноклассники) REST API, written from the official documentation
(apiok.ru, "REST API" and "Authorization"): one request to `https://api.ok.ru/fb.do` with `method`,
`application_key`, `format=json`, the method's parameters, `access_token` and the signature `sig`.

Signature for requests with a user session (the documented scheme for server-side calls):
    secret_key = md5(access_token + application_secret_key)
    sig = md5(<all parameters except sig and access_token, sorted by name, each as "name=value",
              concatenated without separators> + secret_key)
in lowercase hex, over UTF-8. An error answer is a JSON object {"error_code", "error_msg", "error_data"}.
The access token travels in the POST body, never in the URL.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from tsur.channels.base import ServiceError

log = logging.getLogger("tsur.channels.ok")

DEFAULT_API_URL = "https://api.ok.ru/fb.do"

# Documented error codes (apiok.ru, "Error codes") and how the connector treats them.
SERVICE_UNAVAILABLE = 2
# Code -> seconds to wait before the next attempt.
RETRYABLE: dict[int, tuple[str, float]] = {
    1: ("UNKNOWN: неизвестная ошибка", 30.0),
    2: ("SERVICE: сервис временно недоступен", 30.0),
    7: ("ACTION_BLOCKED: действие временно заблокировано для пользователя", 3600.0),
    8: ("FLOOD_BLOCKED: вызов заблокирован из-за флуда", 600.0),
    9: ("IP_BLOCKED: вызов временно заблокирован по IP-адресу", 3600.0),
    11: ("LIMIT_REACHED: достигнут предел вызовов метода", 3600.0),
    31: ("NETWORK_TIMEOUT: запрос передавался слишком долго", 60.0),
    9999: ("SYSTEM: системная ошибка", 300.0),
}
SESSION: dict[int, str] = {
    102: "PARAM_SESSION_EXPIRED: истёк срок действия ключа сессии (access_token)",
    103: "PARAM_SESSION_KEY: неверный ключ сессии (access_token)",
    453: "SESSION_REQUIRED: метод требует ключ сессии",
}
CREDENTIALS: dict[int, str] = {
    101: "PARAM_API_KEY: неверный публичный ключ приложения (application_key)",
    104: "PARAM_SIGNATURE: неверная подпись — проверьте секретный ключ приложения",
    105: "PARAM_RESIGNATURE: неверная повторная подпись",
    210: "PARAM_APPLICATION_DISABLED: приложение отключено",
}
ACCESS: dict[int, str] = {
    10: "PERMISSION_DENIED: нет разрешения (приложение не авторизовано на это действие)",
    24: "NOT_OWNER: пользователь не владелец объекта",
    50: "NOT_ADMIN: нет административных прав",
    160: "PARAM_GROUP_ID: неверный идентификатор группы",
    200: "PARAM_PERMISSION: у приложения нет нужного разрешения",
    300: "NOT_FOUND: объект не найден",
    456: "GROUP_RESTRICTION: группа ограничила это действие",
    457: "UNAUTHORIZED_RESTRICTION: неавторизованный доступ",
    458: "PRIVACY_RESTRICTION: ограничение приватности",
}
OTHER: dict[int, str] = {
    3: "METHOD: метод не существует",
    4: "REQUEST: неверный запрос",
    30: "NETWORK: слишком большое тело запроса",
    100: "PARAM: отсутствующий или неверный параметр",
    454: "CENSOR_MATCH: текст отклонён цензором",
}


class OkError(ServiceError):
    """Any failure talking to OK."""


class OkApiError(OkError):
    """OK answered with {"error_code": ...}."""

    @property
    def is_access(self) -> bool:
        return self.code in ACCESS


class OkProtocolError(OkError):
    """The answer is not what the documentation describes."""


def wire_value(value: Any) -> str:
    """How one parameter value is written both in the request and in the signed string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def signature(params: Mapping[str, Any], *, access_token: str, application_secret_key: str) -> str:
    """The documented `sig` of a request made with a user session (see the module docstring)."""
    secret_key = hashlib.md5((access_token + application_secret_key).encode("utf-8")).hexdigest().lower()
    signed = "".join(f"{name}={wire_value(params[name])}" for name in sorted(params) if name not in ("sig", "access_token", "session_key"))
    return hashlib.md5((signed + secret_key).encode("utf-8")).hexdigest().lower()


def api_error(code: Any, message: Any, method: str) -> OkApiError:
    """Classify one documented error answer."""
    try:
        code = int(code)
    except (TypeError, ValueError):
        return OkApiError(f"Одноклассники: {method}: ошибка без кода ({str(message)[:200]})", retryable=False)
    msg = str(message or "")[:200]
    if code in RETRYABLE:
        what, pause = RETRYABLE[code]
        return OkApiError(f"Одноклассники: {method}: {what} (код {code}), повтор позже", retryable=True, retry_after=pause, code=code)
    if code in SESSION:
        return OkApiError(
            f"Одноклассники: {SESSION[code]} (код {code}) — получите новый access_token и сохраните его в настройках канала",
            retryable=False,
            code=code,
        )
    if code in CREDENTIALS:
        return OkApiError(f"Одноклассники: {CREDENTIALS[code]} (код {code}) — проверьте ключи в настройках канала", retryable=False, code=code)
    if code in ACCESS:
        return OkApiError(f"Одноклассники: {method}: {ACCESS[code]} (код {code})", retryable=False, code=code)
    what = OTHER.get(code, "ошибка")
    return OkApiError(f"Одноклассники: {method}: {what} (код {code}: {msg})", retryable=False, code=code)


class OkClient:
    """Calls OK REST API methods. Use as a context manager (it owns one HTTP connection pool)."""

    def __init__(
        self,
        *,
        application_key: str,
        application_secret_key: str,
        access_token: str,
        api_url: str = DEFAULT_API_URL,
        timeout: float = 10.0,
        min_interval: float = 0.2,
        max_retries: int = 2,
        sleep: Callable[[float], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self._application_key = application_key
        self._secret = application_secret_key
        self._token = access_token
        self._url = api_url
        self._min_interval = min_interval
        self._max_retries = max_retries
        self._sleep = sleep or time.sleep
        self._last_call = 0.0
        self._http = httpx.Client(timeout=timeout, transport=transport, headers={"User-Agent": "tsur-channels/1"})

    def __enter__(self) -> OkClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def signed_params(self, method: str, params: Mapping[str, Any] | None = None) -> dict[str, str]:
        """The full, signed parameter set of one call (as sent in the request body)."""
        data = {name: wire_value(value) for name, value in (params or {}).items() if value is not None}
        data.update({"application_key": self._application_key, "method": method, "format": "json"})
        data["sig"] = signature(data, access_token=self._token, application_secret_key=self._secret)
        data["access_token"] = self._token
        return data

    def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        """Call `method` and return the decoded JSON answer. "Service temporarily unavailable"
        (code 2) is retried here with a growing pause; every other error is raised as OkError."""
        attempt = 0
        while True:
            try:
                return self._call_once(method, params)
            except OkApiError as exc:
                if exc.code != SERVICE_UNAVAILABLE or attempt >= self._max_retries:
                    raise
                pause = 1.0 * (2**attempt)
                log.info("ok %s: service unavailable, retrying in %.1fs", method, pause)
                self._sleep(pause)
                attempt += 1

    def _throttle(self) -> None:
        wait = self._last_call + self._min_interval - time.monotonic()
        if wait > 0:
            self._sleep(wait)
        self._last_call = time.monotonic()

    def _call_once(self, method: str, params: Mapping[str, Any] | None) -> Any:
        self._throttle()
        data = self.signed_params(method, params)
        try:
            answer = self._http.post(self._url, data=data)
        except httpx.TimeoutException:
            raise OkProtocolError(f"Одноклассники: {method}: нет ответа (тайм-аут)", retryable=True, retry_after=30.0) from None
        except httpx.HTTPError as exc:
            raise OkProtocolError(f"Одноклассники: {method}: сеть недоступна ({type(exc).__name__})", retryable=True, retry_after=60.0) from None
        if answer.status_code == 429 or answer.status_code >= 500:
            raise OkProtocolError(f"Одноклассники: {method}: HTTP {answer.status_code}", retryable=True, retry_after=60.0)
        if answer.status_code != 200:
            raise OkProtocolError(f"Одноклассники: {method}: HTTP {answer.status_code}", retryable=False)
        try:
            body = answer.json()
        except ValueError:
            raise OkProtocolError(f"Одноклассники: {method}: ответ не в формате JSON", retryable=True, retry_after=60.0) from None
        if isinstance(body, dict) and "error_code" in body:
            raise api_error(body.get("error_code"), body.get("error_msg"), method)
        return body
