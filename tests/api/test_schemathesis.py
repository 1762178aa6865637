"""Schemathesis against the app's own OpenAPI: no input gives a 5xx, every answer matches the spec, and
every operation is driven to a success.

Three runs, each on SQLite and PostgreSQL, all authenticated as the admin (the key is sent as a header;
Schemathesis is told not to generate the security header itself: its negative "header" cases dropped the
key, and 33 of 91 stateful calls were 401):

1. Per operation, in-process over WSGI: every phase (examples, coverage, fuzzing; positive and negative
   data). The first ``OMNIALLOC_FUZZ_POINTED`` positive cases of each operation are pointed at the world
   (tests/api/fuzzing): fresh resources in the state the operation needs, made through the API. A pointed
   case must get a 2xx: an operation that cannot be driven to success fails its test.
2. Stateful, in-process: chains of calls along OpenAPI links written for this API
   (tests/api/fuzzing/links.py: capture -> accept -> pack -> ship -> carrier scan, returns -> receive ->
   work order, rules, transfers...), with the same checks plus "a created resource can be read back, a
   deleted one is gone". No call may be a 401.
3. Live: a real gunicorn (the command line of ``omnialloc serve``) on the test store, every operation
   over HTTP with a smaller budget, each one pointed at the world once and required to succeed.

Checks everywhere: no server error, no schema-violating request accepted, documented status codes and
content types, bodies valid against the documented schemas (errors included), and an operation that
needs a key refuses a request without one. Each run's 2xx/calls per operation is printed at the end of
the module. Budgets (CI: the whole module ~2 minutes on two cores; ``make fuzz`` raises them):
OMNIALLOC_SCHEMATHESIS_EXAMPLES, OMNIALLOC_FUZZ_POINTED, OMNIALLOC_SCHEMATHESIS_SCENARIOS,
OMNIALLOC_SCHEMATHESIS_STEPS, OMNIALLOC_FUZZ_LIVE_EXAMPLES, OMNIALLOC_FUZZ_LIVE_NEGATIVE (negative cases over
HTTP too).
"""

from __future__ import annotations

import json
import os
import zlib
from collections import Counter

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as budget
from hypothesis.errors import FlakyStrategyDefinition, Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.generation.stateful.control import TransitionController
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from tests.api.conftest import auth
from tests.api.fuzzing.fill import FILLS, fill, repair
from tests.api.fuzzing.links import LINKS, with_links
from tests.api.fuzzing.tally import Tally
from tests.api.fuzzing.world import Client, World, prepare_store

MAX_EXAMPLES = int(os.environ.get("OMNIALLOC_SCHEMATHESIS_EXAMPLES", "10"))
POINTED = int(os.environ.get("OMNIALLOC_FUZZ_POINTED", "1"))
STATEFUL_SCENARIOS = int(os.environ.get("OMNIALLOC_SCHEMATHESIS_SCENARIOS", "20"))
STATEFUL_STEPS = int(os.environ.get("OMNIALLOC_SCHEMATHESIS_STEPS", "8"))
LIVE_EXAMPLES = int(os.environ.get("OMNIALLOC_FUZZ_LIVE_EXAMPLES", "3"))
# Negative cases over HTTP: Hypothesis spends ~90 CPU-seconds drawing a few per operation, so CI leaves
# them to the in-process run (which has them on both backends) and `make fuzz` adds them here.
LIVE_MODES = [GenerationMode.POSITIVE, *([GenerationMode.NEGATIVE] if os.environ.get("OMNIALLOC_FUZZ_LIVE_NEGATIVE")
                                          else [])]
CHECKS = [not_a_server_error, negative_data_rejection, status_code_conformance, content_type_conformance,
          response_schema_conformance, ignored_auth]
STATEFUL_CHECKS = [*CHECKS, ensure_resource_availability, use_after_free]
QUIET = dict(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))


def _spec_app():
    """An app only for reading the spec at collection time (it never touches its database).

    The lazy ``schemathesis.pytest.from_fixture`` loader cannot run under pytest 9 (it writes
    ``request.node._nodeid``), so the schema is loaded eagerly and every case is sent to the test's own
    ``app`` (a fresh store per backend).
    """
    from omnialloc.api import create_app
    from omnialloc.config import Settings

    return create_app(Settings(database_url="sqlite://"))


def _with_linked_spec(app, spec: dict):
    """``app``, except that /openapi.json is ``spec`` (the served spec plus the links)."""
    raw = json.dumps(spec).encode()

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO") == "/openapi.json":
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(raw)))])
            return [raw]
        return app(environ, start_response)

    return wsgi


_APP = _spec_app()
SPEC = _APP.test_client().get("/openapi.json").get_json()
LINKED = with_links(SPEC)
# In-process (WSGI transport: checks that send probes reach the app too) and over HTTP (the live server).
schema = schemathesis.openapi.from_wsgi("/openapi.json", _with_linked_spec(_APP, LINKED))
live_schema = schemathesis.openapi.from_dict(LINKED)
for _schema in (schema, live_schema):
    # The admin key is sent by the tests; a generated Authorization header would only ever be refused.
    _schema.config.generation.update(with_security_parameters=False)
    # Stateful chains follow the links written for this API (inferred ones pair operations by name and
    # mostly 404), with valid data: invalid data is the per-operation run's job.
    _schema.config.phases.stateful.inference.algorithms = []
    _schema.config.phases.stateful.generation.update(modes=[GenerationMode.POSITIVE])
    # Refusing an invalid request by its size (URL, headers, body) is a refusal too.
    rejection = _schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413", "414", "431"]
OPERATIONS = sorted(op.label for op in (r.ok() for r in schema.get_all_operations()))
TALLY = Tally()
BODIES = World(client=None, engine=None)  # for body repairs that need no stored resource


def _positive(case) -> bool:
    return case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE


def map_case(context, case):
    """Positive cases get a body the domain accepts (demo SKUs, PINs, channels, a parseable
    rule, a box a carrier takes, a fresh Idempotency-Key: ``fill.repair``): every one in the stateful phase, half elsewhere (the
    other half stays as generated). Without this the stateful phase has nothing to chain from: random SKUs
    and PINs are (correctly) 422. Negative cases are left alone: they must stay invalid.
    """
    if case.operation.label not in FILLS or not _positive(case):
        return case
    stateful = case.meta.phase.name == "stateful"  # chains need every step valid; elsewhere, half
    if not stateful and zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode()) % 2:
        return case
    repair(FILLS, BODIES, case)
    return case


for _schema in (schema, live_schema):
    _schema.hook(map_case)


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def settings(clean_db_url):
    """Returns wait for approval, so approve and reject have something to act on."""
    from omnialloc.config import Settings

    return Settings(database_url=clean_db_url, return_auto_approve=False)


@pytest.fixture
def world(app, keys, clean_engine) -> World:
    prepare_store(clean_engine)
    return World(Client.flask(app.test_client(), auth(keys["admin"])), clean_engine)


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    """Print what each run reached, per operation, when the module is done."""
    yield
    if not any(TALLY.calls.values()):
        return
    capture = request.config.pluginmanager.getplugin("capturemanager")
    terminal = request.config.pluginmanager.getplugin("terminalreporter")
    if terminal is None:
        return
    with capture.global_and_fixture_disabled():
        terminal.write_line("")
        for line in TALLY.report(OPERATIONS).splitlines():
            terminal.write_line(line)


@pytest.fixture
def pointed(request):
    """How many positive cases of this operation were pointed at the world (each had to succeed)."""
    count = Counter()
    yield count
    assert count["pointed"] > 0, f"{request.node.name}: no positive case was pointed at the world"


def _call(case, world: World, headers: dict, due: bool, **transport):
    """Send ``case`` (pointed at the world when ``due``); the response, the headers and transport used."""
    extra = fill(FILLS, world, case) if due else {}
    headers = {**headers, **extra.pop("headers", {})}
    response = case.call(headers=headers, **transport, **extra)
    if due:
        assert 200 <= response.status_code < 300, (
            f"{case.operation.label} pointed at the world answered {response.status_code}: {response.text[:500]}\n"
            f"path {case.path_parameters} query {case.query} body {case.body!r:.500}")
    return response, headers, {**transport, **extra}


# ---------------------------------------------------------------- 1. per operation


@schema.parametrize()
@budget(max_examples=MAX_EXAMPLES, **QUIET)
def test_api_conforms_to_its_openapi(case, app, keys, db_backend, world, pointed):
    due = _positive(case) and pointed["pointed"] < POINTED
    pointed["pointed"] += due
    response, headers, transport = _call(case, world, auth(keys["admin"]), due, app=app)
    TALLY.record(db_backend, case.operation.label, response.status_code)
    case.validate_response(response, checks=CHECKS, headers=headers, transport_kwargs=transport)


def test_every_operation_has_a_fill_and_the_links_name_real_operations():
    assert sorted(FILLS) == OPERATIONS, (
        f"operations without a fill: {sorted(set(OPERATIONS) - set(FILLS))}; "
        f"fills for operations the spec lacks: {sorted(set(FILLS) - set(OPERATIONS))}")
    for (source, _status), links in LINKS.items():
        assert source in OPERATIONS and all(target in OPERATIONS for target, _, _ in links.values()), source


def test_the_fuzzed_spec_covers_every_api_endpoint(app):
    """Every authenticated or public API route is an operation Schemathesis tests (nothing hides from the spec)."""
    import re

    from tests.api.test_roles import CONSOLE

    fuzzed = {tuple(label.split(" ", 1)) for label in OPERATIONS}
    meta = {"static", "openapi.spec", "openapi.docs", "openapi.swagger_ui_oauth_redirect", "swagger_assets",
            "root", "favicon"}  # GET / (console or a JSON pointer to /docs) and /favicon.ico: not API operations
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in meta or rule.endpoint.startswith(CONSOLE):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        missing += [f"{m} {path}" for m in sorted(rule.methods - {"HEAD", "OPTIONS"}) if (m, path) not in fuzzed]
    assert not missing, f"routes Schemathesis never calls (not in /openapi.json): {missing}"


# ---------------------------------------------------------------- 2. stateful

APIWorkflow = schema.as_state_machine()
# Where a chain may start: where a client starts, by creating something.
STATEFUL_ROOTS = {"POST /orders", "POST /rules", "POST /transfers"}


class _RootsWhereClientsStart(TransitionController):
    def allow_root_transition(self, source, bundles) -> bool:
        return source in STATEFUL_ROOTS and super().allow_root_transition(source, bundles)


def _signed_scan(case, headers: dict) -> dict:
    """A carrier scan reached by a link is signed like a carrier would (its body, as sent, under HMAC)."""
    raw = json.dumps(case.body).encode()
    return {"data": raw, "headers": {**headers, **World.carrier_headers(raw)}}


@pytest.mark.slow
def test_stateful_sequences_over_the_spec_links(app, keys, db_backend, world):
    """Chains of calls along the links; every call is authenticated (no 401), and the chains get deep."""
    world.stock()
    headers = auth(keys["admin"])
    run = f"stateful {db_backend}"

    class Workflow(APIWorkflow):
        def __init__(self):
            super().__init__()
            # Schemathesis would also start chains at any POST with an outgoing link (accept, hold,
            # approve...), with a made-up id: a 404 and a wasted step.
            self.control = _RootsWhereClientsStart(self.control.transitions, self.control.roots)

        def setup(self):
            scenarios["started"] += 1

        def get_call_kwargs(self, case):
            if case.operation.label == "POST /tracking/{carrier}" and isinstance(case.body, dict):
                return {"app": app, **_signed_scan(case, headers)}
            return {"app": app, "headers": headers}

        def after_call(self, response, case):
            super().after_call(response, case)
            TALLY.record(run, case.operation.label, response.status_code)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=STATEFUL_CHECKS, headers=kwargs.get("headers"),
                                   transport_kwargs=kwargs)

    # The store outlives each scenario, so a later scenario replaying an earlier one's choices can meet other
    # answers (a record that now exists, stock used up) and Hypothesis stops with FlakyStrategyDefinition.
    # Like Schemathesis's own runner, that ends the round, not the test: the next round continues the
    # budget. (A check that failed is a FailureGroup, or a FlakyFailure if it did not fail again: both fail.)
    scenarios, rounds = Counter(), 0
    while scenarios["started"] < STATEFUL_SCENARIOS and rounds < 20:
        rounds += 1
        try:
            Workflow.run(settings=budget(max_examples=STATEFUL_SCENARIOS - scenarios["started"],
                                         stateful_step_count=STATEFUL_STEPS, **QUIET))
            break
        except FlakyStrategyDefinition:
            continue
    calls, ok = sum(TALLY.calls[run].values()), sum(TALLY.successes[run].values())
    assert TALLY.statuses[run][401] == 0, f"{TALLY.statuses[run][401]} calls of the stateful phase were 401"
    # Every chain's start succeeds, and most steps do. (Which links a run follows is Schemathesis's own
    # random choice, not Hypothesis's derandomized one: the operations reached vary from run to run.)
    assert not TALLY.unreached(run, sorted(STATEFUL_ROOTS)), TALLY.report(OPERATIONS)
    assert ok >= calls / 2, f"only {ok} of {calls} stateful calls succeeded\n{TALLY.report(OPERATIONS)}"


# ---------------------------------------------------------------- 3. live server


@pytest.mark.slow
def test_every_operation_against_a_live_gunicorn_server(clean_engine, clean_db_url, db_backend, keys):
    """The same checks over real HTTP to gunicorn (``omnialloc serve``'s command line); every operation is
    pointed at the world once and must succeed, the rest of its cases are fuzzed (positive and negative)."""
    from tests.reliability.gunicorn_server import Gunicorn

    run = f"live {db_backend}"
    headers = auth(keys["admin"])
    prepare_store(clean_engine)
    with Gunicorn(clean_db_url, workers=2, env={"OMNIALLOC_RETURN_AUTO_APPROVE": "false"}) as server, \
            httpx.Client(base_url=server.url, timeout=30) as http, requests.Session() as session:
        world = World(Client.httpx(http, headers), clean_engine)
        for result in live_schema.get_all_operations():
            operation = result.ok()
            done = Counter()

            def check(case):
                due = _positive(case) and not done["pointed"]
                done["pointed"] += due
                response, sent, transport = _call(case, world, headers, due, base_url=server.url, session=session)
                TALLY.record(run, case.operation.label, response.status_code)
                case.validate_response(response, checks=CHECKS, headers=sent, transport_kwargs=transport)

            for mode in LIVE_MODES:
                try:
                    budget(max_examples=LIVE_EXAMPLES, phases=[Phase.explicit, Phase.generate], **QUIET)(
                        given(case=operation.as_strategy(mode))(check))()
                except Unsatisfiable:
                    # Nothing of the operation can be made invalid (a path of one free string, no body).
                    assert mode == GenerationMode.NEGATIVE, operation.label
            assert done["pointed"], f"{operation.label}: no positive case was drawn"
    assert not TALLY.unreached(run, OPERATIONS), TALLY.report(OPERATIONS)


def test_every_operation_with_a_body_requires_it():
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "requestBody" in op:
                assert op["requestBody"].get("required") is True, f"{method.upper()} {path}"


def test_every_operation_documents_its_errors_with_the_error_shape():
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            errors = {code: r for code, r in op["responses"].items() if code.startswith(("4", "5"))}
            assert errors, f"{method.upper()} {path} documents no error response"
            for code, response in errors.items():  # the one error shape, as RFC 9457 problem details
                schema_ = response.get("content", {}).get("application/problem+json", {}).get("schema")
                assert schema_ == {"$ref": "#/components/schemas/HTTPError"}, f"{method.upper()} {path} {code}"
