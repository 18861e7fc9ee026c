# Two commands for a newcomer:  `make demo`  and  `make test`.  Both are idempotent: the venv is
# (re)installed only when pyproject.toml changed since the last install.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ERM    := $(BIN)/erm
DEMO_SIZE ?= small
PYTEST_ARGS ?=
# The suite runs on one pytest-xdist worker per core, each with its own session engine and demo
# graph; --dist loadscope keeps a module's tests on one worker, so module fixtures start once.
# TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
PYTEST_XDIST = -n $(TEST_WORKERS) --dist loadscope
# when make started: `make test` ends with its wall time, lint included
STARTED := $(shell date +%s)

.PHONY: demo test test-fast install dev bench lint clean help vendor

help:
	@echo "make demo   set up .venv and load the demo enterprise into the embedded engine"
	@echo "make test   set up .venv with the test tools, lint, and run the test suite"
	@echo "make test-fast  the suite without the tests marked slow (crash, browser, notebooks)"
	@echo "make bench  run the benchmarks (SIZE=small|medium|large, ROWS=1000000)"
	@echo "make lint   ruff, and mypy (strict on the newer modules: pyproject.toml [tool.mypy])"
	@echo "make vendor re-copy the web app's browser libraries from npm at their pins (tools/vendor_js.py)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(VENV)/.installed $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev,bench]'
	@touch $(VENV)/.installed $(VENV)/.installed-dev $@

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

demo: install
	$(ERM) demo --size $(DEMO_SIZE)
	@echo
	@echo "Open the web app:  $(ERM) serve   then browse to http://127.0.0.1:8000/"
	@echo "Try next:"
	@echo "  $(ERM) status"
	@echo "  $(ERM) cypher \"MATCH (c:Customer)<-[:MANAGES]-(e:Employee) RETURN c.name, e.name LIMIT 5\""
	@echo "  $(ERM) --help"

test: lint
	bash tests/setup.sh
	@rc=0; $(BIN)/python -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS) || rc=$$?; \
	echo "make test: $$(( $$(date +%s) - $(STARTED) )) s wall time (lint, setup and tests)"; \
	exit $$rc

test-fast: lint
	bash tests/setup.sh
	$(BIN)/python -m pytest $(PYTEST_XDIST) -m "not slow" $(PYTEST_ARGS)

bench: $(VENV)/.installed-bench
	$(BIN)/python bench/run.py --size $(or $(SIZE),medium)
	$(BIN)/python bench/bench_load.py --rows $(or $(ROWS),1000000)
	$(BIN)/python bench/bench_startup.py

lint: dev
	$(BIN)/ruff check erm_graph loaders tests bench tools notebooks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache

# the browser libraries the web app serves (no CDN), copied from npm at the versions pinned in
# tools/vendor_js.py; tests/test_vendor.py checks the copies match the pins
vendor:
	$(PYTHON) tools/vendor_js.py
