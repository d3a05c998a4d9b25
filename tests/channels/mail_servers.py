"""Real mail servers on 127.0.0.1 for the e-mail channel tests.

- Dovecot (Debian's `dovecot-imapd`) started per test with its own configuration, Maildir and
  passwd-file user in a temporary directory, on a free loopback port, plain IMAP (no TLS).
- aiosmtpd as the SMTP server, recording what it accepts; recipients can be set to be refused
  with a 5xx or 4xx code.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "email"
IMAP_PASSWORD = "test-pass-12345"


def letter(name: str, **replace: str) -> bytes:
    """A fixture letter with CRLF line ends (as IMAP APPEND requires); `replace` swaps header
    values, e.g. letter("plain_letter", **{"Message-ID": "<x@y>"})."""
    data = (FIXTURES / f"{name}.eml").read_bytes().replace(b"\r\n", b"\n")
    head, _, body = data.partition(b"\n\n")
    lines = head.split(b"\n")
    for header, value in replace.items():
        prefix = header.encode().lower() + b":"
        lines = [f"{header}: {value}".encode() if line.lower().startswith(prefix) else line for line in lines]
    return (b"\n".join(lines) + b"\n\n" + body).replace(b"\n", b"\r\n")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot",) if os.access(p, os.X_OK)), None)


def require_dovecot() -> str:
    binary = dovecot_binary()
    if binary is None:
        reason = "Dovecot is not installed (apt-get install dovecot-imapd): the IMAP tests need a real IMAP server"
        if os.environ.get("TSUR_REQUIRE_MAIL") == "1":
            pytest.fail(reason + "; TSUR_REQUIRE_MAIL=1 makes this a failure")
        pytest.skip(reason)
    return binary


@dataclass
class Dovecot:
    binary: str
    root: Path = field(init=False)
    port: int = field(init=False)
    process: subprocess.Popen | None = field(default=None, init=False)
    users: int = field(default=0, init=False)

    def start(self) -> Dovecot:
        # Not under pytest's tmp_path: that is private to root, and the mail processes run as an
        # unprivileged user who must reach the Maildir.
        self.root = Path(tempfile.mkdtemp(prefix="tsur-dovecot-"))
        self.root.chmod(0o711)
        self.port = free_port()
        for sub in ("run", "state", "mail", "users"):
            (self.root / sub).mkdir()
        if os.geteuid() == 0:
            # Dovecot refuses to read mail as root; the Maildir belongs to "nobody".
            mail_user = pwd.getpwnam("nobody")
            os.chown(self.root / "mail", mail_user.pw_uid, mail_user.pw_gid)
            identity = f"uid={mail_user.pw_uid} gid={mail_user.pw_gid}"
            privileges = ""
        else:
            me = pwd.getpwuid(os.geteuid())
            identity = f"uid={me.pw_uid} gid={me.pw_gid}"
            privileges = f"default_login_user = {me.pw_name}\ndefault_internal_user = {me.pw_name}\ndefault_internal_group = {me.pw_name}\n"
        (self.root / "dovecot.conf").write_text(
            f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
instance_name = {self.root.name}
log_path = {self.root}/dovecot.log
hostname = localhost
{privileges}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{self.root}/mail/%u
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/users/%u
}}
userdb {{
  driver = static
  args = {identity} home={self.root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
        )
        self.process = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.root / "dovecot.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"dovecot exited: {err}{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    if conn.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("dovecot did not start listening in 15 s")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def new_mailbox(self) -> Mailbox:
        """A user with an empty INBOX of its own; each user has a passwd-file of its own, so a
        user added while dovecot runs is found at once."""
        self.users += 1
        user = f"cur-inbox-{self.users}"
        (self.root / "users" / user).write_text(f"{user}:{{PLAIN}}{IMAP_PASSWORD}\n")
        return Mailbox(self.port, user)


@dataclass
class Mailbox:
    """A mail client putting letters in and looking at them."""

    port: int
    user: str
    password: str = IMAP_PASSWORD

    def _client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(self.user, self.password)
        return client

    def deliver(self, *letters: bytes) -> None:
        client = self._client()
        try:
            for raw in letters:
                status, _ = client.append("INBOX", None, None, raw)
                assert status == "OK"
        finally:
            client.logout()

    def seen_uids(self) -> list[int]:
        client = self._client()
        try:
            client.select("INBOX", readonly=True)
            _status, data = client.uid("SEARCH", "SEEN")
            return [int(u) for u in data[0].split()]
        finally:
            client.logout()

    def settings(self, **overrides: object) -> dict:
        return {
            "imap_host": "127.0.0.1",
            "imap_port": self.port,
            "imap_security": "none",
            "imap_user": self.user,
            "imap_password": self.password,
            **overrides,
        }


class RecordingSmtp:
    """An aiosmtpd handler: accepts letters, refuses the recipients it is told to refuse."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"
