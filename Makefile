# LiveShop: `make demo` runs the demo, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: demo test install install-dev services browser lint typecheck pytest clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e '.[dev]'
	$(PIP) install --no-deps 'lifetimes==0.11.3'
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

demo: install
	$(VENV)/bin/liveshop demo

services:
	bash scripts/ensure-services.sh

browser:
	bash scripts/ensure-chromium.sh

lint: install-dev
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

typecheck: install-dev
	$(VENV)/bin/mypy src

pytest: install-dev services browser
	CI=$${CI:-true} $(VENV)/bin/pytest -q -p no:cacheprovider

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .liveshop .pytest_cache .mypy_cache .ruff_cache
