"""The e-mail channel: letters to the center's mailbox are written appeals (59-FZ regime, mapped by
the core from the channel kind); answers go back as replies in the same thread.

Inbound: IMAP, new UIDs only (see imap.py); the raw letter is stored byte for byte. A letter that
continues an existing thread names the thread's first letter in `extra["thread_root"]` and in
`reply_to["thread_root"]`, and its external id in `thread_of`, so the core adds the letter to the
appeal that thread belongs to.
Outbound: SMTP (see smtp.py).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tsur.channels.base import ChannelError, ChannelPlugin, NormalisedMessage, RawItem
from tsur.channels.email.imap import ImapAccount
from tsur.channels.email.letters import message_ids, payload_to_raw, raw_to_payload, read_letter
from tsur.channels.email.smtp import SmtpAccount
from tsur.channels.registry import register
from tsur.core import clock

logger = logging.getLogger(__name__)

Security = Literal["ssl", "starttls", "none"]
# InboundMessage.external_id holds 200 characters.
_MAX_EXTERNAL_ID = 200


class EmailSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    imap_host: str = Field(min_length=1, description="IMAP-сервер входящей почты")
    imap_port: int = Field(993, ge=1, le=65535)
    imap_security: Security = Field("ssl", description="ssl — сразу TLS (обычно порт 993), starttls (порт 143), none — без шифрования")
    imap_user: str = Field(min_length=1)
    imap_password: str = Field(repr=False)
    folder: str = Field("INBOX", min_length=1, description="папка, из которой читать письма")
    smtp_host: str = Field(min_length=1, description="SMTP-сервер исходящей почты")
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_security: Security = Field("starttls", description="starttls (порт 587), ssl (порт 465), none — без шифрования")
    smtp_user: str = ""
    smtp_password: str = Field("", repr=False)
    from_address: str = Field(description="адрес, от которого уходят ответы")
    from_name: str = Field("", description="имя отправителя в ответах")
    helo_name: str = Field("", description="имя этого сервера в EHLO; пусто — полное имя хоста")
    poll_interval: int = Field(60, ge=10, le=3600, description="как часто проверять ящик, секунд")
    timeout: float = Field(30.0, gt=0, le=300)
    batch_size: int = Field(50, ge=1, le=500, description="сколько писем читать за один опрос")
    max_photos: int = Field(10, ge=0, le=50)
    max_photo_bytes: int = Field(10 * 1024 * 1024, gt=0)

    @field_validator("from_address")
    @classmethod
    def _address(cls, value: str) -> str:
        _name, address = parseaddr(value)
        if address != value or "@" not in address or address.startswith("@") or address.endswith("@"):
            raise ValueError("нужен адрес электронной почты, например cur@example.org")
        return value


@register
class EmailPlugin(ChannelPlugin):
    kind: ClassVar[str] = "email"
    label: ClassVar[str] = "Электронная почта"
    settings_model: ClassVar[type[BaseModel]] = EmailSettings
    settings: EmailSettings

    @property
    def imap(self) -> ImapAccount:
        s = self.settings
        return ImapAccount(s.imap_host, s.imap_port, s.imap_security, s.imap_user, s.imap_password, s.folder, s.timeout)

    @property
    def smtp(self) -> SmtpAccount:
        s = self.settings
        return SmtpAccount(
            s.smtp_host, s.smtp_port, s.smtp_security, s.smtp_user, s.smtp_password, s.from_address, s.from_name, s.timeout, s.helo_name
        )

    # -- inbound ---------------------------------------------------------------------------
    def poll(self, cursor: dict) -> tuple[Iterable[RawItem], dict]:
        """Letters that arrived after the cursor's last UID; raises MailboxError (a ChannelError
        with `retryable`) when the mailbox cannot be read."""
        batch = self.imap.fetch_new(
            uidvalidity=cursor.get("uidvalidity"), last_uid=int(cursor.get("last_uid") or 0), limit=self.settings.batch_size
        )
        items = []
        for letter in batch.letters:
            payload = {"folder": self.settings.folder, "uidvalidity": batch.uidvalidity, "uid": letter.uid, **raw_to_payload(letter.raw)}
            items.append(RawItem(external_id=_external_id(letter.raw, batch.uidvalidity, letter.uid), payload=payload, kind="email"))
        return items, {"uidvalidity": batch.uidvalidity, "last_uid": batch.last_uid}

    def normalise(self, item: RawItem) -> NormalisedMessage | None:
        if not isinstance(item.payload, dict):
            raise ChannelError("письмо сохранено не в ожидаемом формате")
        try:
            raw = payload_to_raw(item.payload)
        except ValueError:
            raise ChannelError("в сохранённых данных нет текста письма") from None
        letter = read_letter(raw, max_photos=self.settings.max_photos, max_photo_bytes=self.settings.max_photo_bytes)
        if letter.automatic:
            logger.info("email: %s is an automatic letter (%s), nothing to act on", item.external_id, letter.automatic)
            return None
        if not letter.from_email:
            raise ChannelError("в письме нет адреса отправителя")
        text = "\n\n".join(part for part in (letter.subject, letter.text) if part)
        if not text:
            raise ChannelError("в письме нет ни темы, ни текста")
        return NormalisedMessage(
            external_id=item.external_id,
            text=text,
            kind="email",
            created_at=letter.created_at,
            author_name=letter.from_name,
            author_contact=letter.from_email,
            author_link=f"mailto:{letter.from_email}",
            reply_to={
                "to": letter.answer_to,
                "subject": letter.subject,
                "message_id": letter.message_id,
                "references": letter.references,
                "thread_root": letter.thread_root,
            },
            is_public=False,
            photos=letter.photos,
            thread_of=external_id_for(letter.thread_root) if letter.is_reply and letter.thread_root else "",
            answers_delivery=letter.in_reply_to if letter.is_reply else "",
            extra={
                "subject": letter.subject,
                "body": letter.text,
                "message_id": letter.message_id,
                "in_reply_to": letter.in_reply_to,
                "thread_root": letter.thread_root,
                "is_reply": letter.is_reply,
                "ignored_attachments": letter.ignored_attachments,
            },
        )

    # -- outbound --------------------------------------------------------------------------
    def deliver(self, reply_to: dict, text: str) -> str:
        """Send the answer as a reply; returns the Message-ID of the letter sent."""
        smtp = self.smtp
        msg = smtp.build_reply(reply_to, text, now=clock.now())
        smtp.send(msg)
        return str(msg["Message-ID"]).strip("<>")


def _external_id(raw: bytes, uidvalidity: int | None, uid: int) -> str:
    """The letter's Message-ID: the same letter seen twice (re-read after a UIDVALIDITY change,
    delivered to two of our addresses) is one inbound message. Letters without one are known
    by their place in the folder."""
    headers = BytesHeaderParser().parsebytes(raw)
    message_id = (message_ids(str(headers.get("Message-ID") or "")) or [""])[0]
    if not message_id:
        return f"uid:{uidvalidity}:{uid}"
    return external_id_for(message_id)


def external_id_for(message_id: str) -> str:
    """The external id a letter with this Message-ID is stored under."""
    external_id = f"mid:{message_id}"
    if len(external_id) > _MAX_EXTERNAL_ID:
        external_id = f"mid-sha256:{hashlib.sha256(message_id.encode()).hexdigest()}"
    return external_id
