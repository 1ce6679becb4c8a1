# Two commands on a fresh machine: `make run` and `make test`. Each bootstraps .venv from requirements.lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint typecheck unit kafka bench bench-pipeline bench-search bench-stats bench-console browser lock clean schemas deploy-tools deploy-check dashboards

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	rm -f $(VENV)/.installed-*
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

run: $(STAMP)
	$(BIN)/gongkai up

test: browser deploy-tools lint typecheck
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

# End-to-end pipeline benchmark (embedded): documents/s from submission to search; N=500 for a quick look.
bench-pipeline: $(STAMP)
	$(BIN)/python -m bench.pipeline -n $(or $(N),2000)

# Stats benchmark: reducers and the embedded consumer next to raw baselines; the annual report over
# 1,000,000 events (EVENTS=100000 for a quick look).
bench-stats: $(STAMP)
	$(BIN)/python -m bench.stats --events $(or $(EVENTS),1000000)

# Console benchmark: the clerk's pages next to a bare FastAPI page; CASES=200 for a quick look.
bench-console: $(STAMP)
	$(BIN)/python -m bench.console --cases $(or $(CASES),1000)

# Search benchmark: 100,000 synthetic documents (minutes); DOCS=5000 for a quick look.
bench-search: $(STAMP)
	$(BIN)/python -m bench.search --docs $(or $(DOCS),100000)

# System packages the browser test needs (Debian's chromium and a CJK font); a no-op once installed.
# Outside CI a machine without root or apt only warns: the browser test then skips and says why.
browser:
	@{ test -x /usr/bin/chromium && test -n "$$(fc-list :lang=zh 2>/dev/null)"; } || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei) || \
	  { test "$$CI" != true && echo "warning: chromium or a CJK font not installed"; }

# Tools the deployment checks run (tests/deploy): Debian's prometheus (promtool and a real Prometheus) and nginx
# (the gateway's configuration, run for real), and check-jsonschema (the Compose specification) in its own venv,
# since it needs a newer jsonschema than the project pins. A no-op once installed; outside CI a machine without
# them only warns, and those tests skip and say why.
CHECK_JSONSCHEMA := .tools/check-jsonschema/bin/check-jsonschema
deploy-tools:
	@{ command -v promtool && command -v prometheus && PATH="$$PATH:/usr/sbin" command -v nginx; } >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	  prometheus nginx) || { test "$$CI" != true && echo "warning: prometheus or nginx not installed"; }
	@test -x $(CHECK_JSONSCHEMA) || ($(PYTHON) -m venv .tools/check-jsonschema && .tools/check-jsonschema/bin/pip \
	  install --quiet --disable-pip-version-check check-jsonschema==0.39.0) || \
	  { test "$$CI" != true && echo "warning: check-jsonschema not installed"; }

# The deployment checks alone: compose, gateway, Prometheus, Grafana, Kafka init, schemas, tail (about 30 s).
deploy-check: $(STAMP) deploy-tools
	$(BIN)/python -m pytest tests/deploy tests/unit/test_compose.py

schemas: $(STAMP)
	$(BIN)/gongkai schemas --out docs/events
	$(BIN)/python -m gongkai.schema_compat docs/events/baseline

# The Grafana dashboard, generated from deploy/grafana/dashboard.py (a test fails when it is stale).
dashboards: $(STAMP)
	$(BIN)/python deploy/grafana/dashboard.py

# Re-pin every dependency (needs network access to PyPI). Commit the new requirements.lock.
lock:
	$(PYTHON) -m venv /tmp/gongkai-lock && /tmp/gongkai-lock/bin/pip install --quiet uv
	/tmp/gongkai-lock/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build *.egg-info
