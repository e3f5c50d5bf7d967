# Thin aliases. `make run` and `make test` are the two commands of the README.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The embedded default's local state (SQLite, the broker's socket and file, logs).
VAR_DIR ?= $(CURDIR)/var
# The suite's services: the machine's PostgreSQL and Redis (dedicated Redis databases). The
# *-halves targets run a suite in two halves side by side, one per core; the PostgreSQL halves
# each have their own SQL and Redis database (the second pair below).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/outages
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
TEST_DATABASE_URL_2 ?= postgres://postgres@127.0.0.1:5432/outages_2
TEST_REDIS_URL_2 ?= redis://127.0.0.1:6379/14
# The halves are balanced by each test's time in tests/durations.json (pytest-split); new tests
# count as the average until `make test-durations` records them again.
HALF = $(BIN)/pytest -q --splits 2 --durations-path tests/durations.json \
	--splitting-algorithm least_duration --group

.PHONY: install run soak test test-postgres test-sqlite test-postgres-halves test-sqlite-halves \
	test-durations chaos lint bench seed \
	postgres-half-1 postgres-half-2 sqlite-half-1 sqlite-half-2

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-embedded.txt requirements-dev.txt constraints.txt
	@echo "==> creating the virtualenv in $(VENV) and installing pinned dependencies"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	@touch $@

run: install
	@echo "==> migrating the embedded database (SQLite in $(VAR_DIR))"
	@VAR_DIR=$(VAR_DIR) $(BIN)/python manage.py migrate --verbosity 0
	@echo "==> seeding demo services and two weeks of history (first run only)"
	@VAR_DIR=$(VAR_DIR) $(BIN)/python manage.py seed --if-empty
	@echo "==> starting web (http://127.0.0.1:$(PORT)), Celery worker and beat, Redis broker"
	@echo "    under supervisord; logs in $(VAR_DIR)/log/; Ctrl-C stops all"
	@rm -rf $(VAR_DIR)/metrics && mkdir -p $(VAR_DIR)/metrics $(VAR_DIR)/log
	@VAR_DIR=$(VAR_DIR) PORT=$(PORT) $(BIN)/supervisord --configuration config/embedded.conf

# The embedded stack with live demo traffic for SOAK_MINUTES (default 30), in a temporary
# VAR_DIR: prints deaths and restarts, errors logged, reports accepted vs counted.
soak: install
	@$(BIN)/python bench/soak.py

# The static checks first (seconds): CI runs `make test`, so they gate CI too. Then both suites
# side by side, the embedded default's at low CPU priority (nice 10): the PostgreSQL run waits
# on workers, browsers and the database about half its time, and the SQLite run takes the
# cores it leaves idle without slowing its timing-sensitive tests. Each suite's output is
# printed whole when it ends.
test: install lint
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-postgres test-sqlite \
		SQLITE_NICE="nice -n 10"

# The whole suite against real PostgreSQL, Redis and Celery: missing services fail the run.
test-postgres:
	@echo "==> tests on PostgreSQL + Redis + Celery"
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL) \
		REQUIRE_SERVICES=1 $(BIN)/pytest -q

# The same suite in two halves side by side, one per core (faster, not yet what CI runs: under
# its contention two timing-sensitive tests have each failed once in three runs).
test-postgres-halves:
	@echo "==> tests on PostgreSQL + Redis + Celery (two halves side by side)"
	@$(MAKE) --no-print-directory -j2 --output-sync=target postgres-half-1 postgres-half-2

postgres-half-1: HALF_DB = $(TEST_DATABASE_URL)
postgres-half-1: HALF_REDIS = $(TEST_REDIS_URL)
postgres-half-2: HALF_DB = $(TEST_DATABASE_URL_2)
postgres-half-2: HALF_REDIS = $(TEST_REDIS_URL_2)
postgres-half-1 postgres-half-2: postgres-half-%:
	@echo "==> PostgreSQL half $*"
	@DATABASE_URL=$(HALF_DB) REDIS_URL=$(HALF_REDIS) CELERY_BROKER_URL=$(HALF_REDIS) \
		REQUIRE_SERVICES=1 $(HALF) $*

# The embedded default (SQLite, no outside services): everything that does not need them, but
# the pure detection library's tests (marked backend_free), which the PostgreSQL run runs.
test-sqlite:
	@echo "==> tests on the embedded default (SQLite)"
	@env -u DATABASE_URL -u REDIS_URL $(SQLITE_NICE) $(BIN)/pytest -q -m "not services and not backend_free"

test-sqlite-halves:
	@echo "==> tests on the embedded default (SQLite, two halves side by side)"
	@$(MAKE) --no-print-directory -j2 --output-sync=target sqlite-half-1 sqlite-half-2

sqlite-half-1 sqlite-half-2: sqlite-half-%:
	@echo "==> SQLite half $*"
	@env -u DATABASE_URL -u REDIS_URL $(HALF) $* -m "not services and not backend_free"

# Records every test's time on PostgreSQL (one process, the whole suite) for the halves.
# pytest-split sums the times of the items that share a node id (the API contract test's, one
# per operation); each gets its share back.
test-durations: install
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL) \
		REQUIRE_SERVICES=1 $(BIN)/pytest -q --store-durations --durations-path tests/durations.json
	@$(BIN)/pytest --collect-only -q | $(BIN)/python -c 'import collections, json, sys; \
		n = collections.Counter(line.strip() for line in sys.stdin); p = "tests/durations.json"; \
		d = {k: v / n.get(k, 1) for k, v in json.load(open(p)).items()}; \
		json.dump(d, open(p, "w"), indent=4, sort_keys=True)'

# The fault suite (tests marked `fault`: Redis SIGKILLed under load, workers SIGKILLed
# mid-drain, PostgreSQL and Redis both gone) CHAOS_RUNS times (default 10) against the real
# services, each run counting exactly what was accepted; prints every run and how many passed.
# `make test` runs each fault test once.
CHAOS_RUNS ?= 10
chaos: install
	@echo "==> the fault suite, $(CHAOS_RUNS) runs, on PostgreSQL + Redis + Celery"
	@logs=$$(mktemp -d); passed=0; \
	for run in $$(seq 1 $(CHAOS_RUNS)); do \
		if DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
			CELERY_BROKER_URL=$(TEST_REDIS_URL) REQUIRE_SERVICES=1 \
			$(BIN)/pytest -q -m fault tests/integration > $$logs/run-$$run.log 2>&1; \
		then passed=$$((passed + 1)); result=passed; else result="FAILED ($$logs/run-$$run.log)"; fi; \
		echo "    run $$run: $$result: $$(tail -n 1 $$logs/run-$$run.log)"; \
	done; \
	echo "==> chaos: $$passed runs out of $(CHAOS_RUNS) passed"; \
	test $$passed -eq $(CHAOS_RUNS)

# Style, formatting, types, and the layer map's contracts (.importlinter, docs/architecture.md).
lint: install
	@echo "==> ruff, mypy --strict, import-linter"
	@$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy && $(BIN)/lint-imports --no-cache

bench: install
	@$(BIN)/python bench/run.py

seed: install
	@$(BIN)/python manage.py seed
