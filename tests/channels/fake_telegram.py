"""A local stand-in for the Telegram Bot API, on 127.0.0.1 only, speaking the documented format:
`POST /bot<token>/<method>` with a JSON body -> `{"ok": true, "result": ...}` or
`{"ok": false, "error_code": ..., "description": ..., "parameters": {...}}`, and
`GET /file/bot<token>/<file_path>` for downloads. It implements getUpdates (offset confirms
earlier updates, limit), sendMessage, getFile, and lets a test queue an error per method.
"""

from __future__ import annotations

import copy
import itertools
import json
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
TOKEN = "123456:TEST-fake-token"


def fixture(name: str, **changes: Any) -> dict:
    """A fixture file (one Update or one error answer), deep-copied; keyword changes are applied
    by dotted path, e.g. update_id=7, **{"message.message_id": 3}."""
    data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    for path, value in changes.items():
        target = data
        *parents, leaf = path.replace("__", ".").split(".")
        for key in parents:
            target = target[key]
        target[leaf] = value
    return data


class FakeBotApi:
    def __init__(self, token: str = TOKEN):
        self.token = token
        self.updates: list[dict] = []
        self.requests: list[tuple[str, dict]] = []
        self.files: dict[str, bytes] = {}
        self.errors: dict[str, list[dict]] = {}
        self._message_ids = itertools.count(5001)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- test controls ---------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def push(self, *updates: dict) -> None:
        with self._lock:
            self.updates.extend(copy.deepcopy(list(updates)))

    def fail(self, method: str, answer: dict) -> None:
        """The next call of `method` gets this error answer (a fixture like error_429)."""
        self.errors.setdefault(method, []).append(answer)

    def add_file(self, file_id: str, content: bytes) -> None:
        self.files[file_id] = content

    def calls(self, method: str) -> list[dict]:
        return [body for name, body in self.requests if name == method]

    # -- server ----------------------------------------------------------------------------
    def start(self) -> FakeBotApi:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                prefix = f"/file/bot{fake.token}/"
                if not self.path.startswith(prefix):
                    self._send(404, b'{"ok":false,"error_code":404,"description":"Not Found"}')
                    return
                path = self.path[len(prefix) :]
                content = next((c for fid, c in fake.files.items() if _file_path(fid) == path), None)
                if content is None:
                    self._send(404, b'{"ok":false,"error_code":404,"description":"Not Found"}')
                else:
                    self._send(200, content, "image/jpeg")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                token, _, method = self.path.lstrip("/").partition("/")
                status, answer = fake._answer(token, method, body)
                self._send(status, json.dumps(answer, ensure_ascii=False).encode())

        self._server = _LoopbackServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- the API ---------------------------------------------------------------------------
    def _answer(self, token: str, method: str, body: dict) -> tuple[int, dict]:
        if token != f"bot{self.token}":
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        with self._lock:
            self.requests.append((method, body))
            queued = self.errors.get(method)
            if queued:
                answer = queued.pop(0)
                return int(answer["error_code"]), answer
        handler = {"getUpdates": self._get_updates, "sendMessage": self._send_message, "getFile": self._get_file}.get(method)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        return handler(body)

    def _get_updates(self, body: dict) -> tuple[int, dict]:
        offset = body.get("offset")
        limit = int(body.get("limit") or 100)
        with self._lock:
            if offset is not None:
                # Documented: an update is confirmed once getUpdates is called with a higher offset.
                self.updates = [u for u in self.updates if u.get("update_id", 0) >= offset]
            batch = copy.deepcopy(self.updates[:limit])
        return 200, {"ok": True, "result": batch}

    def _send_message(self, body: dict) -> tuple[int, dict]:
        if "chat_id" not in body or not str(body.get("text", "")).strip():
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
        chat_id = body["chat_id"]
        result: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": {"id": 123456, "is_bot": True, "first_name": "Тестовый бот", "username": "test_tsur_bot"},
            "chat": {"id": chat_id, "type": "private" if isinstance(chat_id, int) and chat_id > 0 else "supergroup"},
            "date": int(time.time()),
            "text": body["text"],
        }
        if body.get("message_thread_id"):
            result["message_thread_id"] = body["message_thread_id"]
        return 200, {"ok": True, "result": result}

    def _get_file(self, body: dict) -> tuple[int, dict]:
        file_id = body.get("file_id", "")
        if file_id not in self.files:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
        content = self.files[file_id]
        result = {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": len(content), "file_path": _file_path(file_id)}
        return 200, {"ok": True, "result": result}


class _LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # HTTPServer looks up its own name (getfqdn); a loopback test server needs no name.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


def _file_path(file_id: str) -> str:
    return f"photos/{file_id}.jpg"
