# greenapp: `make run` serves the app with demo data; `make test` runs the whole suite.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
export FLASK_APP := greenapp:create_app

.PHONY: run test test-clock venv dev-venv i18n migrate seed lint bench bench-pg test-speed clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PY) not found)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(STAMP) $@

venv: $(STAMP)
dev-venv: $(DEV_STAMP)

i18n: $(STAMP)
	$(BIN)/python tools/i18n.py compile

migrate: $(STAMP)
	$(BIN)/flask db upgrade heads

seed: migrate
	$(BIN)/flask seed-demo

run: i18n seed
	@echo ""
	@echo "greenapp is starting on http://127.0.0.1:5000"
	@echo "Demo accounts (development only):"
	@$(BIN)/flask demo-logins
	@echo ""
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# The whole suite, browser journeys included, spread over one pytest-xdist worker per core
# (TEST_WORKERS=0 runs it in one process). Each worker has its own database (a SQLite file,
# or its own PostgreSQL database), browser, live servers and free ports.
# Compiled modules, pytest's assertion-rewritten ones included, are kept in .pycache/
# (not next to the sources, not in the venv), even where PYTHONDONTWRITEBYTECODE is set:
# otherwise every worker compiles the app, the tests and the plugins (hypothesis,
# schemathesis) again, about 6 s of CPU each before its first test.
TEST_WORKERS ?= auto
TEST_PYCACHE := $(CURDIR)/.pycache
test: $(DEV_STAMP) i18n
	PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(TEST_PYCACHE) \
	  $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The suite (without browser, load and backup tests) with the clock at 22:30 UTC on
# 31 December: already the next day and year in Kyzylorda (UTC+5) and Minsk (UTC+3).
# Catches a test that reads the machine's date where the app reads the school's.
# SQLite and no Redis: libfaketime fakes this process tree, not a server's clock (so the
# shared rate-limit tests, which need Redis, are left to `make test`). The monotonic clock
# stays real: threading timers (the in-memory rate-limit store's expiry) wait on it, and a
# faked one never moves, so the process would hang at exit. The mail tests are left out
# too: they wait on a real SMTP server with sleeps, which libfaketime then refuses (EINVAL).
CLOCK_AT ?= $(shell date -u +%Y)-12-31 22:30:00
test-clock: $(DEV_STAMP) i18n
	@command -v faketime >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq faketime; }
	env -u REDIS_URL -u TEST_DATABASE_URL FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "@$(CLOCK_AT)" \
	  $(BIN)/python -m pytest -q -m "not slow" --ignore=tests/e2e --ignore=tests/test_backup.py \
	  --ignore=tests/test_security_ratelimit.py --ignore=tests/test_mail.py

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -r greenapp -ll
	$(BIN)/mypy

bench: $(DEV_STAMP) i18n
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python bench/run.py
	$(BIN)/python bench/upload.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/imports.py
	$(BIN)/python bench/meters.py

# `make test`'s wall time next to bare Flask measured just before and after it, scaled to
# the machine the 2-minute target was set on (bench/test_speed.py, bench/test-speed.json).
RUNS ?= 1
test-speed: $(DEV_STAMP) i18n
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python bench/test_speed.py $(RUNS)

# PostgreSQL: 1M and 10M logs generated in the server (BENCH_PG_SIZES=1m to skip 10M),
# written to bench/results-pg.json. BENCH_PG_URL names the server (a superuser that
# may create the greenapp_bench_* databases; BENCH_PG_DB_PREFIX and BENCH_PG_PORT keep runs apart).
bench-pg: $(DEV_STAMP) i18n
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python bench/run_pg.py

clean:
	rm -rf $(VENV) instance .pytest_cache .pycache
	find greenapp -name '*.mo' -delete
