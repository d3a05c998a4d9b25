"""A scripted JSON API on loopback for connector tests, and a guard that keeps tests off the network.

FakeApi runs `http.server` in a thread on 127.0.0.1 (a free port). Each request is decoded (query
string and form body), recorded, and answered from a script: per route key (e.g. a VK method name)
a queue of answers; the last answer of a queue repeats. An answer is a JSON value, a Raw(status,
body) for broken answers, or a callable(params) returning either.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Any:
    """A JSON fixture, e.g. fixture("vk/wall_get.json")."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Raw:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"


@dataclass
class Request:
    path: str
    key: str
    params: dict[str, str]


class FakeApi:
    def __init__(self, route_key: Callable[[str, dict[str, str]], str]):
        self._route_key = route_key
        self._answers: dict[str, list[Any]] = {}
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                fake._handle(self, self.rfile.read(length))

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def reply(self, key: str, *answers: Any) -> None:
        with self._lock:
            self._answers[key] = list(answers)

    def calls(self, key: str) -> list[dict[str, str]]:
        return [r.params for r in self.requests if r.key == key]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        parts = urlsplit(handler.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if body and handler.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        key = self._route_key(parts.path, params)
        with self._lock:
            self.requests.append(Request(parts.path, key, params))
            queue = self._answers.get(key)
            answer = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else Raw(404, b'{"fake": "no scripted answer"}', "application/json")
        if callable(answer):
            answer = answer(params)
        if isinstance(answer, Raw):
            status, data, content_type = answer.status, answer.body, answer.content_type
        else:
            status, data, content_type = 200, json.dumps(answer, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8"
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


def loopback_only(monkeypatch: Any) -> None:
    """Fail any test that opens an IP connection to anything but loopback."""
    real_connect = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else str(address)
            if host not in ("127.0.0.1", "::1", "localhost"):
                raise AssertionError(f"a channel test tried to reach {host}: only 127.0.0.1 is allowed")
        return real_connect(sock, address)

    real_getaddrinfo = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in (None, "127.0.0.1", "::1", "localhost", b"127.0.0.1", b"localhost"):
            raise AssertionError(f"a channel test tried to resolve {host!r}: only 127.0.0.1 is allowed")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "getaddrinfo", resolve)
