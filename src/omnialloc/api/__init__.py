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
    app.before_request(_json_body_must_be_an_object)
    from omnialloc.geo.pins import warm

    warm()

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
    from omnialloc import console  # the operations console at /console (issue 12)

    console.register(app)
    app.spec_processor(honest_spec)
    return app


def _json_body_must_be_an_object():
    """Every JSON body the API takes is an object: ``null``, ``[]`` or ``"x"`` is 422, never read as "no fields".

    (APIFlask hands a ``null`` body to the model as if it were empty, so an all-optional
    model such as the notification preferences accepted it.) Unparseable JSON is left
    to the view's parser, which answers the usual 400.
    """
    from flask import jsonify, request

    if request.method not in ("POST", "PUT", "PATCH") or not request.is_json:
        return None
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None
    # Parsed once: werkzeug keeps the result for the view's own get_json. A body that does not parse
    # gives None here (and is parsed again, to a 400, by the view's parser); so does a literal null.
    data = request.get_json(silent=True)
    if isinstance(data, dict) or (data is None and raw.strip() != b"null"):
        return None
    kind = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(data), "null")
    message = f"the request body must be a JSON object, not {kind}"
    body = errors.error_body(422, "Validation failed", f"body: {message}", [{"field": "body", "message": message}])
    return jsonify(body), 422


_ERROR_DESCRIPTIONS = {
    "400": "The body is not valid JSON (or is missing)",
    "401": "No API key, an unknown or revoked one, or (tracking) a bad signature",
    "413": "The body is larger than the configured limit",
    "422": "Validation failed; `errors` lists the fields",
    "503": "The database is unavailable; retry after the Retry-After seconds",
}


# Bodies a view reads itself (not through a pydantic model), so APIFlask cannot document them.
_RAW_BODIES = {
    ("/inventory/imports", "post"): {
        "description": "The CSV (header node,sku,qty[,safety_stock]) as the body, or as the `file` field of a form",
        "content": {
            "text/csv": {"schema": {"type": "string", "minLength": 1}},
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary"}}}},
        },
    },
}


def _has_schema(response: dict) -> bool:
    return bool(response.get("content", {}).get("application/json", {}).get("schema"))


def honest_spec(spec: dict) -> dict:
    """Make the generated OpenAPI say what the app really does.

    APIFlask leaves ``requestBody.required`` out (DESIGN: sharp edge), and only
    documents the error codes a view lists. Every operation with a body requires
    it and may answer 400 (not JSON), 413 (too large) and 422; every operation may
    answer 503 when the database is down; every authenticated one may answer 401.
    All errors use the one error shape.
    """
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["HTTPError"] = errors.ERROR_SCHEMA
    schemas["ValidationError"] = errors.ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/HTTPError"}
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete") or not isinstance(op, dict):
                continue
            if (path, method) in _RAW_BODIES and "requestBody" not in op:
                op["requestBody"] = dict(_RAW_BODIES[(path, method)])
            responses = op.setdefault("responses", {})
            codes = {"503"}
            if "requestBody" in op:
                op["requestBody"]["required"] = True
                codes |= {"400", "413", "422"}
            if op.get("security"):
                codes.add("401")
            if any(p.get("in") == "query" for p in op.get("parameters", [])):
                codes.add("422")
            for code in codes:
                responses.setdefault(code, {"description": _ERROR_DESCRIPTIONS[code]})
            success = next((r["content"] for c, r in sorted(responses.items()) if c[0] == "2" and _has_schema(r)),
                           None)
            for code, response in responses.items():
                if code[0] == "2" and code != "204" and not _has_schema(response) and success:
                    response["content"] = success  # e.g. 200 for an idempotent replay of a 201
                if code[0] in "45":
                    response["content"] = {"application/json": {"schema": ref}}
    return spec
