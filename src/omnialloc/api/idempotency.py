"""The ``Idempotency-Key`` header on every unsafe API endpoint (POST, PUT, PATCH, DELETE): see
``services.idempotency`` for what it promises.

:func:`install` wraps each such view once the blueprints are registered. The wrapper runs
after routing and before the view's own authentication, and does nothing but read one
header when the request carries no key (the capture hot path pays nothing). With a key it
authenticates first (no valid API key: the view answers 401 as usual; signed webhooks were
verified by their blueprint's hook already), reads the body (its refusals come first and
hold no key), then holds or replays the key.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any
from weakref import WeakSet

from flask import current_app, request

from omnialloc.api.auth import principal_of_request
from omnialloc.api.deps import ctx
from omnialloc.api.intake import is_json
from omnialloc.domain.errors import FieldError, ValidationFailed
from omnialloc.services import idempotency

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Endpoints authenticated by a signature over the body (verified in a before_request hook of their
# blueprint): the sender is the path (the carrier, or the channel and platform), not an API key.
SIGNED = {"tracking.carrier_events", "omnichannel.shopify_webhook", "omnichannel.woocommerce_webhook"}
_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")
#: The views :func:`_guarded` made, so that installing again wraps none twice.
_GUARDED: WeakSet[Callable[..., Any]] = WeakSet()


def install(app, *, blueprints: set[str]) -> None:
    """Wrap every view of ``blueprints`` that answers an unsafe method."""
    for rule in app.url_map.iter_rules():
        if rule.methods & UNSAFE and rule.endpoint.split(".", 1)[0] in blueprints:
            view = app.view_functions[rule.endpoint]
            if view not in _GUARDED:
                app.view_functions[rule.endpoint] = _guarded(view, signed=rule.endpoint in SIGNED)


def _guarded(view, *, signed: bool):
    @wraps(view)
    def guarded(*args, **kwargs):
        header = request.headers.get(HEADER)
        if header is None or request.method not in UNSAFE:
            return view(*args, **kwargs)
        scope = _scope(signed)
        if scope is None:  # no valid credentials: the view answers 401, holding nothing
            return view(*args, **kwargs)
        key = _key(header)
        held = idempotency.begin(ctx(), scope=scope, key=key, fingerprint=_fingerprint(), method=request.method,
                                 path=request.full_path.rstrip("?"))
        if isinstance(held, idempotency.Replay):
            return _replayed(held)
        token = idempotency.hold(held)
        try:
            try:
                answer = view(*args, **kwargs)
            except Exception as exc:  # rendered here, so that an error after a commit is the stored answer too
                answer = current_app.handle_user_exception(exc)
            response = current_app.make_response(answer)
        except BaseException:
            idempotency.let_go(token)  # (first: freeing the key must not mark it)
            idempotency.abandon(ctx(), held)
            raise
        idempotency.let_go(token)
        idempotency.finish(ctx(), held, status=response.status_code, content_type=response.content_type,
                           headers=response.headers.items(), body=response.get_data())
        return response

    _GUARDED.add(guarded)
    return guarded


def _scope(signed: bool) -> str | None:
    if signed:
        return hashlib.sha256(f"signed {request.path}".encode()).hexdigest()
    found = principal_of_request()
    return None if found is None else found[1]


def _key(header: str) -> str:
    key = header.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':  # the IETF draft sends a structured-field string
        key = key[1:-1]
    if not _KEY.match(key):
        raise ValidationFailed(f"{HEADER} must be 1 to 255 printable ASCII characters (a UUID is a good key)",
                               field_errors=[FieldError(f"header.{HEADER}", "1-255 printable ASCII characters")])
    return key


def _fingerprint() -> str:
    """SHA-256 of the method, path, query and body; a JSON body as parsed (key order and spacing do not matter).
    Reading the body here gives its refusals (400, 413, 415, 422) before any key is held."""
    digest = hashlib.sha256(f"{request.method} {request.path}?{request.query_string.decode('latin-1')}\n".encode())
    if request.mimetype.startswith("multipart/") or request.mimetype == "application/x-www-form-urlencoded":
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(f"{name}={value}\n".encode())
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            digest.update(f"{name}:{upload.filename}\n".encode())
            digest.update(upload.read())
            upload.seek(0)
    elif is_json(request.mimetype) and request.get_data(cache=True).strip():
        body = request.get_json()
        digest.update(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replayed(replay: idempotency.Replay):
    response = current_app.response_class(replay.body, status=replay.status, content_type=replay.content_type)
    for name, value in replay.headers.items():
        response.headers[name] = value
    response.headers[REPLAYED] = "true"
    return response
