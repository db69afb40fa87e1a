# greenapp: `make run` serves the app with demo data; `make test` runs the whole suite.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
export FLASK_APP := greenapp:create_app

.PHONY: run test venv dev-venv i18n migrate seed lint bench clean

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

test: $(DEV_STAMP) i18n
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

bench: $(DEV_STAMP) i18n
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) instance .pytest_cache
	find greenapp -name '*.mo' -delete
