"""The email and SMS adapters against real servers: what goes over the wire, and how failures are classified."""

import ssl

import httpx
import pytest
from notify_support import SmtpServer, free_port, self_signed_cert
from werkzeug import Response

from omnialloc.notify.email import OutgoingEmail, SmtpConfig, SmtpSender
from omnialloc.notify.errors import PermanentError, TransientError
from omnialloc.notify.sms import HttpSmsProvider, OutgoingSms

MAIL = OutgoingEmail(to="asha@example.com", subject="Your order A-1 has shipped — ₹499.00",
                     text="Hi Asha,\nAWB XB123\n", html="<p>AWB <b>XB123</b></p>", idempotency_key="k-1")
SMS = OutgoingSms(to="+919800000001", text="Order A-1 shipped, AWB XB123", idempotency_key="order_shipped:k-1",
                  reference="ntf_1")


def _sender(port, **kw):
    return SmtpSender(SmtpConfig(host="127.0.0.1", port=port, sender="orders@shop.example", timeout=5, **kw))


def test_email_reaches_the_smtp_server_with_utf8_subject_and_both_parts(smtp_server):
    _sender(smtp_server.port).send(MAIL)
    [got] = smtp_server.received
    assert got.mail_from == "orders@shop.example" and got.rcpt_tos == ["asha@example.com"]
    assert got.message["Subject"] == MAIL.subject
    assert "AWB XB123" in got.message.get_body(("plain",)).get_content()
    assert "<b>XB123</b>" in got.message.get_body(("html",)).get_content()


def test_starttls_and_login(tmp_path):
    cert, key = self_signed_cert(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    server = SmtpServer(tls_context=server_tls, credentials=("shop", "s3cret")).start()
    try:
        _sender(server.port, starttls=True, user="shop", password="s3cret", cafile=cert).send(MAIL)
        assert server.logins == ["shop"]
        assert len(server.received) == 1
        with pytest.raises(PermanentError, match="535"):
            _sender(server.port, starttls=True, user="shop", password="wrong", cafile=cert).send(MAIL)
    finally:
        server.stop()


def test_refused_connection_is_transient():
    with pytest.raises(TransientError, match="connection"):
        _sender(free_port()).send(MAIL)


def test_smtp_4xx_is_transient_and_5xx_permanent(smtp_server):
    smtp_server.handler.fail_with = ["451 4.3.0 Try again later", "550 5.1.1 No such user"]
    with pytest.raises(TransientError, match="451"):
        _sender(smtp_server.port).send(MAIL)
    with pytest.raises(PermanentError, match="550"):
        _sender(smtp_server.port).send(MAIL)
    assert smtp_server.received == []


def test_sms_is_a_json_post_with_bearer_token_and_idempotency_key(httpserver):
    httpserver.expect_oneshot_request(
        "/sms", method="POST",
        headers={"Authorization": "Bearer tok-123", "Idempotency-Key": "order_shipped:k-1"},
        json={"to": "+919800000001", "message": "Order A-1 shipped, AWB XB123", "reference": "ntf_1"},
    ).respond_with_json({"id": "prov-42"}, status=202)
    provider = HttpSmsProvider(httpserver.url_for("/sms"), "tok-123", timeout=5)
    assert provider.send(SMS) == "prov-42"
    httpserver.check_assertions()


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_sms_5xx_and_throttling_are_transient(httpserver, status):
    httpserver.expect_request("/sms").respond_with_data("busy", status=status)
    with pytest.raises(TransientError, match=str(status)):
        HttpSmsProvider(httpserver.url_for("/sms"), "t").send(SMS)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 301])
def test_sms_4xx_is_permanent(httpserver, status):
    httpserver.expect_request("/sms").respond_with_response(Response("no", status=status,
                                                                      headers={"Location": "/x"}))
    with pytest.raises(PermanentError, match=str(status)):
        HttpSmsProvider(httpserver.url_for("/sms"), "t").send(SMS)


def test_sms_provider_unreachable_is_transient():
    with pytest.raises(TransientError, match="unreachable"):
        HttpSmsProvider(f"http://127.0.0.1:{free_port()}/sms", "t", timeout=2).send(SMS)


def test_sms_provider_timeout_is_transient(httpserver):
    import time

    def slow(request):
        time.sleep(1.0)
        return Response("late", status=200)

    httpserver.expect_request("/sms").respond_with_handler(slow)
    client = httpx.Client(timeout=0.2)
    with pytest.raises(TransientError, match="timed out"):
        HttpSmsProvider(httpserver.url_for("/sms"), "t", client=client).send(SMS)
    client.close()
