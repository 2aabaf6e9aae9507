# Cascade: `make run` serves the platform with demo data; `make test` sets up and runs everything.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
CASCADE := $(BIN)/python -m cascade
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run setup test lint format check pytest bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(CASCADE) migrate --noinput -v0
	$(CASCADE) collectstatic --noinput -v0
	$(CASCADE) demo
	$(CASCADE) serve

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(CASCADE) makemigrations --check --dry-run -v1

# Browser tests run in a pytest process of their own: Playwright's sync API keeps an event loop
# running in the main thread for the rest of the session, where asyncio.run() and async_to_sync
# (the benchmarks, the live room's tests) then refuse to run. Exit status 5 = nothing selected.
pytest: setup
	$(BIN)/pytest -n 2 --create-db -m "not browser" $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(BIN)/pytest -n 2 --create-db -m browser $(PYTEST_ARGS) || [ $$? -eq 5 ]

test: lint pytest

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: setup
	$(CASCADE) check --deploy --fail-level WARNING

bench: setup
	$(CASCADE) bench pages

clean:
	rm -rf var/static var/screenshots .mypy_cache .ruff_cache
