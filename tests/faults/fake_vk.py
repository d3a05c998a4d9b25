"""A fake VK API on loopback for the fault tests: one community wall (`wall.get`) whose posts the
test publishes over time, served by a server that can be cut (its socket closed: connections are
refused) and brought back on the same port, as a VK outage or a cut network looks to the client."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

GROUP_ID = 1


class FakeVkWall:
    def __init__(self, port: int):
        self.port = port
        self.posts: list[dict] = []  # newest last; wall.get answers newest first
        self.calls = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/method"

    def publish(self, text: str) -> str:
        """A new post on the wall; returns its external id as the channel stores it."""
        with self._lock:
            post_id = len(self.posts) + 1
            self.posts.append(
                {"id": post_id, "owner_id": -GROUP_ID, "from_id": 500000 + post_id, "date": int(time.time()), "post_type": "post",
                 "text": text, "attachments": [], "comments": {"count": 0}}
            )
        return str(post_id)

    def _wall_get(self, params: dict[str, str]) -> dict:
        count, offset = int(params.get("count", 20)), int(params.get("offset", 0))
        with self._lock:
            newest_first = list(reversed(self.posts))
            self.calls += 1
        return {"response": {"count": len(newest_first), "items": newest_first[offset : offset + count], "profiles": [], "groups": []}}

    def up(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                params = dict(parse_qsl(self.rfile.read(length).decode("utf-8"), keep_blank_values=True))
                params.update(parse_qsl(urlsplit(self.path).query))
                method = urlsplit(self.path).path.rsplit("/", 1)[-1]
                answer: Any = fake._wall_get(params) if method == "wall.get" else {"error": {"error_code": 8, "error_msg": "unknown method"}}
                data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def cut(self) -> None:
        """Close the listening socket: the next connection is refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None
