# Cascade: `make run` serves the platform with demo data; `make test` sets up and runs everything.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
CASCADE := $(BIN)/python -m cascade
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run setup system test lint format check pytest bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Debian packages the suite and the certificates need (Chromium for the browser tests; Pango and
# HarfBuzz for WeasyPrint's PDFs). Installed only when missing, and only where apt-get can run.
DEBS := chromium fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
system:
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages: $$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Missing Debian packages (install them): $$missing"; fi; \
	fi

run: setup system
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

test: system lint pytest

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: setup
	$(CASCADE) check --deploy --fail-level WARNING

bench: setup
	$(CASCADE) bench pages
	$(CASCADE) bench optimizer --curve docs/optimizer-scale.svg --time-limit 60

clean:
	rm -rf var/static var/screenshots .mypy_cache .ruff_cache
