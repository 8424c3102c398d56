# zhili — the README's commands: `make demo`, `make test` (what `.ci/run` calls) and `make serve`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
SYSTEM_STAMP := var/.system-packages
MESSAGES_STAMP := var/.messages-compiled
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/zhili
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0

.PHONY: demo serve test setup lint check-deploy test-sqlite test-postgresql clean

setup: $(PYTHON_STAMP) $(NODE_STAMP) $(SYSTEM_STAMP) $(MESSAGES_STAMP)

# The .mo files are compiled from the .po catalogues, never committed (docs/translations.md).
$(MESSAGES_STAMP): $(PYTHON_STAMP) $(wildcard src/zhili/*/locale/*/LC_MESSAGES/*.po)
	scripts/compile-messages
	mkdir -p var && touch $@

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

# The production configuration on this machine: DEBUG off, gunicorn + job workers, JSON logs (docs/operations.md).
serve: setup
	scripts/serve $(HOST) $(PORT)

# `zhili check --deploy --fail-level WARNING` with the documented production environment (deploy/zhili.env.example).
check-deploy: setup
	scripts/check-deploy

lint: setup
	$(BIN)/ruff check src bench tests
	$(BIN)/zhili makemigrations --check --dry-run
	$(BIN)/lint-imports
	$(BIN)/mypy src/zhili

# tests/postgresql (a streaming replica, point-in-time recovery, PgBouncer: servers of their own) run
# in the PostgreSQL run only.
test-sqlite: setup
	env -u DATABASE_URL ZHILI_TESTING=1 $(BIN)/pytest -n 2 --dist loadgroup -q -m "not postgresql_servers"

# The PostgreSQL run's production-configuration test serves with Redis when it answers. Then
# tests/postgresql, which start their own servers from the PostgreSQL binaries (not the one on 5432),
# in one process: they share one primary (one migration), and the installed pytest-xdist 3.8 cannot
# keep an xdist_group on one worker under pytest 9 (it renames `_nodeid`, pytest 9 reads `_id`).
test-postgresql: setup
	@if scripts/postgresql-ready; then \
	  if scripts/redis-ready; then redis=$(REDIS_TEST_URL); else redis=""; \
	    echo "Redis does not answer on 127.0.0.1:6379: the production-configuration test uses the embedded queue"; fi; \
	  DATABASE_URL=$(PG_URL) ZHILI_TEST_REDIS_URL=$$redis ZHILI_TESTING=1 $(BIN)/pytest -n 2 --dist loadgroup -q \
	    -m "not postgresql_servers"; \
	else echo "PostgreSQL does not answer on 127.0.0.1:5432: the PostgreSQL run is left out on this machine"; fi
	env -u DATABASE_URL ZHILI_TESTING=1 $(BIN)/pytest -n 0 -q -m postgresql_servers tests/postgresql

test: lint check-deploy test-sqlite test-postgresql

clean:
	rm -rf $(VENV) node_modules var
