"""A thin client of the Telegram Bot API (https://core.telegram.org/bots/api), only the methods the
plugin uses. Every call is `POST {base_url}/bot{token}/{method}` with a JSON body; the answer is
`{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description", "parameters"}`.
Files are downloaded from `{base_url}/file/bot{token}/{file_path}` after getFile.

The token is part of every URL, so it must never reach a log or an error message: errors carry
only the method name, and a filter on httpx's request log hides the token.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import httpx

from tsur.channels.base import ChannelError

DEFAULT_BASE_URL = "https://api.telegram.org"
# getFile serves files of up to 20 MB to bots (documented limit).
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024

_TOKEN_IN_URL = re.compile(r"/(file/)?bot[^/\s\"']+/")


class _HideBotToken(logging.Filter):
    """httpx logs every request URL at INFO level; the bot token is in the path."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(_TOKEN_IN_URL.sub(r"/\1bot***/", str(a)) if isinstance(a, str | httpx.URL) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _TOKEN_IN_URL.sub(r"/\1bot***/", record.msg)
        return True


_token_filter = _HideBotToken()
for _name in ("httpx", "httpcore"):
    if _token_filter not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(_token_filter)


class TelegramApiError(ChannelError):
    """A failed call. `error_code` is the HTTP-like code of the API (0 for a transport failure)."""

    def __init__(self, method: str, error_code: int, description: str, *, retry_after: float | None = None, migrate_to_chat_id: int | None = None):
        super().__init__(f"Telegram {method}: {error_code} {description}".strip())
        self.method = method
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    @property
    def retryable(self) -> bool:
        """Flood control, server trouble and transport failures pass; bad requests, a revoked token,
        a blocked bot do not."""
        return self.error_code == 0 or self.error_code == 429 or self.error_code >= 500


@dataclass
class TelegramFile:
    file_id: str
    file_unique_id: str
    file_size: int | None
    file_path: str | None


class BotApi:
    def __init__(self, token: str, *, base_url: str = DEFAULT_BASE_URL, timeout: float = 30.0, transport: httpx.BaseTransport | None = None):
        self._token = token
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._transport = transport
        self._http: httpx.Client | None = None

    def _client(self) -> httpx.Client:
        # One connection pool per client object; building an httpx.Client (and its TLS context)
        # for every call costs more than the call.
        if self._http is None:
            self._http = httpx.Client(timeout=self._timeout, transport=self._transport, follow_redirects=False)
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def call(self, method: str, params: dict[str, Any] | None = None, *, extra_timeout: float = 0.0) -> Any:
        """Call one Bot API method; returns its `result` or raises TelegramApiError."""
        body = {k: v for k, v in (params or {}).items() if v is not None}
        url = f"{self._base_url}/bot{self._token}/{method}"
        timeout = httpx.Timeout(self._timeout + extra_timeout, connect=self._timeout)
        try:
            response = self._client().post(url, json=body, timeout=timeout)
        except httpx.TransportError as exc:
            # The exception text may hold the URL (and with it the token): keep only its type.
            raise TelegramApiError(method, 0, f"нет связи с сервером ({type(exc).__name__})") from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or "ok" not in data:
            raise TelegramApiError(method, response.status_code if response.status_code >= 400 else 502, "ответ не в формате Bot API")
        if data["ok"] is True:
            return data.get("result")
        parameters = data.get("parameters") or {}
        raise TelegramApiError(
            method,
            int(data.get("error_code") or response.status_code),
            str(data.get("description") or ""),
            retry_after=parameters.get("retry_after"),
            migrate_to_chat_id=parameters.get("migrate_to_chat_id"),
        )

    # -- methods ---------------------------------------------------------------------------
    def get_updates(
        self, *, offset: int | None = None, limit: int | None = None, timeout: int = 0, allowed_updates: list[str] | None = None
    ) -> list[dict]:
        # Long polling: the HTTP read waits up to `timeout` seconds more than a normal call.
        result = self.call(
            "getUpdates",
            {"offset": offset, "limit": limit, "timeout": timeout, "allowed_updates": allowed_updates},
            extra_timeout=float(timeout),
        )
        if not isinstance(result, list):
            raise TelegramApiError("getUpdates", 502, "result is not an array of updates")
        return result

    def send_message(
        self,
        chat_id: int | str,
        text: str,
        *,
        reply_to_message_id: int | None = None,
        reply_parameters: dict | None = None,
        message_thread_id: int | None = None,
        reply_markup: dict | None = None,
    ) -> dict:
        """sendMessage. `reply_to_message_id` is turned into `reply_parameters` (the field that
        replaced it in Bot API 7.0), allowing the send when the original is gone."""
        if reply_parameters is None and reply_to_message_id is not None:
            reply_parameters = {"message_id": reply_to_message_id, "allow_sending_without_reply": True}
        result = self.call(
            "sendMessage",
            {
                "chat_id": chat_id,
                "text": text,
                "message_thread_id": message_thread_id,
                "reply_parameters": reply_parameters,
                "reply_markup": reply_markup,
            },
        )
        if not isinstance(result, dict):
            raise TelegramApiError("sendMessage", 502, "result is not a Message")
        return result

    def get_file(self, file_id: str) -> TelegramFile:
        result = self.call("getFile", {"file_id": file_id})
        if not isinstance(result, dict) or "file_id" not in result:
            raise TelegramApiError("getFile", 502, "result is not a File")
        return TelegramFile(
            file_id=result["file_id"],
            file_unique_id=result.get("file_unique_id", ""),
            file_size=result.get("file_size"),
            file_path=result.get("file_path"),
        )

    def download(self, file_path: str, *, max_bytes: int = MAX_DOWNLOAD_BYTES) -> bytes:
        url = f"{self._base_url}/file/bot{self._token}/{file_path.lstrip('/')}"
        try:
            with self._client().stream("GET", url) as response:
                if response.status_code != 200:
                    raise TelegramApiError("file download", response.status_code, "файл недоступен")
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise TelegramApiError("file download", 413, f"файл больше {max_bytes} байт")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.TransportError as exc:
            raise TelegramApiError("file download", 0, f"нет связи с сервером ({type(exc).__name__})") from None

    def download_file(self, file_id: str, *, max_bytes: int = MAX_DOWNLOAD_BYTES) -> bytes:
        """getFile, then the download of what it points to."""
        info = self.get_file(file_id)
        if info.file_size is not None and info.file_size > max_bytes:
            raise TelegramApiError("getFile", 413, f"файл больше {max_bytes} байт")
        if not info.file_path:
            raise TelegramApiError("getFile", 400, "у файла нет пути для скачивания")
        return self.download(info.file_path, max_bytes=max_bytes)
