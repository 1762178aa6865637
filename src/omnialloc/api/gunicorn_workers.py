"""gunicorn workers whose own error answers use the API's one error shape (issue 20, item 8).

gunicorn answers some requests itself, before the app sees them: a request line or header
section past its limits (414, 431), a malformed request line, header or chunk (400), an
unknown transfer coding (501). Its stock answer is an HTML page; these workers send the
API's problem details object instead (``application/problem+json``, RFC 9457), so every
error a client can receive has one shape. The limits themselves (``api.serving``) sit above
the app's (``api.intake``), so within them the app answers; past them these workers do.

Worker classes: ``omnialloc.api.gunicorn_workers.ThreadWorker`` (gthread, the default) and
``...SyncWorker``; ``api.serving.gunicorn_argv`` picks them by gunicorn's short names.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from ssl import SSLError

from gunicorn import util
from gunicorn.http import errors as http
from gunicorn.workers.gthread import ThreadWorker as _ThreadWorker
from gunicorn.workers.sync import SyncWorker as _SyncWorker

from omnialloc.api.errors import PROBLEM_JSON, error_body
from omnialloc.api.intake import HeadersTooLarge, UriTooLong

_STATUS = (  # first match wins
    ((http.InvalidResponseHeader, http.InvalidResponseHeaderName, http.ConfigurationProblem), 500),
    (http.LimitRequestLine, 414),
    (http.LimitRequestHeaders, 431),
    (http.ExpectationFailed, 417),
    (http.UnsupportedTransferCoding, 501),
    ((http.ForbiddenProxyRequest, SSLError), 403),
    ((http.ParseException, http.NoMoreData), 400),
)
_TITLE = {414: UriTooLong.title, 431: HeadersTooLarge.title}  # as the app's own 414 and 431
_DETAIL = {
    414: "the request line (method, path and query) is longer than the server accepts; send long data in a body",
    431: "the request's header fields are more or longer than the server accepts",
    500: "an unexpected error occurred; it has been logged",
}


def problem_for(exc: BaseException) -> tuple[int, str, str]:
    """(status, title, detail) of gunicorn's answer to ``exc``."""
    status = next((code for kinds, code in _STATUS if isinstance(exc, kinds)), 500)
    title = _TITLE.get(status) or HTTPStatus(status).phrase
    detail = _DETAIL.get(status) or f"{'the request is not valid HTTP/1.1' if status == 400 else title}: {exc}"
    return status, title, detail


def problem_bytes(exc: BaseException) -> bytes:
    """The whole HTTP/1.1 response (the connection is closed after it, as gunicorn does)."""
    status, title, detail = problem_for(exc)
    body = json.dumps(error_body(status, title, detail)).encode()
    head = (f"HTTP/1.1 {status} {title}\r\nConnection: close\r\nContent-Type: {PROBLEM_JSON}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


class ProblemErrors:
    """Mixin for a gunicorn worker: its error answers are problem+json (see the module docstring)."""

    def handle_error(self, req, client, addr, exc):
        status = problem_for(exc)[0]
        ip = (addr or ("", -1))[0]
        if status >= 500:
            self.log.exception("Error handling request %s", getattr(req, "uri", "(no URI read)"))
        else:
            self.log.warning("Invalid request from ip=%s: %s", ip, exc)
        try:
            util.write_nonblock(client, problem_bytes(exc))
        except Exception:  # noqa: BLE001 - the client may be gone; nothing else to do (as gunicorn)
            self.log.debug("Failed to send error message.")


class ThreadWorker(ProblemErrors, _ThreadWorker):
    pass


class SyncWorker(ProblemErrors, _SyncWorker):
    pass
