"""Helpers for notification tests: an aiosmtpd SMTP server on a free port with scriptable failures,
and Settings tuned for tests."""

from __future__ import annotations

import socket
import subprocess
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self):
        return message_from_bytes(self.raw, policy=default)


@dataclass
class RecordingHandler:
    """Keeps every accepted message; ``fail_with`` holds DATA replies to give before accepting."""

    received: list[Received] = field(default_factory=list)
    fail_with: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.fail_with:
                return self.fail_with.pop(0)
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content
                                          or envelope.content))
        return "250 Message accepted for delivery"


class SmtpServer:
    """An aiosmtpd server that can be started late (to simulate a relay that is down) and stopped."""

    def __init__(self, port: int | None = None, *, tls_context=None, credentials: tuple[str, str] | None = None):
        self.port = port or free_port()
        self.handler = RecordingHandler()
        self.credentials = credentials
        self.tls_context = tls_context
        self.logins: list[str] = []
        self._controller: Controller | None = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        login, password = auth_data.login.decode(), auth_data.password.decode()
        ok = self.credentials is not None and (login, password) == self.credentials
        if ok:
            self.logins.append(login)
        return AuthResult(success=ok, handled=False)

    def start(self) -> "SmtpServer":
        kwargs = {}
        if self.tls_context is not None:
            kwargs.update(tls_context=self.tls_context, require_starttls=True)
        if self.credentials is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True,
                          auth_require_tls=self.tls_context is not None)
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received


def self_signed_cert(directory) -> tuple[str, str]:
    """A throw-away certificate for 127.0.0.1 made with the openssl command line."""
    cert, key = str(directory / "cert.pem"), str(directory / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def notify_settings(**overrides):
    from omnialloc.config import Settings

    base = dict(notify_backoff_seconds=0, notify_backoff_max_seconds=0, notify_max_attempts=4,
                notify_brand="Kirana Mart", tracking_base_url="https://track.example.in/t",
                smtp_from="orders@kirana.example", smtp_timeout_seconds=5, sms_timeout_seconds=5)
    base.update(overrides)
    return Settings.from_env({}).replace(**base)
