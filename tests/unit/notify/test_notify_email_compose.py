"""Composing an email and classifying SMTP failures (no network)."""

import smtplib
import socket
from email import message_from_bytes
from email.policy import default

import pytest

from omnialloc.notify.email import OutgoingEmail, classify, compose, message_id
from omnialloc.notify.errors import PermanentError, TransientError

MAIL = OutgoingEmail(to="asha@example.com", subject="Refund of ₹1,00,000.00 issued — order A-1",
                     text="Hi Asha,\nRefund ₹1,00,000.00\n", html="<p>Refund <b>₹1,00,000.00</b></p>",
                     idempotency_key="refund_issued:return:rma_1:email")


def _parsed():
    raw = compose(MAIL, "orders@shop.example", "Shop").as_bytes()
    return raw, message_from_bytes(raw, policy=default)


def test_message_is_multipart_alternative_with_text_then_html():
    _, msg = _parsed()
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert "₹1,00,000.00" in msg.get_body(("plain",)).get_content()
    assert "<b>₹1,00,000.00</b>" in msg.get_body(("html",)).get_content()


def test_utf8_subject_is_encoded_on_the_wire_and_decodes_back():
    raw, msg = _parsed()
    assert "₹".encode() not in raw.split(b"\r\n\r\n")[0]  # headers are 7-bit (RFC 2047)
    assert msg["Subject"] == MAIL.subject


def test_message_id_is_derived_from_the_idempotency_key():
    _, msg = _parsed()
    assert msg["Message-ID"] == message_id(MAIL.idempotency_key, "orders@shop.example")
    assert msg["Message-ID"].endswith("@shop.example>")
    assert msg["X-Omnialloc-Idempotency-Key"] == MAIL.idempotency_key
    assert msg["From"] == "Shop <orders@shop.example>"


def test_text_only_message_when_there_is_no_html():
    raw = compose(OutgoingEmail("a@b.c", "s", "body\n", None, "k"), "o@x.y").as_bytes()
    assert message_from_bytes(raw, policy=default).get_content_type() == "text/plain"


@pytest.mark.parametrize("exc", [
    smtplib.SMTPResponseException(451, b"4.3.0 try again later"),
    smtplib.SMTPDataError(421, b"service not available"),
    smtplib.SMTPServerDisconnected("gone"),
    ConnectionRefusedError(111, "Connection refused"),
    socket.timeout("timed out"),
    smtplib.SMTPRecipientsRefused({"a@b.c": (450, b"mailbox busy")}),
])
def test_transient_smtp_failures(exc):
    assert isinstance(classify(exc), TransientError)


@pytest.mark.parametrize("exc", [
    smtplib.SMTPResponseException(550, b"5.1.1 no such user"),
    smtplib.SMTPSenderRefused(553, b"sender not allowed", "o@x.y"),
    smtplib.SMTPAuthenticationError(535, b"bad credentials"),
    smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"no such user")}),
    smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."),
])
def test_permanent_smtp_failures(exc):
    assert isinstance(classify(exc), PermanentError)


def test_classified_error_keeps_the_server_text():
    err = classify(smtplib.SMTPResponseException(550, b"5.1.1 no such user"))
    assert "550" in err.message and "no such user" in err.message
