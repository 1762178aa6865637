# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
OMNI   := $(VENV)/bin/omnialloc
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 2
export OMNIALLOC_DATABASE_URL ?= sqlite:///$(CURDIR)/var/omnialloc.db

.PHONY: run test install install-test bench clean

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
	$(VENV)/bin/gunicorn --preload --workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - "omnialloc.api.wsgi:app"

test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) -m benchmarks.run_all

clean:
	rm -rf $(VENV) var .pytest_cache
