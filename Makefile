# Pas à pas – everyday commands. `make` alone lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install demo serve test test-fast bench load lint format lock messages chromium wrk lighthouse

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed." if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "Node.js and npm are needed (apt-get install nodejs npm)."; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed ## Create .venv and install the pinned packages

demo: install ## Install, migrate, load the catalogue and demo people, and serve on 127.0.0.1:8000
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	@echo "Serving on http://$(HOST):$(PORT)/ – stop with Ctrl+C"
	$(MANAGE) runserver $(HOST):$(PORT)

chromium: ## Make sure the tests' Debian tools are installed: Chromium (browser tests), poppler (PDF tests), zbar (QR codes read back), espeak-ng and lame (server voice)
	@if [ ! -x /usr/bin/chromium ] || ! command -v pdftotext >/dev/null || ! command -v zbarimg >/dev/null || ! command -v espeak-ng >/dev/null || ! command -v lame >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium, poppler-utils, zbar-tools, espeak-ng and lame for the tests…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils zbar-tools espeak-ng lame >/dev/null; \
	  else \
	    echo "The tests need Debian's Chromium, poppler-utils, zbar-tools, espeak-ng and lame: run 'sudo apt-get install chromium poppler-utils zbar-tools espeak-ng lame'."; exit 1; \
	  fi; \
	fi

test: install chromium ## Run every test: unit, view and real-browser tests
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install chromium ## Run every test except the slow set-ups (marked slow: backup and restore, replica, phone screens)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

wrk: ## Make sure wrk (the HTTP load generator of make bench) is installed
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's wrk for the benchmarks…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else \
	    echo "make bench needs wrk: run 'sudo apt-get install wrk'."; exit 1; \
	  fi; \
	fi

LIGHTHOUSE := tests/benchmarks/lighthouse

$(LIGHTHOUSE)/node_modules/.installed: $(LIGHTHOUSE)/package.json $(LIGHTHOUSE)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed to install Lighthouse (apt-get install npm)."; exit 1; }
	npm ci --prefix $(LIGHTHOUSE) --no-audit --no-fund --loglevel=error
	touch $@

lighthouse: $(LIGHTHOUSE)/node_modules/.installed ## Install Lighthouse 13 and the Node.js 22 it needs, for make bench only (tests/benchmarks/lighthouse)

bench: install chromium wrk lighthouse ## Measure at 1,000, 10,000 and 100,000 learners (SIZES=1000,10000 for fewer); writes docs/benchmarks.md
	$(BIN)/python -m tests.benchmarks.run $(if $(SIZES),--sizes $(SIZES),)

load: install ## 200 simulated learners for 10 minutes on gunicorn + PostgreSQL; writes docs/load-test.md
	$(BIN)/python -m tests.load.run $(if $(USERS),--users $(USERS),) $(if $(MINUTES),--minutes $(MINUTES),) $(if $(FAULT),--fault $(FAULT),) $(if $(DATABASE),--database $(DATABASE),)

lint: install ## Check code style, the import layers (pyproject.toml), the access funnel and migrations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_access_funnel.py
	$(MANAGE) makemigrations --check --dry-run --settings=lms.settings.test

format: install ## Fix code style
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install ## Extract translatable strings, then compile the translations
	$(MANAGE) makemessages --locale fr --locale nl --locale en --ignore=.venv --ignore=node_modules --no-obsolete --add-location=file
	$(MANAGE) compilemessages --ignore=.venv

lock: $(BIN)/python ## Re-pin every Python package after editing pyproject.toml
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --group dev --generate-hashes --universal --python-version 3.11 -o requirements.lock
