"""The operations console: server-rendered screens for sellers, fulfilment staff and analysts.

Mounted at /console by ``create_app``. A person logs in with an API key, which is
exchanged for a signed session cookie (HttpOnly, SameSite=Lax, path /console)
holding only the key's id, role and scope -- never the key itself. Every request
re-reads the key record, so a revoked key ends its sessions at once. Every POST
carries the session's CSRF token (form field ``csrf_token`` or header
``X-CSRF-Token``); a missing or wrong one is a 400 page and changes nothing.

Views stay thin: parse the form, call one service with the session's
``Principal`` (the services enforce roles and scope), render.

This module holds the blueprint, the session and the guards the screens share; the screens
(``console/<screen>.py``) attach their routes to ``bp``, and ``console/mount.py`` imports them and mounts
the blueprint on the app (a new screen module is listed there).
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from urllib.parse import urlsplit

from flask import Blueprint, Flask, g, jsonify, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from omnialloc.domain.api_keys import ApiKey
from omnialloc.domain.enums import Role
from omnialloc.domain.errors import DomainError
from omnialloc.services.access import Principal, principal_of

log = logging.getLogger(__name__)


class _ConsoleBlueprint(Blueprint):
    enable_openapi = False  # APIFlask asks every blueprint; the console is not part of the JSON API


bp = _ConsoleBlueprint("console", __name__, url_prefix="/console", template_folder="templates",
                       static_folder="static")

SESSION_SECONDS = 8 * 3600  # fallback lifetime; settings.console_session_minutes decides
PUBLIC = {"console.login", "console.static"}

# Screens in the navigation, and the roles that see them (the services check again).
NAV = [
    ("console.orders", "Orders", (Role.ADMIN, Role.CHANNEL, Role.ANALYST)),
    ("console.queue", "Work queue", (Role.ADMIN, Role.NODE)),
    ("console.carrier_shipments", "Shipments", (Role.CARRIER,)),
    ("console.inventory", "Inventory", (Role.ADMIN, Role.NODE, Role.ANALYST)),
    ("console.rules", "Rules", (Role.ADMIN,)),
    ("console.returns", "Returns", (Role.ADMIN, Role.CHANNEL, Role.NODE, Role.ANALYST)),
    ("console.analytics", "Analytics", (Role.ADMIN, Role.ANALYST)),
    ("console.benchmarks", "Benchmarks", (Role.ADMIN, Role.ANALYST)),
    ("console.network", "Network", (Role.ADMIN, Role.ANALYST)),  # nodes, catalog, carriers, channels (issue 25)
]


def home_for(role: Role) -> str:
    return next(endpoint for endpoint, _, roles in NAV if role in roles)


class ConsoleSessions(SecureCookieSessionInterface):
    """Signed-cookie sessions under /console only. The cookie's path is /console, so no other request
    carries one: the API gets Flask's null session instead of a signer built and a cookie looked for on
    every call (~1% of a capture's CPU)."""

    def open_session(self, app: Flask, request):
        if not request.path.startswith(app.config["SESSION_COOKIE_PATH"]):
            return self.make_null_session(app)
        return super().open_session(app, request)


# --------------------------------------------------------------------------- session, auth, CSRF
def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _csrf_ok() -> bool:
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf") or ""
    return bool(sent) and bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def start_session(key: ApiKey) -> None:
    """Replace whatever session there was (no fixation) with this key's identity."""
    session.clear()
    session.permanent = True
    session.update(key_id=key.id, role=str(key.role), name=key.name,
                   exp=int(time.time()) + int(_lifetime()), csrf=secrets.token_urlsafe(32))


def _lifetime() -> int:
    from flask import current_app

    return current_app.config.get("CONSOLE_SESSION_SECONDS", SESSION_SECONDS)


def _wants_json() -> bool:
    return request.path.endswith(".json") or request.accept_mimetypes.best == "application/json"


def _to_login(reason: str):
    session.clear()
    if _wants_json():
        return jsonify(status=401, title="Unauthorized", detail=f"console session {reason}; log in again"), 401
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("console.login", why=reason, next=target), code=303)


@bp.before_request
def _gate():
    g.principal = None
    if request.endpoint in PUBLIC:
        if request.method == "POST" and not _csrf_ok():
            return refuse_csrf()
        return None
    key_id = session.get("key_id")
    if not key_id:
        return _to_login("required")
    if int(session.get("exp") or 0) < time.time():
        return _to_login("expired")
    from omnialloc.api.deps import readonly_uow

    with readonly_uow() as uow:
        key = uow.api_keys.get(key_id)
    if key is None or key.revoked:
        return _to_login("revoked")
    g.principal = principal_of(key)
    if request.method not in ("GET", "HEAD", "OPTIONS") and not _csrf_ok():
        return refuse_csrf()
    return None


@bp.after_request
def _headers(response):
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'")
    return response


def refuse_csrf():
    if _wants_json():
        return jsonify(status=400, title="Bad request", detail="missing or wrong CSRF token; reload the page"), 400
    return render_template("console/error.html", status=400, title="Form not accepted",
                           detail="The form could not be verified (its security token is missing, wrong or from "
                                  "an old session). Nothing was changed. Go back, reload the page and try again."), 400


def principal() -> Principal:
    return g.principal


def need(*roles: Role) -> Principal:
    """The session's principal, or a 403 page when the role may not open this screen."""
    from omnialloc.services.access import AccessDenied

    p = principal()
    if p is None:
        raise AccessDenied("log in first")
    p.require(*roles)
    return p


def safe_next(target: str | None) -> str | None:
    """Only same-site console paths are followed after login (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console/") or target.startswith("//"):
        return None
    return target


@bp.app_template_global("csrf_field")
def _csrf_field():
    from markupsafe import Markup, escape

    return Markup(f'<input type="hidden" name="csrf_token" value="{escape(csrf_token())}">')


@bp.context_processor
def _context():
    p = getattr(g, "principal", None)
    nav = [(endpoint, label) for endpoint, label, roles in NAV if p is not None and p.role in roles]
    return {"me": p, "nav": nav, "csrf_token": csrf_token, "Role": Role}


# --------------------------------------------------------------------------- errors as pages
@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    from omnialloc.api.errors import status_for

    status = status_for(exc)
    if _wants_json():
        return jsonify(status=status, title=exc.title, detail=exc.detail), status
    return render_template("console/error.html", status=status, title=exc.title, detail=exc.detail,
                           field_errors=exc.field_errors), status


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    status = exc.code or 500
    if _wants_json():
        return jsonify(status=status, title=exc.name, detail=exc.description), status
    return render_template("console/error.html", status=status, title=exc.name, detail=exc.description), status


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    from omnialloc.store.errors import StoreUnavailable

    if isinstance(exc, StoreUnavailable):
        return render_template("console/error.html", status=503, title="Service unavailable",
                               detail="The database is unavailable; retry shortly."), 503
    log.exception("console: unhandled error")
    return render_template("console/error.html", status=500, title="Internal error",
                           detail="An unexpected error occurred; it has been logged."), 500


# --------------------------------------------------------------------------- template filters
@bp.app_template_filter("rupees")
def _rupees(paise) -> str:
    if paise is None:
        return "—"
    sign = "-" if paise < 0 else ""
    whole, frac = divmod(abs(int(paise)), 100)
    return f"{sign}₹{whole:,}.{frac:02d}"


@bp.app_template_filter("when")
def _when(value) -> str:
    if not value:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text.replace("T", " ")[:19] + " UTC"
