# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make run   – create .venv, install the pinned dependencies (requirements.lock), migrate, load the demo
#                shop when the database is empty, serve on 127.0.0.1:8000
#                (make run PORT=8401 HOST=0.0.0.0 listens elsewhere)
#   make test  – install the pinned dev dependencies (requirements-dev.lock), lint, run the whole suite
#   make lock  – regenerate both lock files from pyproject.toml after changing a dependency, and uv's
#                (make lock UPGRADE=1 also moves every pin to the newest allowed release)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Where `fixdesk serve` listens; empty means its defaults (FIXDESK_HOST, FIXDESK_PORT: 127.0.0.1, 8000).
HOST ?=
PORT ?=

# pip-compile (pip-tools) writes the lock files, from a virtual environment of its own so that its
# packages never mix with the application's. Both tools are pinned: pip-tools follows pip's internals.
LOCK_VENV := .venv-lock
LOCK_TOOLS := pip==26.3 pip-tools==7.7.0
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)

.PHONY: run test lint lock clean messages vendor-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

# uv installs the lock files' pins into .venv, checking every download against its hashes, in a few seconds
# where pip took about 20 (it fetches and unpacks in parallel, and compiles no bytecode: a process compiles
# the modules it imports, once, and the suite keeps its own cache, see `test`). uv itself is pinned with
# its hashes in requirements-uv.lock (`make lock` writes it from UV_VERSION) and installed by the venv's pip.
UV_VERSION := 0.13.10
UV := $(BIN)/uv
$(UV): requirements-uv.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile --require-hashes -r requirements-uv.lock
	touch $@

# Every dependency comes from the lock file, checked against its hashes; then Fixdesk itself, without
# letting the installer pick any other version.
INSTALL := $(UV) pip install --quiet --python $(BIN)/python
$(VENV)/.installed: requirements.lock pyproject.toml | $(UV)
	$(INSTALL) --require-hashes -r requirements.lock
	$(INSTALL) --no-deps -e .
	touch $@

# The dev lock holds the runtime lock's pins plus the dev tools, so it serves `make run` too.
$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(UV)
	$(INSTALL) --require-hashes -r requirements-dev.lock
	$(INSTALL) --no-deps -e .
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/fixdesk serve --demo $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

# Two test processes more than there are cores: a test often waits (on a server it started, a subprocess,
# PostgreSQL, Chromium), and the others keep the cores busy meanwhile (on 2 cores, 4 processes ran the
# suite in 8.0 min where 3 took 9.1; 5 were slower than 4 too).
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 2 )))
# loadgroup: the tests of one xdist_group (the browser tests, modules sharing a server; ONE_WORKER in
# tests/conftest.py) go whole to one worker, so their server or browser starts once; others are spread.
PYTEST_DIST ?= loadgroup

# Bytecode, and pytest's assertion-rewritten test modules, are cached under .venv/pycache even where the
# environment says not to write any (PYTHONDONTWRITEBYTECODE): every server, CLI and pytest process the
# suite starts compiles the same modules, and a nested pytest starts in 6 s instead of 10 with them.
test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(CURDIR)/$(VENV)/pycache \
		$(BIN)/pytest -n $(PYTEST_WORKERS) --dist $(PYTEST_DIST) $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

$(LOCK_VENV)/.tools:
	$(PYTHON) -m venv $(LOCK_VENV) || python3 -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet $(LOCK_TOOLS)
	touch $@

# The dev set first (it is the superset), then the runtime set constrained to the dev set's pins, so both
# files agree on every version they share and `make run` runs what `make test` tested. Existing pins are
# kept where pyproject.toml still allows them; a dependency added there is resolved and pinned.
lock: $(LOCK_VENV)/.tools
	$(PIP_COMPILE) --extra dev --output-file requirements-dev.lock pyproject.toml
	$(PIP_COMPILE) --constraint requirements-dev.lock --output-file requirements.lock pyproject.toml
	echo "uv==$(UV_VERSION)" | $(PIP_COMPILE) --output-file requirements-uv.lock -

# The web pages' texts: extract them into messages.pot and merge it into every language's .po (translate
# the new entries, then `make test` checks that none is missing). `NN_("… %(n)s thing", "… %(n)s things",
# count="n")` marks a Python text with a count, as `N_` marks one without.
WEB_LOCALE := src/fixdesk/web/locale
messages: $(VENV)/.installed-dev
	$(BIN)/pybabel extract -F $(WEB_LOCALE)/babel.cfg -k NN_:1,2 --no-location --sort-output --omit-header -o $(WEB_LOCALE)/messages.pot .
	$(BIN)/pybabel update -i $(WEB_LOCALE)/messages.pot -d $(WEB_LOCALE) --ignore-obsolete --ignore-pot-creation-date

# The vendored front-end files against scripts/vendor-assets.toml (no network).
vendor-check:
	python3 scripts/vendor-assets --check

clean:
	rm -rf $(VENV) $(LOCK_VENV) .pytest_cache .ruff_cache
