# Qualitas: `make demo` to try it, `make test` to check it. Both set themselves up.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: setup demo test test-sqlite test-postgres lint format clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# `make demo PORT=8123` serves on another port (HOST=0.0.0.0 to reach it from elsewhere).
PORT ?= 8000
HOST ?= 127.0.0.1
demo: setup
	$(BIN)/qualitas demo --port $(PORT) --host $(HOST)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy qualitas
	$(BIN)/lint-imports

test: lint
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/run-tests

test-sqlite: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/run-tests sqlite

test-postgres: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/run-tests postgres

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
