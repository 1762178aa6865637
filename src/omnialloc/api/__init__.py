"""The HTTP API: an APIFlask app with one blueprint per resource.

Views only parse, call one service and render. OpenAPI 3.1 is served at
/openapi.json and interactive docs at /docs (Swagger UI vendored from a
registry package, so nothing loads from a CDN).
"""

from __future__ import annotations

from pathlib import Path

from apiflask import APIFlask
from flask import send_from_directory

from omnialloc import __version__
from omnialloc.api import errors
from omnialloc.config import Settings, get_settings

DESCRIPTION = """Order management with an optimization core.

Authenticate with `Authorization: Bearer <API key>`. Errors always have the shape
`{status, title, detail, errors: [{field, message}]}`. Money is integer paise (INR),
weights integer grams, timestamps UTC ISO 8601.
"""


def _swagger_dir() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


def create_app(settings: Settings | None = None, engine=None) -> APIFlask:
    settings = settings or get_settings()
    app = APIFlask("omnialloc", title="omnialloc API", version=__version__, docs_path="/docs")
    app.config.update(
        DESCRIPTION=DESCRIPTION,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        SECRET_KEY=settings.secret_key,
        JSON_SORT_KEYS=False,
        SWAGGER_UI_CSS="/docs/assets/swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS="/docs/assets/swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS="/docs/assets/swagger-ui-standalone-preset.js",
        DOCS_FAVICON="/docs/assets/favicon-32x32.png",
        HTTP_ERROR_SCHEMA=errors.ERROR_SCHEMA,
        VALIDATION_ERROR_SCHEMA=errors.ERROR_SCHEMA,
    )
    if engine is None:
        from omnialloc.store.engine import make_engine

        engine = make_engine(settings.database_url)
    app.extensions["omnialloc"] = {"settings": settings, "engine": engine}
    errors.install(app)

    @app.get("/docs/assets/<path:name>")
    @app.doc(hide=True)
    def swagger_assets(name: str):
        return send_from_directory(_swagger_dir(), name)

    @app.get("/health")
    @app.doc(summary="Liveness and database check", tags=["Meta"])
    def health():
        from sqlalchemy import text

        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    from omnialloc.api import blueprints

    blueprints.register(app)
    return app
