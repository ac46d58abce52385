# Two commands: `make run` serves the app on the embedded defaults, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
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

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

db: install
	$(BIN)/flask db upgrade

# Seeds an empty database; otherwise only brings the vector index in line with SQL.
seed: db
	$(BIN)/flask seed all --if-empty
	$(BIN)/flask vectors sync
	$(BIN)/flask seed item-model

# Workers, threads, timeouts and logs come from gunicorn.conf.py, which says why and how to override
# them (GUNICORN_THREADS=4, GUNICORN_CMD_ARGS=...); one worker while the vectors are embedded.
serve:
	$(BIN)/gunicorn -c gunicorn.conf.py --bind $(HOST):$(PORT) wsgi:app

run: seed
	@echo "Serving on http://$(HOST):$(PORT)/ - log in as user0 / user0@000"
	$(MAKE) --no-print-directory serve

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The whole suite on PostgreSQL: one throwaway cluster (Debian's postgresql), a database per test.
.PHONY: test-postgres
test-postgres: install-dev
	SONGBIRD_TEST_DATABASE=postgresql $(BIN)/python -m pytest $(PYTEST_ARGS)

# The core alone: tests/markers.py marks browser, real-model, server, shared-sample and
# demo-catalog tests `slow` at collection, and this leaves them out.
.PHONY: test-fast lint lock
test-fast: install-dev
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# ruff's lint and format check over the tree; mypy over the typed modules listed in pyproject.toml.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Pins every dependency, transitive ones included: requirements.in -> requirements.txt and
# requirements-dev.in -> requirements-dev.txt. Pins already there are kept unless asked:
# make lock LOCK_ARGS="--upgrade-package numpy". Here torch resolves to the local 2.13.0+cpu wheel,
# which needs none of the CUDA (nvidia-*) packages; the pin is written as torch==2.13.0 (sed), which
# that wheel satisfies here and PyPI's build satisfies elsewhere: "+cpu" exists on no public index.
LOCK = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: install-dev
	$(LOCK) --output-file requirements.txt requirements.in
	$(LOCK) --output-file requirements-dev.txt requirements-dev.in
	sed -i 's/^torch==\([0-9.]*\)+cpu$$/torch==\1/' requirements.txt requirements-dev.txt

clean:
	rm -rf $(VENV) .pytest_cache
