"""Reading new letters from one IMAP folder with imap-tools.

New means a UID above the last one handed over: UIDs only grow within a folder while its
UIDVALIDITY stays the same (RFC 3501 2.3.1.1), so the cursor is (uidvalidity, last_uid). Letters
are fetched with BODY.PEEK[] and marked \\Seen explicitly once read, so a letter is never marked
read without having been fetched whole.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
from dataclasses import dataclass

from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage, MailMessageFlags, U
from imap_tools.errors import MailboxFolderSelectError, MailboxLoginError, UnexpectedCommandStatusError

from tsur.channels.base import ChannelError

logger = logging.getLogger(__name__)


class MailboxError(ChannelError):
    def __init__(self, reason: str, *, retryable: bool):
        super().__init__(reason)
        self.retryable = retryable


class _RawMailMessage(MailMessage):
    """imap-tools' message that also keeps the bytes exactly as the server sent them."""

    def __init__(self, fetch_data: list) -> None:
        super().__init__(fetch_data)
        self.raw: bytes = self._get_message_data_parts(fetch_data)[0]


@dataclass
class FetchedLetter:
    uid: int
    raw: bytes


@dataclass
class Batch:
    uidvalidity: int | None
    last_uid: int
    letters: list[FetchedLetter]


@dataclass
class ImapAccount:
    host: str
    port: int
    security: str  # ssl / starttls / none
    user: str
    password: str
    folder: str
    timeout: float

    def _connect(self) -> BaseMailBox:
        if self.security == "ssl":
            return MailBox(self.host, self.port, timeout=self.timeout, ssl_context=ssl.create_default_context())
        if self.security == "starttls":
            return MailBoxStartTls(self.host, self.port, timeout=self.timeout, ssl_context=ssl.create_default_context())
        return MailBoxUnencrypted(self.host, self.port, timeout=self.timeout)

    def fetch_new(self, *, uidvalidity: int | None, last_uid: int, limit: int) -> Batch:
        """Letters with UID > last_uid (all of them again if the folder's UIDVALIDITY changed),
        at most `limit`, oldest first; marks them seen."""
        try:
            box = self._connect()
        except (OSError, imaplib.IMAP4.error) as exc:
            # A certificate that does not verify will not verify on the next try either.
            retryable = not isinstance(exc, ssl.SSLCertVerificationError)
            raise MailboxError(f"нет связи с IMAP-сервером ({type(exc).__name__})", retryable=retryable) from None
        try:
            box.email_message_class = _RawMailMessage
            try:
                box.login(self.user, self.password, initial_folder=None)
            except MailboxLoginError:
                raise MailboxError("IMAP-сервер не принял логин или пароль", retryable=False) from None
            try:
                box.folder.set(self.folder)
            except MailboxFolderSelectError:
                raise MailboxError(f"на IMAP-сервере нет папки «{self.folder}»", retryable=False) from None
            current = _uidvalidity(box)
            if uidvalidity is not None and current is not None and current != uidvalidity:
                logger.warning("email: UIDVALIDITY of the folder changed, reading it from the start")
                last_uid = 0
            uids = sorted(int(u) for u in box.uids(AND(uid=U(last_uid + 1, "*"))))
            # "n:*" always includes the folder's highest UID, even one below n (RFC 3501 6.4.8).
            uids = [u for u in uids if u > last_uid][:limit]
            letters: list[FetchedLetter] = []
            if uids:
                for msg in box.fetch(uid_list=[str(u) for u in uids], mark_seen=False, bulk=True):
                    if msg.uid is not None:
                        letters.append(FetchedLetter(uid=int(msg.uid), raw=msg.raw))
                box.flag([str(u) for u in uids], MailMessageFlags.SEEN, True)
            letters.sort(key=lambda letter: letter.uid)
            return Batch(uidvalidity=current, last_uid=max(uids, default=last_uid), letters=letters)
        except MailboxError:
            raise
        except UnexpectedCommandStatusError as exc:
            raise MailboxError(f"IMAP-сервер ответил ошибкой ({type(exc).__name__})", retryable=True) from None
        except (OSError, imaplib.IMAP4.abort, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"обрыв связи с IMAP-сервером ({type(exc).__name__})", retryable=True) from None
        finally:
            try:
                box.logout()
            except Exception:
                pass  # the connection may already be gone; the letters are read either way


def _uidvalidity(box: BaseMailBox) -> int | None:
    """UIDVALIDITY from the SELECT answer, else asked with STATUS."""
    values = box.client.untagged_responses.get("UIDVALIDITY")
    if values:
        try:
            return int(values[-1])
        except ValueError:
            pass
    try:
        folder = box.folder.get()
        return box.folder.status(folder, ["UIDVALIDITY"]).get("UIDVALIDITY") if folder else None
    except (imaplib.IMAP4.error, UnexpectedCommandStatusError):
        return None
