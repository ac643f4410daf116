# Two entry points for a fresh machine that has only Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The flows run on every Prefect pyproject.toml allows: `make test` on the newest pip resolves, this one on the lowest
# (tests/unit/test_deployments.py keeps it equal to pyproject.toml's lower bound and prefect.yaml's prefect-version).
PREFECT_LOWEST := 3.8.8
LOWEST_VENV := $(VENV)/prefect-lowest
LOWEST_STAMP := $(LOWEST_VENV)/.installed

.PHONY: demo test test-prefect-lowest lint bench reliability clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)  ## install, then ingest the offline replay site through the Prefect flow
	$(BIN)/newsmon demo

test: $(STAMP)  ## install, then run every test (real PostgreSQL, local HTTP servers, real Prefect)
	$(BIN)/python -m pytest

$(LOWEST_STAMP): pyproject.toml
	$(PYTHON) -m venv $(LOWEST_VENV)
	$(LOWEST_VENV)/bin/pip install --quiet --upgrade pip
	$(LOWEST_VENV)/bin/pip install --quiet -e ".[test]" "prefect==$(PREFECT_LOWEST)"
	touch $(LOWEST_STAMP)

test-prefect-lowest: $(LOWEST_STAMP)  ## the flow tests (tests/flows) on the lowest Prefect the pins allow
	$(LOWEST_VENV)/bin/python -m pytest tests/flows

lint: $(STAMP)  ## install, then ruff (lint, import order) and mypy over the package (scripts/typecheck.py)
	$(BIN)/ruff check .
	$(BIN)/python scripts/typecheck.py

bench: $(STAMP)  ## extraction quality and speed on the gold sets; the full-corpus import (needs ../shared)
	$(BIN)/python bench/extraction_eval.py --trafilatura
	$(BIN)/python bench/extraction_eval.py --trafilatura --labels tests/generic_gold/generic_dev.jsonl
	$(BIN)/python bench/import_corpus.py
	$(BIN)/python bench/un_eval.py

reliability: $(STAMP)  ## run the fault suite (tests/faults) and write docs/reliability.md from it
	$(BIN)/python scripts/reliability.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
