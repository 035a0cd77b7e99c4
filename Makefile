# LiveShop: `make demo` runs the demo, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: demo test install install-dev lock upgrade-lock messages services browser media lint typecheck pytest clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Installs come from the lock (requirements/*.txt, every file hash-pinned); LiveShop
# itself is then installed editable without resolving anything. A changed lock reinstalls.
$(VENV)/.runtime: requirements/runtime.txt pyproject.toml | $(VENV)/bin/python
	$(PIP) install --require-hashes -r requirements/runtime.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.dev: requirements/dev.txt requirements/dev-no-deps.txt pyproject.toml | $(VENV)/bin/python
	$(PIP) install --require-hashes -r requirements/dev.txt
	$(PIP) install --require-hashes --no-deps -r requirements/dev-no-deps.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Rewrites the lock from pyproject.toml (uv in a throwaway venv): `lock` keeps the
# pins that still fit, `upgrade-lock` takes the newest releases that fit.
lock:
	bash scripts/lock.sh

upgrade-lock:
	bash scripts/lock.sh --upgrade

# The pages' catalogues (babel.cfg): extract the marked messages and update locale/*/messages.po;
# a new message then waits for its English (tests/web/test_catalogues.py). The .po files are
# what runs: they are compiled in memory on first use, no build step.
messages: install-dev
	bash scripts/messages.sh

demo: install media
	$(VENV)/bin/liveshop demo

services:
	bash scripts/ensure-services.sh

browser:
	bash scripts/ensure-chromium.sh

# Live video: nginx with its RTMP module and ffmpeg (apt, where missing), hls.js (npm, pinned).
media:
	bash scripts/ensure-media.sh

lint: install-dev
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

typecheck: install-dev
	$(VENV)/bin/mypy src

# Two workers (the machine's two cores); a file's tests stay on one worker, since
# some files share a Redis database or a server between their tests.
PYTEST_WORKERS ?= 2

pytest: install-dev services browser media
	CI=$${CI:-true} $(VENV)/bin/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .liveshop .pytest_cache .mypy_cache .ruff_cache
