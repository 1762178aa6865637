"""Email: compose a multipart text + HTML message and hand it to an SMTP server (stdlib smtplib).

The idempotency key becomes the Message-ID (and an ``X-Omnialloc-Idempotency-Key``
header), so a mail system that sees the same message twice can tell.
Failures are classified: SMTP 4xx, refused connections, disconnects and
timeouts are transient; SMTP 5xx is permanent.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formataddr, formatdate
from typing import TYPE_CHECKING

from omnialloc.notify.errors import DeliveryError, PermanentError, TransientError
from omnialloc.observability.logs import mask

if TYPE_CHECKING:
    from omnialloc.config import Settings

log = logging.getLogger("omnialloc.notify.email")


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str | None
    idempotency_key: str


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 25
    starttls: bool = False
    user: str = ""
    password: str = ""
    sender: str = "orders@omnialloc.local"
    sender_name: str = ""
    timeout: float = 10.0
    ssl: bool = False                # implicit TLS (port 465) instead of STARTTLS
    cafile: str = ""                 # trust this CA (self-signed relay, tests) instead of the system store

    @classmethod
    def from_settings(cls, s: Settings) -> "SmtpConfig":
        return cls(host=s.smtp_host, port=s.smtp_port, starttls=s.smtp_starttls, user=s.smtp_user,
                   password=s.smtp_password, sender=s.smtp_from, sender_name=getattr(s, "notify_brand", ""),
                   timeout=float(getattr(s, "smtp_timeout_seconds", 10)), ssl=getattr(s, "smtp_ssl", False),
                   cafile=getattr(s, "smtp_cafile", ""))


def message_id(idempotency_key: str, sender: str) -> str:
    domain = sender.rpartition("@")[2] or "omnialloc.local"
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def compose(mail: OutgoingEmail, sender: str, sender_name: str = "") -> EmailMessage:
    """A UTF-8 multipart/alternative message (text first, HTML preferred by clients that can)."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = formataddr((sender_name, sender)) if sender_name else sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id(mail.idempotency_key, sender)
    msg["X-Omnialloc-Idempotency-Key"] = mail.idempotency_key
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.text, charset="utf-8")
    if mail.html:
        msg.add_alternative(mail.html, subtype="html", charset="utf-8")
    return msg


def classify(exc: BaseException) -> DeliveryError:
    """Map an smtplib/socket failure to transient (retry later) or permanent (dead letter)."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in exc.recipients.items())
        if codes and all(400 <= c < 500 for c in codes):
            return TransientError(f"recipient refused (temporary): {detail}")
        return PermanentError(f"recipient refused: {detail}")
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}"
        if 400 <= exc.smtp_code < 500:
            return TransientError(text)
        if 500 <= exc.smtp_code < 600:
            return PermanentError(text)
        return TransientError(text)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return PermanentError(f"SMTP server does not support a required extension: {exc}")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TransientError(f"SMTP server disconnected: {exc}")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return TransientError(f"SMTP timeout: {exc}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return PermanentError(f"SMTP TLS certificate rejected: {exc}")
    if isinstance(exc, (OSError, smtplib.SMTPException)):
        return TransientError(f"SMTP connection failed: {exc}")
    return PermanentError(f"{type(exc).__name__}: {exc}")


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class SmtpSender:
    """Sends each message over its own short SMTP session (simple, and a broken session never leaks)."""

    name = "smtp"

    def __init__(self, config: SmtpConfig):
        self.config = config

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.cafile or None)

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.ssl:
            return smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=self._tls_context())
        return smtplib.SMTP(c.host, c.port, timeout=c.timeout)

    def send(self, mail: OutgoingEmail) -> str:
        """Deliver ``mail``; return the Message-ID. Raises ``TransientError`` or ``PermanentError``."""
        c = self.config
        msg = compose(mail, c.sender, c.sender_name)
        try:
            with self._connect() as smtp:
                smtp.ehlo()
                if c.starttls and not c.ssl:
                    smtp.starttls(context=self._tls_context())
                    smtp.ehlo()
                if c.user:
                    smtp.login(c.user, c.password)
                smtp.send_message(msg, from_addr=c.sender, to_addrs=[mail.to])
        except Exception as exc:  # noqa: BLE001 - every failure is classified, none escapes raw
            raise classify(exc) from exc
        log.info("email %s sent to %s", msg["Message-ID"], mask(mail.to))
        return str(msg["Message-ID"])

    def close(self) -> None:
        pass


class LogEmailSender:
    """Writes emails to the log instead of sending them (local runs without an SMTP relay)."""

    name = "log"

    def __init__(self, sender: str = "orders@omnialloc.local"):
        self.sender = sender
        self.sent: list[OutgoingEmail] = []

    def send(self, mail: OutgoingEmail) -> str:
        self.sent.append(mail)
        # The recipient masked and the text at DEBUG only: a log is no place for customers' contact details.
        log.info("email (log provider) to %s: %s", mask(mail.to), mail.subject)
        log.debug("email (log provider) text:\n%s", mail.text)
        return message_id(mail.idempotency_key, self.sender)

    def close(self) -> None:
        pass


def make_email_sender(settings: Settings) -> SmtpSender | LogEmailSender:
    kind = (getattr(settings, "email_provider", "smtp") or "smtp").strip().lower()
    if kind == "smtp":
        return SmtpSender(SmtpConfig.from_settings(settings))
    if kind == "log":
        return LogEmailSender(settings.smtp_from)
    raise ValueError(f"OMNIALLOC_EMAIL_PROVIDER must be 'smtp' or 'log', got {kind!r}")
