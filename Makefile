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

.PHONY: run test install install-test bench clean browser

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed

run: install
	@mkdir -p var
	$(OMNI) db upgrade
	$(OMNI) load-demo
	@$(OMNI) banner --host $(HOST) --port $(PORT)
	@# The notification worker runs beside the API and also allocates backorders when stock arrives or is
	@# released (the retry queue); with no SMTP relay configured, e-mails go to the log.
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

bench: install
	$(PY) -m benchmarks.run_all

clean:
	rm -rf $(VENV) var .pytest_cache
