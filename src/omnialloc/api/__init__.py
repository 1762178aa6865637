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
from omnialloc.api import errors, examples
from omnialloc.api.intake import ApiRequest
from omnialloc.config import Settings, get_settings

DESCRIPTION = """Order management with an optimization core.

Authenticate with `Authorization: Bearer <API key>`. Errors always have the shape
`{status, title, detail, errors: [{field, message}]}`, served as `application/problem+json`
(RFC 9457). Bodies are JSON objects sent as `application/json` (UTF-8, no byte order mark, no
key twice, nested at most 32 levels). Money is integer paise (INR), weights integer grams,
timestamps UTC ISO 8601.
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
        AUTO_OPERATION_ID=True,  # every operation gets an operationId (shortened in honest_spec)
    )
    if engine is None:
        from omnialloc.store.engine import make_engine

        engine = make_engine(settings.database_url)
    app.extensions["omnialloc"] = {"settings": settings, "engine": engine}
    app.request_class = ApiRequest  # strict JSON bodies, checked query strings (api/intake.py)
    errors.install(app)
    from omnialloc.api import telemetry

    telemetry.install(app)  # request id, request log line and HTTP metrics; first hook of every request
    from omnialloc.geo.pins import warm

    warm()

    @app.get("/docs/assets/<path:name>")
    @app.doc(hide=True)
    def swagger_assets(name: str):
        return send_from_directory(_swagger_dir(), name)

    from omnialloc.api import blueprints
    from omnialloc.api.blueprints import health, metrics

    app.register_blueprint(health.bp)  # /health, /health/live, /health/ready
    app.register_blueprint(metrics.bp)  # /metrics
    blueprints.register(app)
    from omnialloc.api import idempotency

    idempotency.install(app, blueprints=set(app.blueprints))  # every unsafe endpoint of the API (not the console)
    from omnialloc.console import mount as console  # the operations console at /console (issue 12)

    console.register(app)
    # apiflask calls it with the spec as a dict (APIFlask._get_spec: spec_object.to_dict()); its SpecCallbackType
    # says dict | str in and out.
    app.spec_processor(honest_spec)  # type: ignore[arg-type]
    return app


_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Makes a retry safe: the same key with the same request (per API key, for 24 h) replays the "
                   "first answer (with `Idempotent-Replayed: true`) and changes nothing; the same key with "
                   "another request is 422; while the first is still running a duplicate waits for it, then "
                   "409 with Retry-After. A request that changed nothing frees its key.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
}

_ERROR_DESCRIPTIONS = {
    "400": "The body is not valid JSON (malformed, not UTF-8, a byte order mark, NaN)",
    "401": "No API key, an unknown or revoked one, or (tracking) a bad signature",
    "409": "Conflict with the current state, or the Idempotency-Key is still in use",
    "413": "The body is larger than the configured limit",
    "414": "The request target (path and query) is longer than 4,096 bytes",
    "415": "A body sent with another Content-Type than application/json (or none)",
    "431": "More than 100 header fields, or one longer than 8,192 bytes",
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
    ("/network/imports/{name}", "post"): {  # issue 25
        "description": "One network file (nodes, skus, carriers, rate_cards, serviceability or channels) as CSV: the "
                       "body, or the `file` field of a form; the columns are docs/onboarding.md's",
        "content": {
            "text/csv": {"schema": {"type": "string", "minLength": 1}},
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary"}}}},
        },
    },
}


_METHODS = ("get", "post", "put", "patch", "delete")


def _operations(spec: dict):
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method in _METHODS and isinstance(op, dict):
                yield path, method, op


def _operation_ids(spec: dict) -> None:
    """APIFlask's automatic ids are ``<method>_<blueprint>_<view>``; the method prefix is dropped where the
    rest is unique on its own (``orders_create_order``), so generated clients get short, stable names."""
    ops = list(_operations(spec))
    rest = [op["operationId"].split("_", 1)[1] if op.get("operationId", "").startswith(method + "_") else None
            for _, method, op in ops]
    taken = {op.get("operationId") for _, _, op in ops}
    for (_, _, op), short in zip(ops, rest):
        if short and rest.count(short) == 1 and short not in taken:
            op["operationId"] = short


def _unique_tags(spec: dict) -> None:
    """Two blueprints may share a tag (Inventory: positions and stock imports): list each tag once."""
    seen: dict[str, dict] = {}
    for tag in spec.get("tags", []):
        first = seen.setdefault(tag["name"], dict(tag))
        if "description" not in first and tag.get("description"):
            first["description"] = tag["description"]
    if "tags" in spec:
        spec["tags"] = list(seen.values())


def _hoist_nested_schemas(spec: dict) -> None:
    """Nested pydantic models come out as ``Parent.Child`` components, one copy per parent, and a parent
    renamed for a clash (``ReceiveIn1``) leaves its children's references dangling (``ReceiveIn.Child``).
    Each child becomes one component under its own name when its copies agree (else ``ParentChild``,
    titled so, as generators name classes by title), and every reference is rewritten, so the spec resolves and client generators get one class per model."""
    import json

    schemas = spec.get("components", {}).get("schemas", {})
    for name, body in schemas.items():  # a clash-renamed model (ReceiveIn1) keeps its class name apart too
        if "." not in name and isinstance(body, dict) and body.get("title", name) != name:
            body["title"] = name
    nested = [name for name in schemas if "." in name]
    if not nested:
        return
    bodies: dict[str, set[str]] = {}
    for name in nested:
        bodies.setdefault(name.split(".", 1)[1], set()).add(json.dumps(schemas[name], sort_keys=True))
    top = {name: json.dumps(body, sort_keys=True) for name, body in schemas.items() if "." not in name}

    def target(name: str) -> str:
        child = name.split(".", 1)[1]
        shared = len(bodies[child]) == 1 and top.get(child, next(iter(bodies[child]))) in bodies[child]
        return child if shared else name.replace(".", "")

    renames = {name: target(name) for name in nested}
    for name in nested:
        body = schemas.pop(name)
        if renames[name] != name.split(".", 1)[1]:
            body = {**body, "title": renames[name]}
        schemas.setdefault(renames[name], body)
    prefix = "#/components/schemas/"

    def fix(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(prefix) and "." in ref:
                name = ref[len(prefix):]
                child = name.split(".", 1)[1]
                node["$ref"] = prefix + renames.get(name, child if child in schemas else name.replace(".", ""))
            for value in node.values():
                fix(value)
        elif isinstance(node, list):
            for value in node:
                fix(value)

    fix(spec)


def _has_schema(response: dict) -> bool:
    return bool(response.get("content", {}).get("application/json", {}).get("schema"))


def honest_spec(spec: dict) -> dict:
    """Make the generated OpenAPI say what the app really does.

    APIFlask leaves ``requestBody.required`` out (a known sharp edge), and only
    documents the error codes a view lists. Every operation with a body requires
    it and may answer 400 (not JSON), 413 (too large) and 422; every operation may
    answer 503 when the database is down; every authenticated one may answer 401.
    All errors use the one error shape.
    """
    _operation_ids(spec)
    _unique_tags(spec)
    _hoist_nested_schemas(spec)
    examples.apply(spec)  # real request and response bodies of the main resources (api/examples.json)
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
            codes = {"414", "431", "503"}
            if "requestBody" in op:
                op["requestBody"]["required"] = True
                codes |= {"400", "413", "415", "422"}
            if op.get("security"):
                codes.add("401")
            if method != "get":
                op.setdefault("parameters", []).append(_IDEMPOTENCY_KEY)
                codes |= {"409", "422"}
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
                    response["content"] = {errors.PROBLEM_JSON: {"schema": ref}}
    return spec
