# zhili — the README's two commands: `make demo` and `make test`. `.ci/run` calls `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
SYSTEM_STAMP := var/.system-packages
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/zhili

.PHONY: demo test setup lint test-sqlite test-postgresql clean

setup: $(PYTHON_STAMP) $(NODE_STAMP) $(SYSTEM_STAMP)

$(PYTHON_STAMP): requirements.lock pyproject.toml
	scripts/setup-python
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(SYSTEM_STAMP): scripts/setup-system
	scripts/setup-system
	mkdir -p var && touch $@

demo: setup
	scripts/demo $(HOST) $(PORT)

lint: setup
	$(BIN)/ruff check src bench tests
	$(BIN)/zhili makemigrations --check --dry-run
	$(BIN)/lint-imports
	$(BIN)/mypy src/zhili

test-sqlite: setup
	env -u DATABASE_URL ZHILI_TESTING=1 $(BIN)/pytest -n 2 --dist loadgroup -q

test-postgresql: setup
	@if scripts/postgresql-ready; then \
	  DATABASE_URL=$(PG_URL) ZHILI_TESTING=1 $(BIN)/pytest -n 2 --dist loadgroup -q; \
	else echo "PostgreSQL does not answer on 127.0.0.1:5432: the PostgreSQL run is left out on this machine"; fi

test: lint test-sqlite test-postgresql

clean:
	rm -rf $(VENV) node_modules var
