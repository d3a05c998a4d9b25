"""Sending an answer as a reply in the resident's thread, by SMTP.

A reply carries In-Reply-To (the letter answered) and References (the thread so far plus that
letter), as RFC 5322 3.6.4 describes, so the resident's mail client files it under their letter.
SMTP reply codes decide whether a retry can help (RFC 5321 4.2.1): 4xx is transient, 5xx is not.
"""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from tsur.channels.base import DeliveryError
from tsur.lib.pdmask import mask_contacts

_REPLY_PREFIX = re.compile(r"^\s*(re|ответ)\s*(\[\d+\])?\s*:", re.IGNORECASE)


def reply_subject(subject: str) -> str:
    subject = " ".join((subject or "").split())
    if not subject:
        return "Re: ваше обращение"
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}"


@dataclass
class SmtpAccount:
    host: str
    port: int
    security: str  # ssl / starttls / none
    user: str
    password: str
    from_address: str
    from_name: str
    timeout: float
    helo_name: str = ""

    def build_reply(self, reply_to: dict, text: str, *, now: dt.datetime) -> EmailMessage:
        to = str(reply_to.get("to") or "").strip()
        if "@" not in to:
            raise DeliveryError("в письме нет адреса для ответа", retryable=False)
        original = str(reply_to.get("message_id") or "")
        references = [str(r) for r in reply_to.get("references") or [] if r]
        msg = EmailMessage()
        msg["From"] = formataddr((self.from_name, self.from_address)) if self.from_name else self.from_address
        msg["To"] = to
        msg["Subject"] = reply_subject(str(reply_to.get("subject") or ""))
        msg["Date"] = format_datetime(now)
        msg["Message-ID"] = make_msgid(domain=self.from_address.rpartition("@")[2] or None)
        if original:
            msg["In-Reply-To"] = f"<{original}>"
            chain = [r for r in references if r != original] + [original]
            msg["References"] = " ".join(f"<{r}>" for r in chain)
        msg.set_content(text)
        return msg

    def send(self, msg: EmailMessage) -> None:
        helo = self.helo_name or None
        try:
            if self.security == "ssl":
                context = ssl.create_default_context()
                client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, local_hostname=helo, timeout=self.timeout, context=context)
            else:
                client = smtplib.SMTP(self.host, self.port, local_hostname=helo, timeout=self.timeout)
            with client:
                if self.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.user:
                    client.login(self.user, self.password)
                client.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            texts = "; ".join(_text_of(text) for _code, text in exc.recipients.values())
            raise _by_code(min(codes, default=550), f"получатель отклонён: {texts}") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP-сервер не принял логин или пароль ({exc.smtp_code})", retryable=exc.smtp_code < 500) from None
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, _text_of(exc.smtp_error)) from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError("SMTP-сервер не поддерживает нужную команду (STARTTLS или AUTH)", retryable=False) from None
        except ssl.SSLCertVerificationError:
            raise DeliveryError("сертификат SMTP-сервера не прошёл проверку", retryable=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            # Refused or dropped connections, timeouts, DNS: the server may be back later.
            raise DeliveryError(f"нет связи с SMTP-сервером ({type(exc).__name__})", retryable=True) from None


def _by_code(code: int, text: str) -> DeliveryError:
    if 400 <= code < 500:
        return DeliveryError(f"SMTP-сервер временно отказал ({code}): {text}", retryable=True)
    return DeliveryError(f"SMTP-сервер отказал ({code}): {text}", retryable=False)


def _text_of(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    # Servers quote the recipient's address; the reason is stored and may be logged.
    return mask_contacts(" ".join(text.split()))[:300]
