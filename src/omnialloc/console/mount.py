"""Mounting the operations console on the app: its session cookie, its screens, ``/`` and ``/favicon.ico``.

``create_app`` calls :func:`register`. Importing a screen module attaches its routes to ``console.bp``,
so every screen module is imported here, before the blueprint is registered.
"""

from __future__ import annotations

from apiflask import APIFlask
from flask import jsonify, redirect, request, send_from_directory, url_for

from omnialloc.console import ConsoleSessions, bp
from omnialloc.console import (  # noqa: F401 - routes attach to bp
    analytics, benchmarks, customers, network, network_forms, orders, search, views, work_queue)


def register(app: APIFlask) -> None:
    """Mount the console and configure the session cookie it uses (signed with settings.secret_key)."""
    settings = app.extensions["omnialloc"]["settings"]
    lifetime = max(1, settings.console_session_minutes) * 60
    app.config.update(
        SESSION_COOKIE_NAME="omnialloc_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/console",
        SESSION_COOKIE_SECURE=settings.console_secure_cookie,
        PERMANENT_SESSION_LIFETIME=lifetime,
        CONSOLE_SESSION_SECONDS=lifetime,
    )
    app.session_interface = ConsoleSessions()
    app.register_blueprint(bp)  # with the routes the screens' modules, imported above, attached to it
    _first_run_routes(app)


def _first_run_routes(app: APIFlask) -> None:
    """``GET /``: a person with a browser is sent to the console, an API client gets a small JSON answer
    naming /docs and /openapi.json; ``/favicon.ico`` is what every browser asks for first."""
    static = bp.static_folder

    @app.get("/")
    @app.doc(hide=True)
    def root():
        if wants_html():
            answer = redirect(url_for("console.home"), code=302)
        else:
            answer = jsonify(name="omnialloc", docs=url_for("openapi.docs"), openapi=url_for("openapi.spec"),
                             console=url_for("console.home"))
        answer.vary.add("Accept")  # one URL, two answers: caches keep them apart
        return answer

    @app.get("/favicon.ico")
    @app.doc(hide=True)
    def favicon():
        return send_from_directory(static, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400)


def wants_html() -> bool:
    """The request names text/html in Accept and prefers it to JSON (a browser); ``*/*`` alone (curl), no
    Accept, or JSON first is an API client."""
    accept = request.accept_mimetypes
    html = max((q for value, q in accept if value == "text/html"), default=0)
    return html > 0 and html >= accept.quality("application/json")
