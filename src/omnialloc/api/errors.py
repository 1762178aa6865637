"""One JSON error shape for every failure: ``{status, title, detail, errors: [{field, message}]}``.

Served as ``application/problem+json`` (RFC 9457: the shape is a problem details object
whose ``type`` is the default ``about:blank``, with ``errors`` as an extension member).
Every exception path of the app ends here, so no input can produce an HTML page,
a stack trace or a bare 500 from a known failure class. A write the database refuses
(a unique, foreign-key or check violation, a value out of range) is the caller's
409/422 on both backends (``store.integrity``), whichever endpoint it came from.
"""

from __future__ import annotations

import logging

from apiflask import APIFlask
from apiflask.exceptions import HTTPError
from flask import jsonify
from werkzeug.exceptions import HTTPException

from omnialloc.api.intake import HeadersTooLarge, MalformedBody, UnsupportedMediaType, UriTooLong, check_transport
from omnialloc.domain.errors import Conflict, DomainError, NotFound, ValidationFailed
from omnialloc.services.access import AccessDenied
from omnialloc.services.fulfilment.tracking import BadSignature
from omnialloc.store.errors import StoreUnavailable, ValueRefused, WriteRefused, connection_lost
from omnialloc.store.integrity import refusal

log = logging.getLogger(__name__)

ERROR_SCHEMA = {
    "type": "object",
    "required": ["status", "title", "detail", "errors"],
    "properties": {
        "status": {"type": "integer"},
        "title": {"type": "string"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


class Forbidden(DomainError):
    title = "Forbidden"


class Unauthorized(DomainError):
    title = "Unauthorized"


class PayloadTooLarge(DomainError):
    title = "Payload too large"


PROBLEM_JSON = "application/problem+json"

_STATUS_OF = [
    (MalformedBody, 400),
    (UnsupportedMediaType, 415),
    (UriTooLong, 414),
    (HeadersTooLarge, 431),
    (NotFound, 404),
    (Conflict, 409),
    (ValidationFailed, 422),
    (Forbidden, 403),
    (AccessDenied, 403),  # the role may not do this at all (scope misses are NotFound)
    (Unauthorized, 401),
    (BadSignature, 401),  # a carrier webhook whose HMAC does not match
    (PayloadTooLarge, 413),
    (DomainError, 422),
]


def status_for(exc: DomainError) -> int:
    for cls, status in _STATUS_OF:
        if isinstance(exc, cls):
            return status
    return 422


def error_body(status: int, title: str, detail: str, errors: list[dict] | None = None) -> dict:
    return {"status": status, "title": title, "detail": detail, "errors": errors or []}


def _flatten_validation(detail) -> list[dict]:
    """APIFlask's ``{location: {field.path: [msgs]}}`` becomes our field error list."""
    out = []
    if isinstance(detail, dict):
        for location, fields in detail.items():
            if isinstance(fields, dict):
                for field, messages in fields.items():
                    for message in messages if isinstance(messages, list) else [messages]:
                        name = field if location in ("json", "form") else f"{location}.{field}"
                        out.append({"field": name, "message": str(message)})
            else:
                out.append({"field": str(location), "message": str(fields)})
    return out


def install(app: APIFlask) -> None:
    @app.error_processor
    def _http_error(error: HTTPError):
        status = error.status_code
        if status == 422:
            errors = _flatten_validation(error.detail)
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]) or "invalid input"
            return error_body(status, "Validation failed", detail, errors), status, error.headers
        detail = error.message or "request failed"
        if status == 400 and detail == "Bad Request":
            detail = ("the request body must be a JSON object sent with Content-Type: application/json; "
                      "it is missing or is not valid JSON")
        if status == 413:
            detail = f"request body is larger than the limit of {app.config['MAX_CONTENT_LENGTH']} bytes"
        return error_body(status, error.message or "Error", detail), status, error.headers

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        status = status_for(exc)
        body = error_body(status, exc.title, exc.detail, [fe.to_dict() for fe in exc.field_errors])
        retry_after = getattr(exc, "retry_after", None)  # e.g. an Idempotency-Key still in use
        return jsonify(body), status, ({"Retry-After": str(retry_after)} if retry_after else {})

    app.before_request_funcs.setdefault(None, []).insert(0, check_transport)  # first: before any other hook

    @app.errorhandler(WriteRefused)
    @app.errorhandler(ValueRefused)
    def _refused_by_the_store(exc: WriteRefused | ValueRefused):
        # A write the database refused is the caller's conflict or bad value, and the transaction it was in
        # has rolled back, so nothing changed. (The checks before the write could not see a concurrent
        # request's uncommitted row: the store's constraint is the last word.)
        log.info("the store refused a write: %s", exc.orig)
        return _domain_error(refusal(exc))

    @app.after_request
    def _problem_json(response):
        # Every JSON error is a problem details object (RFC 9457); success bodies stay application/json.
        if response.status_code >= 400 and response.mimetype == "application/json":
            response.mimetype = PROBLEM_JSON
        return response

    @app.errorhandler(StoreUnavailable)
    def _db_down(exc: Exception):
        log.warning("database unavailable: %s", exc)
        body = error_body(503, "Service unavailable", "the database is unavailable; retry shortly")
        return jsonify(body), 503, {"Retry-After": "2"}

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):  # routed by APIFlask already, but keep the shape
            return jsonify(error_body(exc.code or 500, exc.name, exc.description or exc.name)), exc.code
        if connection_lost(exc):
            return _db_down(exc)
        log.exception("unhandled error")
        return jsonify(error_body(500, "Internal error", "an unexpected error occurred; it has been logged")), 500
