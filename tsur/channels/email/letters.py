"""Reading one stored letter (the raw RFC 5322 bytes as the IMAP server gave them): the text a
resident wrote, who wrote it, the photos, and where it sits in a thread. No Django, no network."""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass, field
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from imap_tools import MailMessage

_MSG_ID = re.compile(r"<([^<>\s]+)>")
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "hr"}
_SKIPPED_TAGS = {"script", "style", "head", "title"}
# The line a mail client writes above a quoted letter: "… wrote:" / "… написал(а):".
_ATTRIBUTION = re.compile(r"(wrote|написал(\(а\)|а)?|пишет)\s*:\s*$", re.IGNORECASE)
_ORIGINAL_MARKERS = ("-----original message-----", "-------- исходное сообщение --------", "-----исходное сообщение-----")
_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


def raw_to_payload(raw: bytes) -> dict:
    """The letter's bytes in a JSON-safe form that gives the same bytes back: text when they are
    valid UTF-8 without NUL (PostgreSQL JSON cannot hold NUL), base64 otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and "\x00" not in text:
        return {"rfc822": text}
    return {"rfc822_base64": base64.b64encode(raw).decode("ascii")}


def payload_to_raw(payload: dict) -> bytes:
    if isinstance(payload.get("rfc822"), str):
        return payload["rfc822"].encode("utf-8")
    if isinstance(payload.get("rfc822_base64"), str):
        return base64.b64decode(payload["rfc822_base64"], validate=True)
    raise ValueError("no letter in the payload")


def message_ids(value: str | None) -> list[str]:
    """Message-IDs in a Message-ID / In-Reply-To / References header, without angle brackets."""
    return _MSG_ID.findall(value or "")


@dataclass
class Letter:
    message_id: str
    subject: str
    text: str
    from_name: str
    from_email: str
    answer_to: str  # Reply-To when given, else From
    created_at: dt.datetime | None
    in_reply_to: str
    references: list[str]
    photos: list[bytes] = field(default_factory=list)
    ignored_attachments: list[dict] = field(default_factory=list)
    automatic: str = ""  # why the letter was written by a machine ("" for a person's letter)

    @property
    def thread_root(self) -> str:
        """The first letter of the thread: the head of References (RFC 5322 3.6.4 keeps the
        thread's first id there), else the letter replied to, else this letter itself."""
        if self.references:
            return self.references[0]
        return self.in_reply_to or self.message_id

    @property
    def is_reply(self) -> bool:
        return bool(self.references or self.in_reply_to)


def read_letter(raw: bytes, *, max_photos: int, max_photo_bytes: int) -> Letter:
    msg = MailMessage.from_bytes(raw)
    headers = msg.obj
    own_ids = message_ids(headers.get("Message-ID"))
    references = message_ids(headers.get("References"))
    in_reply_to = (message_ids(headers.get("In-Reply-To")) or [""])[0]
    if in_reply_to and in_reply_to not in references:
        # Some clients send In-Reply-To without References: the parent then closes the chain.
        references = [*references, in_reply_to]
    sender = msg.from_values
    answer_to = next((addr for _name, addr in getaddresses(headers.get_all("Reply-To") or []) if "@" in addr), "")

    text = msg.text.strip() or html_to_text(msg.html)
    photos, ignored = _attachments(msg, max_photos=max_photos, max_photo_bytes=max_photo_bytes)
    return Letter(
        message_id=own_ids[0] if own_ids else "",
        subject=" ".join(msg.subject.split()),
        text=strip_quoted(text),
        from_name=sender.name if sender else "",
        from_email=sender.email if sender else "",
        answer_to=answer_to or (sender.email if sender else ""),
        created_at=_date(headers.get("Date")),
        in_reply_to=in_reply_to,
        references=references,
        photos=photos,
        ignored_attachments=ignored,
        automatic=_automatic(msg),
    )


def _date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    # RFC 5322 "-0000" means the zone is unknown; UTC is the honest reading.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _attachments(msg: MailMessage, *, max_photos: int, max_photo_bytes: int) -> tuple[list[bytes], list[dict]]:
    photos: list[bytes] = []
    ignored: list[dict] = []
    for attachment in msg.attachments:
        note = {"filename": attachment.filename, "content_type": attachment.content_type}
        if not attachment.content_type.startswith("image/"):
            ignored.append({**note, "reason": "не изображение"})
            continue
        content = attachment.payload
        if not content:
            ignored.append({**note, "reason": "пустой файл"})
        elif len(content) > max_photo_bytes:
            ignored.append({**note, "reason": f"больше {max_photo_bytes // (1024 * 1024)} МБ"})
        elif len(photos) >= max_photos:
            ignored.append({**note, "reason": f"больше {max_photos} фотографий"})
        else:
            photos.append(content)
    return photos, ignored


def _automatic(msg: MailMessage) -> str:
    """Auto-replies and bounces must not become appeals (and must not be answered: a vacation
    reply to our answer would start a loop). RFC 3834 Auto-Submitted, RFC 3464 reports."""
    headers = msg.obj
    auto_submitted = str(headers.get("Auto-Submitted") or "").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted.split(';')[0]}"
    if str(headers.get("Precedence") or "").strip().lower() in _AUTO_PRECEDENCE:
        return "Precedence"
    if headers.get("X-Autoreply") or headers.get("X-Autorespond"):
        return "X-Autoreply"
    if headers.get_content_type() == "multipart/report":
        return "delivery report"
    local = (msg.from_values.email if msg.from_values else "").split("@")[0].lower()
    if local in {"mailer-daemon", "postmaster"}:
        return "mailer-daemon"
    return ""


def strip_quoted(text: str) -> str:
    """Drop the quoted letter a reply carries below (or above) the new words: lines starting with
    '>', the attribution line before them, and everything after an "original message" marker.
    The text is kept whole if nothing would be left."""
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        if line.strip().lower() in _ORIGINAL_MARKERS:
            lines = lines[:i]
            break
    result: list[str] = []
    for i, line in enumerate(lines):
        if line.lstrip().startswith(">"):
            continue
        following = next((nxt for nxt in lines[i + 1 :] if nxt.strip()), "")
        if _ATTRIBUTION.search(line.strip()) and following.lstrip().startswith(">"):
            continue
        result.append(line)
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(result)).strip()
    return cleaned or text.strip()


class _TextExtractor(HTMLParser):
    def __init__(self, skipped: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipped = skipped
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._skipped:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("• ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._skipped:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML letter: tags dropped, blocks on their own lines, no scripts or
    styles, and no <blockquote> (where HTML mail clients put the quoted letter) unless the
    quote is all there is."""
    if not html:
        return ""
    for skipped in (_SKIPPED_TAGS | {"blockquote"}, _SKIPPED_TAGS):
        parser = _TextExtractor(skipped)
        parser.feed(html)
        parser.close()
        lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
        if text:
            return text
    return ""
