"""A thin client for the VK API, written from the official documentation (dev.vk.com, "API requests"
and "Errors"): one HTTPS POST to `{api_url}/{method}` with the method's parameters plus `access_token`
and the API version `v`; the answer is JSON, either {"response": ...} or {"error": {"error_code",
"error_msg", ...}}.

Pacing, the in-place retry, transport failures and the wording of errors are shared with OK
(`tsur.channels.social.client`); this module keeps VK's address, parameters, answer shape and codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Unpack

from tsur.channels.base import ServiceError
from tsur.channels.social.client import PLAIN_WORDING, ErrorGroup, ErrorTable, InPlaceRetry, Retry, SocialClient, TransportOptions

DEFAULT_API_URL = "https://api.vk.com/method"
DEFAULT_VERSION = "5.199"

# Documented error codes (dev.vk.com, "Errors") and how the connector treats them.
RATE_LIMITED = ErrorGroup(
    "{service}: {what} (код {code}), повтор позже",
    {
        6: Retry("слишком много запросов в секунду", 1.0),  # Too many requests per second
        9: Retry("сработал контроль флуда", 60.0),  # Flood control: too many identical actions
        29: Retry("исчерпан лимит вызовов метода", 3600.0),  # Rate limit reached: the method's daily quota
    },
)
# The reason names only the code here: VK's own message (msg) says more than a translation would.
TRANSIENT = ErrorGroup(
    "{service}: {method}: временная ошибка (код {code}: {msg})",
    {
        1: Retry("неизвестная ошибка", 10.0),  # Unknown error occurred
        10: Retry("внутренняя ошибка сервера", 30.0),  # Internal server error
        14: Retry("требуется капча", 600.0),  # Captcha needed: a later attempt usually passes without it
    },
)
AUTH = ErrorGroup(
    "{service}: {what} (код {code}: {msg}) — выпустите новый ключ доступа и сохраните его в настройках канала",
    {
        5: "ключ доступа недействителен или истёк",
        17: "требуется подтверждение (validation required) для ключа пользователя",
        27: "ключ доступа сообщества недействителен",
        28: "ключ доступа приложения недействителен",
    },
)
# Access problems with one object (a community, a post): the object is closed, deleted or private.
ACCESS = ErrorGroup(
    PLAIN_WORDING,
    {
        7: "нет прав на это действие",
        15: "доступ запрещён",
        18: "страница удалена или заблокирована",
        30: "профиль или сообщество закрыто",
        203: "доступ к сообществу запрещён",
        210: "нет доступа к записи на стене",
        211: "нет доступа к комментарию",
        212: "комментарии к записи закрыты",
        213: "нет доступа к ответам",
    },
    skip_source=True,
)
OTHER = ErrorGroup(
    PLAIN_WORDING,
    {
        8: "неверный запрос",
        100: "неверный или отсутствующий параметр",
        104: "объект не найден",
        113: "неверный идентификатор пользователя",
        222: "ссылки в комментарии запрещены",
        223: "слишком много ответов в ветке",
    },
)


class VkError(ServiceError):
    """Any failure talking to VK; `code` is set when VK answered with {"error": {"error_code", ...}}."""


ERRORS = ErrorTable("ВКонтакте", VkError, (RATE_LIMITED, TRANSIENT, AUTH, ACCESS, OTHER))


class VkClient(SocialClient):
    """Calls VK API methods. Use as a context manager (it owns one HTTP connection pool)."""

    name: ClassVar[str] = "vk"
    errors: ClassVar[ErrorTable] = ERRORS
    retry_in_place: ClassVar[InPlaceRetry] = InPlaceRetry(6, "too many requests per second", pause=1.0)
    booleans: ClassVar[tuple[str, str]] = ("1", "0")

    def __init__(
        self,
        access_token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        version: str = DEFAULT_VERSION,
        min_interval: float = 0.34,  # VK allows 3 requests per second
        **options: Unpack[TransportOptions],
    ):
        super().__init__(api_url.rstrip("/"), min_interval=min_interval, **options)
        self._token = access_token
        self._version = version

    def _request(self, method: str, params: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
        data = self.form(params)
        data["access_token"] = self._token
        data["v"] = self._version
        return f"{self._url}/{method}", data

    def _result(self, method: str, body: Any) -> Any:
        if not isinstance(body, dict):
            raise self.errors.protocol(method, "ответ не является JSON-объектом")
        if "error" in body:
            error = body["error"] if isinstance(body["error"], dict) else {}
            raise self.errors.classify(error.get("error_code"), error.get("error_msg"), method)
        if "response" not in body:
            raise self.errors.protocol(method, "в ответе нет ни «response», ни «error»")
        return body["response"]
