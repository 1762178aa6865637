"""Schemathesis against the app's own OpenAPI: no input gives a 5xx, and every response matches the spec.

Runs in-process over WSGI, authenticated as admin, with a bounded number of
examples per operation so the whole module stays within a few minutes on two
cores (set OMNIALLOC_SCHEMATHESIS_EXAMPLES for a deeper local run). Checks: no
server error, the status code is documented, the content type is documented,
and the body validates against the documented schema (errors included: they
must be the one error shape).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import auth

MAX_EXAMPLES = int(os.environ.get("OMNIALLOC_SCHEMATHESIS_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _spec_app():
    """An app only for reading the spec at collection time (it never touches its database).

    The lazy ``schemathesis.pytest.from_fixture`` loader cannot run under pytest 9
    (it writes ``request.node._nodeid``), so the schema is loaded eagerly from this
    app and every case is sent to the test's own ``app`` (fresh store per backend).
    """
    from omnialloc.api import create_app
    from omnialloc.config import Settings

    return create_app(Settings(database_url="sqlite://"))


schema = schemathesis.openapi.from_wsgi("/openapi.json", _spec_app())


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi(case, app, keys):
    case.call_and_validate(app=app, headers=auth(keys["admin"]), checks=CHECKS)


def test_every_operation_with_a_body_requires_it(app):
    spec = app.test_client().get("/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "requestBody" in op:
                assert op["requestBody"].get("required") is True, f"{method.upper()} {path}"


def test_every_operation_documents_its_errors_with_the_error_shape(app):
    spec = app.test_client().get("/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            errors = {code: r for code, r in op["responses"].items() if code.startswith(("4", "5"))}
            assert errors, f"{method.upper()} {path} documents no error response"
            for code, response in errors.items():
                schema_ = response.get("content", {}).get("application/json", {}).get("schema")
                assert schema_ is not None, f"{method.upper()} {path} {code} has no JSON schema"
