"""A thin client for the OK (Одноклассники) REST API, written from the official documentation
(apiok.ru, "REST API" and "Authorization"): one request to `https://api.ok.ru/fb.do` with `method`,
`application_key`, `format=json`, the method's parameters, `access_token` and the signature `sig`.

Signature for requests with a user session (the documented scheme for server-side calls):
    secret_key = md5(access_token + application_secret_key)
    sig = md5(<all parameters except sig and access_token, sorted by name, each as "name=value",
              concatenated without separators> + secret_key)
in lowercase hex, over UTF-8. An error answer is a JSON object {"error_code", "error_msg", "error_data"}.
The access token travels in the POST body, never in the URL.

Pacing, the in-place retry, transport failures and the wording of errors are shared with VK
(`tsur.channels.social.client`); this module keeps OK's address, signature, answer shape and codes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, ClassVar, Unpack

from tsur.channels.base import ServiceError
from tsur.channels.social.client import PLAIN_WORDING, ErrorGroup, ErrorTable, InPlaceRetry, Retry, SocialClient, TransportOptions

DEFAULT_API_URL = "https://api.ok.ru/fb.do"

# Documented error codes (apiok.ru, "Error codes") and how the connector treats them.
RETRYABLE = ErrorGroup(
    "{service}: {method}: {what} (код {code}), повтор позже",
    {
        1: Retry("UNKNOWN: неизвестная ошибка", 30.0),
        2: Retry("SERVICE: сервис временно недоступен", 30.0),
        7: Retry("ACTION_BLOCKED: действие временно заблокировано для пользователя", 3600.0),
        8: Retry("FLOOD_BLOCKED: вызов заблокирован из-за флуда", 600.0),
        9: Retry("IP_BLOCKED: вызов временно заблокирован по IP-адресу", 3600.0),
        11: Retry("LIMIT_REACHED: достигнут предел вызовов метода", 3600.0),
        31: Retry("NETWORK_TIMEOUT: запрос передавался слишком долго", 60.0),
        9999: Retry("SYSTEM: системная ошибка", 300.0),
    },
)
SESSION = ErrorGroup(
    "{service}: {what} (код {code}) — получите новый access_token и сохраните его в настройках канала",
    {
        102: "PARAM_SESSION_EXPIRED: истёк срок действия ключа сессии (access_token)",
        103: "PARAM_SESSION_KEY: неверный ключ сессии (access_token)",
        453: "SESSION_REQUIRED: метод требует ключ сессии",
    },
)
CREDENTIALS = ErrorGroup(
    "{service}: {what} (код {code}) — проверьте ключи в настройках канала",
    {
        101: "PARAM_API_KEY: неверный публичный ключ приложения (application_key)",
        104: "PARAM_SIGNATURE: неверная подпись — проверьте секретный ключ приложения",
        105: "PARAM_RESIGNATURE: неверная повторная подпись",
        210: "PARAM_APPLICATION_DISABLED: приложение отключено",
    },
)
ACCESS = ErrorGroup(
    "{service}: {method}: {what} (код {code})",
    {
        10: "PERMISSION_DENIED: нет разрешения (приложение не авторизовано на это действие)",
        24: "NOT_OWNER: пользователь не владелец объекта",
        50: "NOT_ADMIN: нет административных прав",
        160: "PARAM_GROUP_ID: неверный идентификатор группы",
        200: "PARAM_PERMISSION: у приложения нет нужного разрешения",
        300: "NOT_FOUND: объект не найден",
        456: "GROUP_RESTRICTION: группа ограничила это действие",
        457: "UNAUTHORIZED_RESTRICTION: неавторизованный доступ",
        458: "PRIVACY_RESTRICTION: ограничение приватности",
    },
    skip_source=True,
)
OTHER = ErrorGroup(
    PLAIN_WORDING,
    {
        3: "METHOD: метод не существует",
        4: "REQUEST: неверный запрос",
        30: "NETWORK: слишком большое тело запроса",
        100: "PARAM: отсутствующий или неверный параметр",
        454: "CENSOR_MATCH: текст отклонён цензором",
    },
)


class OkError(ServiceError):
    """Any failure talking to OK; `code` is set when OK answered with {"error_code": ...}."""


ERRORS = ErrorTable("Одноклассники", OkError, (RETRYABLE, SESSION, CREDENTIALS, ACCESS, OTHER))


def signature(params: Mapping[str, Any], *, access_token: str, application_secret_key: str) -> str:
    """The documented `sig` of a request made with a user session (see the module docstring)."""
    secret_key = hashlib.md5((access_token + application_secret_key).encode("utf-8")).hexdigest().lower()
    signed = "".join(f"{name}={OkClient.form_value(params[name])}" for name in sorted(params) if name not in ("sig", "access_token", "session_key"))
    return hashlib.md5((signed + secret_key).encode("utf-8")).hexdigest().lower()


class OkClient(SocialClient):
    """Calls OK REST API methods. Use as a context manager (it owns one HTTP connection pool)."""

    name: ClassVar[str] = "ok"
    errors: ClassVar[ErrorTable] = ERRORS
    # Error 2 (SERVICE) is first retried here from 1 s; RETRYABLE's 30 s is the core's pause once these retries are spent.
    retry_in_place: ClassVar[InPlaceRetry] = InPlaceRetry(2, "service unavailable", pause=1.0)
    booleans: ClassVar[tuple[str, str]] = ("true", "false")

    def __init__(
        self,
        *,
        application_key: str,
        application_secret_key: str,
        access_token: str,
        api_url: str = DEFAULT_API_URL,
        min_interval: float = 0.2,
        **options: Unpack[TransportOptions],
    ):
        super().__init__(api_url, min_interval=min_interval, **options)
        self._application_key = application_key
        self._secret = application_secret_key
        self._token = access_token

    def signed_params(self, method: str, params: Mapping[str, Any] | None = None) -> dict[str, str]:
        """The full, signed parameter set of one call (as sent in the request body)."""
        data = self.form(params or {})
        data.update({"application_key": self._application_key, "method": method, "format": "json"})
        data["sig"] = signature(data, access_token=self._token, application_secret_key=self._secret)
        data["access_token"] = self._token
        return data

    def _request(self, method: str, params: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
        return self._url, self.signed_params(method, params)

    def _result(self, method: str, body: Any) -> Any:
        if isinstance(body, dict) and "error_code" in body:
            raise self.errors.classify(body.get("error_code"), body.get("error_msg"), method)
        return body
