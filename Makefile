# Common commands. `make demo` and `make test` set up everything they need on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# implicit's ALS warns and runs slower with threaded OpenBLAS.
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: install messages compilemessages migrate demo serve test lint bench clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

# Browser packages (ECharts for the operator's view, axe-core for the end-to-end tests), where npm is installed.
node_modules/.package-lock.json: package-lock.json
	if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund; else echo "npm not found: the operator's view shows its tables without charts"; fi

install: $(INSTALLED) node_modules/.package-lock.json

# Compiles locale/*/LC_MESSAGES/django.po with Babel (pure Python: no gettext tools needed to run).
compilemessages: $(INSTALLED)
	$(BIN)/pybabel compile --statistics --domain django --directory locale

# Re-extracts the message catalogs from code and templates (needs GNU gettext).
messages: $(INSTALLED)
	$(MANAGE) makemessages --locale zh_Hans --locale en --ignore '.venv/*' --ignore 'tests/*' --no-obsolete

# With DATABASE_OWNER_URL set (production), the owner role migrates and then grants the app role its rights.
migrate: $(INSTALLED)
	$(MANAGE) migrate --noinput $(if $(DATABASE_OWNER_URL),--database owner)
	$(if $(DATABASE_OWNER_URL),$(MANAGE) db_roles)

demo: migrate compilemessages node_modules/.package-lock.json
	$(MANAGE) demo_setup
	$(MANAGE) runserver $(HOST):$(PORT)

serve: $(INSTALLED)
	$(MANAGE) runserver $(HOST):$(PORT)

test: compilemessages
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Every benchmark in tests/bench, each printing its figures, at sizes a laptop runs in a few minutes.
# BENCH_ARGS goes to each, which leaves aside the options it lacks: BENCH_ARGS="--people 100000 --rows 100000".
# Only some: BENCH="eligibility simulate". Those on PostgreSQL and Redis use the scratch databases (emptied!)
# named by BENCH_DATABASE_URL and BENCH_REDIS_URL; without them they run on SQLite or say why they skip.
BENCH ?= $(patsubst tests/bench/bench_%.py,%,$(sort $(wildcard tests/bench/bench_*.py)))
bench: $(INSTALLED)
	@status=0; for name in $(BENCH); do \
		echo "== bench_$$name $(BENCH_ARGS)"; \
		LOG_LEVEL=$${LOG_LEVEL:-WARNING} $(BIN)/python tests/bench/bench_$$name.py $(BENCH_ARGS) || status=1; \
	done; exit $$status

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts
