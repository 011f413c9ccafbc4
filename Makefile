# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make run   – create .venv, install, migrate, load the demo shop when empty, serve on :8000
#   make test  – install the dev dependencies and run the whole suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format clean messages vendor-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/fixdesk serve --demo

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $${PYTEST_WORKERS:-auto} $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The web pages' texts: extract them into messages.pot and merge it into every language's .po (translate
# the new entries, then `make test` checks that none is missing).
WEB_LOCALE := src/fixdesk/web/locale
messages: $(VENV)/.installed-dev
	$(BIN)/pybabel extract -F $(WEB_LOCALE)/babel.cfg --no-location --sort-output --omit-header -o $(WEB_LOCALE)/messages.pot .
	$(BIN)/pybabel update -i $(WEB_LOCALE)/messages.pot -d $(WEB_LOCALE) --ignore-obsolete --ignore-pot-creation-date

# The vendored front-end files against scripts/vendor-assets.toml (no network).
vendor-check:
	python3 scripts/vendor-assets --check

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
