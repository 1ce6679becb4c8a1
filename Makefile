# Two commands on a fresh machine: `make run` and `make test`. Each bootstraps .venv from requirements.lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint typecheck unit kafka bench lock clean schemas

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	rm -f $(VENV)/.installed-*
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

run: $(STAMP)
	$(BIN)/gongkai up

test: lint typecheck
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy gongkai services

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit tests/contract -m "not kafka"

kafka: $(STAMP)
	$(BIN)/python -m pytest -m kafka

bench: $(STAMP)
	$(BIN)/python -m bench.bus

schemas: $(STAMP)
	$(BIN)/gongkai schemas --out docs/events

# Re-pin every dependency (needs network access to PyPI). Commit the new requirements.lock.
lock:
	$(PYTHON) -m venv /tmp/gongkai-lock && /tmp/gongkai-lock/bin/pip install --quiet uv
	/tmp/gongkai-lock/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build *.egg-info
