# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
OMNI   := $(VENV)/bin/omnialloc
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 2
THREADS ?= 2
export OMNIALLOC_DATABASE_URL ?= sqlite:///$(CURDIR)/var/omnialloc.db

.PHONY: run test install install-test bench clean browser fuzz lint

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,lint,bench]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed

run: install
	@mkdir -p var
	$(OMNI) db upgrade
	$(OMNI) load-demo
	@$(OMNI) banner --host $(HOST) --port $(PORT)
	@# The notification worker runs beside the API and also allocates backorders when stock arrives or is
	@# released (the retry queue); with no SMTP relay configured, e-mails go to the log. Both write their
	@# Prometheus samples to one fresh folder, so /metrics shows the API's workers and the worker together.
	rm -rf var/metrics && mkdir -p var/metrics
	export PROMETHEUS_MULTIPROC_DIR=$(CURDIR)/var/metrics; \
	OMNIALLOC_EMAIL_PROVIDER=$${OMNIALLOC_EMAIL_PROVIDER:-log} $(OMNI) notify-worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(OMNI) serve --host $(HOST) --port $(PORT) --workers $(WORKERS) --threads $(THREADS) --access-log

# Browser tests (tests/browser) drive Debian's chromium; install it when missing. If that fails (no apt,
# no root, no network) they SKIP with the reason instead of failing.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium) \
		|| echo "chromium could not be installed: the browser tests will be skipped"

test: install-test browser
	$(PY) -m pytest $(PYTEST_ARGS)

# The API fuzzing of `make test` with a nightly-size budget (tests/api/test_schemathesis.py): 100 examples
# per operation, 5 of them driven to a success, 200 stateful scenarios, the live gunicorn run with negative
# cases too; prints the 2xx / calls each operation reached. Tens of minutes on two cores.
fuzz: install-test
	OMNIALLOC_SCHEMATHESIS_EXAMPLES=$${OMNIALLOC_SCHEMATHESIS_EXAMPLES:-100} \
	OMNIALLOC_FUZZ_POINTED=$${OMNIALLOC_FUZZ_POINTED:-5} \
	OMNIALLOC_SCHEMATHESIS_SCENARIOS=$${OMNIALLOC_SCHEMATHESIS_SCENARIOS:-200} \
	OMNIALLOC_SCHEMATHESIS_STEPS=$${OMNIALLOC_SCHEMATHESIS_STEPS:-15} \
	OMNIALLOC_FUZZ_LIVE_EXAMPLES=$${OMNIALLOC_FUZZ_LIVE_EXAMPLES:-20} \
	OMNIALLOC_FUZZ_LIVE_NEGATIVE=1 \
	$(PY) -m pytest tests/api/test_schemathesis.py -p no:cacheprovider $(PYTEST_ARGS)

# Static checks (CI runs them after the tests): ruff's lint over the tree, the import contracts (layers, pure
# domain and solvers: .importlinter), ruff's formatter over the modules written to it (FORMATTED; add a
# module once it is formatted), mypy as configured in pyproject.toml.
FORMATTED := src/omnialloc/config.py src/omnialloc/observability src/omnialloc/services/operations \
	src/omnialloc/api/telemetry.py src/omnialloc/api/blueprints/health.py src/omnialloc/api/blueprints/metrics.py \
	tests/unit/test_settings.py tests/api/test_operability.py
lint: install
	$(PY) -m ruff check src tests benchmarks
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m ruff format --check $(FORMATTED)
	$(PY) -m mypy

bench: install
	$(PY) -m benchmarks.run_all

clean:
	rm -rf $(VENV) var .pytest_cache
