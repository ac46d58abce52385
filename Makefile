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

clean:
	rm -rf $(VENV) .pytest_cache
