"""Mounting the operations console on the app: its session cookie, its screens, ``/`` and ``/favicon.ico``.

``create_app`` calls :func:`register`. Importing a screen module attaches its routes to ``console.bp``,
so every screen module is imported here, before the blueprint is registered.
"""

from __future__ import annotations

from flask import Flask, redirect, send_from_directory, url_for

from omnialloc.console import ConsoleSessions, bp
from omnialloc.console import (  # noqa: F401 - routes attach to bp
    analytics, benchmarks, customers, network, orders, search, views, work_queue)


def register(app: Flask) -> None:
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


def _first_run_routes(app: Flask) -> None:
    """``GET /`` is a person with a browser: send them to the console (API clients have /docs and
    /openapi.json); ``/favicon.ico`` is what every browser asks for first."""
    static = bp.static_folder

    @app.get("/")
    @app.doc(hide=True)
    def root():
        return redirect(url_for("console.home"), code=302)

    @app.get("/favicon.ico")
    @app.doc(hide=True)
    def favicon():
        return send_from_directory(static, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400)
