# Two entry points for a fresh machine that has only Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)  ## install, then ingest the offline replay site through the Prefect flow
	$(BIN)/newsmon demo

test: $(STAMP)  ## install, then run every test (real PostgreSQL, local HTTP servers, real Prefect)
	$(BIN)/python -m pytest

lint: $(STAMP)  ## install, then ruff (lint, import order) and mypy over the package (scripts/typecheck.py)
	$(BIN)/ruff check .
	$(BIN)/python scripts/typecheck.py

bench: $(STAMP)  ## extraction quality and speed on the gold sets; the full-corpus import (needs ../shared)
	$(BIN)/python bench/extraction_eval.py --trafilatura
	$(BIN)/python bench/extraction_eval.py --trafilatura --labels tests/generic_gold/generic_dev.jsonl
	$(BIN)/python bench/import_corpus.py
	$(BIN)/python bench/un_eval.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
