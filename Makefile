# relief — the two commands: `make demo` and `make test`. Both create .venv and install into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: install demo demo-check test test-pg test-browser serve lint format bench screenshots clean messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## load scenarios/hohhot into the embedded SQLite database, print the summary, serve the UI
demo: install
	$(BIN)/relief demo

## the demo's work without serving (CI)
demo-check: install
	$(BIN)/relief demo --no-serve

## the whole suite (SQLite); .ci/run also runs the `db` tests on PostgreSQL
test: install
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

## the database-dependent tests on PostgreSQL (RELIEF_TEST_DATABASE_URL)
test-pg: install
	RELIEF_TEST_DATABASE_URL=$${RELIEF_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
		$(BIN)/pytest -q -n $(PYTEST_WORKERS) -m "db and not browser"

serve: install
	$(BIN)/relief db upgrade
	$(BIN)/relief serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## PNGs of the main web pages into docs/screenshots/ (Debian chromium: apt-get install chromium fonts-noto-cjk)
screenshots: install
	$(BIN)/python -m relief.web.screenshots docs/screenshots

## only the browser tests (Debian chromium; skipped without it unless CI=true)
test-browser: install
	$(BIN)/pytest -q -m browser tests/web

## the message catalogue: extract ids into relief/locale/messages.pot, add new ones to the .po files
messages: install
	$(BIN)/python -m relief.i18n

clean:
	rm -rf $(VENV) var .pytest_cache

## a new Alembic revision from the models: make migration m="what changed"
migration: install
	$(BIN)/python -c "import sys; from relief.db import new_revision; new_revision(sys.argv[1])" "$(m)"
