# Two commands: `make run` serves the app on the embedded defaults, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
HTMX_VERSION := 2.0.8
export FLASK_APP := app

.PHONY: run test install install-dev db seed serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Tests run offline, so they serve htmx from a copy taken from the npm registry (git-ignored).
static/vendor/htmx.min.js:
	mkdir -p static/vendor
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null \
	  && tar xzf htmx.org-$(HTMX_VERSION).tgz && cp package/dist/htmx.min.js $(CURDIR)/$@ && rm -rf $$tmp

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev static/vendor/htmx.min.js

db: install
	$(BIN)/flask db upgrade

# Seeds an empty database; otherwise only brings the vector index in line with SQL.
seed: db
	$(BIN)/flask seed all --if-empty
	$(BIN)/flask vectors sync
	$(BIN)/flask seed item-model

# Several threads in one worker: the embedded vector store allows one process per shard.
serve:
	$(BIN)/gunicorn --workers 1 --threads 4 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

run: seed
	@echo "Serving on http://$(HOST):$(PORT)/ - log in as user0 / user0@000"
	$(MAKE) --no-print-directory serve

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
