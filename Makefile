# The one entry point: `make run` serves the local stack, `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12: the one on PATH if it runs, else pyenv's.
PYTHON312 ?= $(shell if python3.12 -c 'import sys' >/dev/null 2>&1; then echo python3.12; \
	else ls -d $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12 2>/dev/null | head -1; fi)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# sam build looks for `python3.12` on PATH: the venv's own.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
PORT ?= 3000
SOURCES := $(shell find layers functions -name '*.py' -o -name 'requirements.txt' 2>/dev/null) template.yaml

.PHONY: help venv run test test-fast check lint format build validate openapi bench bench-smoke clean browsers \
	sam-env sam-local sam-invoke sam-lambda

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/dev.lock.txt pyproject.toml
	@test -n "$(PYTHON312)" || { echo "python3.12 not found: install Python 3.12 (pyenv install 3.12)"; exit 1; }
	test -x $(PY) || $(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/dev.lock.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

venv: $(VENV)/.installed ## create .venv with the pinned dependencies

run: venv ## serve the whole API on http://127.0.0.1:$(PORT) against an embedded moto server
	@$(BIN)/fleetreport serve --port $(PORT)

.aws-sam/build.toml: $(VENV)/.installed $(SOURCES)
	$(BIN)/sam build --template-file template.yaml
	@touch $@

build: .aws-sam/build.toml ## sam build (python3.12 from the venv, no Docker)

# ---- sam local (Docker) against the running stack's storage: `make run` first (docs/local.md).
SAM_PORT ?= 3001
SAM_LAMBDA_PORT ?= 3002
SAM_HOST ?=
REPORT_KEY ?= $(FLEETREPORT_REPORT_KEY)
# sam passes its own credentials and region into the containers: throwaway ones, the stack's region.
SAM_LOCAL := env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
	AWS_DEFAULT_REGION=us-east-1 $(BIN)/sam local
SAM_FLAGS := --env-vars env.json --region us-east-1

sam-env: venv ## env.json, sam's --env-vars for the running stack (SAM_HOST=IP overrides the host)
	$(BIN)/fleetreport sam-env $(if $(SAM_HOST),--host $(SAM_HOST)) --output env.json

sam-local: build sam-env ## sam local start-api (Docker) on :3001 (SAM_PORT) against the stack's storage
	$(SAM_LOCAL) start-api $(SAM_FLAGS) --port $(SAM_PORT)

sam-invoke: build sam-env ## sam local invoke FUNCTION=GroupsFunction EVENT=events/groups_list.json
	@test -n "$(FUNCTION)" -a -n "$(EVENT)" || { echo "usage: make sam-invoke FUNCTION=LogicalId EVENT=events/FILE.json"; exit 2; }
	@! grep -q '{{REPORT_KEY}}' $(EVENT) || test -n "$(REPORT_KEY)" || { echo "$(EVENT) needs REPORT_KEY=rpk_... (the banner's export lines)"; exit 2; }
	sed -e "s/{{ADMIN_TOKEN}}/$$($(BIN)/fleetreport token)/g" -e "s/{{REPORT_KEY}}/$(REPORT_KEY)/g" \
	  -e "s/{{TENANT}}/demo/g" $(EVENT) | $(SAM_LOCAL) invoke $(FUNCTION) -e - $(SAM_FLAGS)

sam-lambda: build sam-env ## sam local start-lambda (Docker) on :3002 (SAM_LAMBDA_PORT)
	$(SAM_LOCAL) start-lambda $(SAM_FLAGS) --port $(SAM_LAMBDA_PORT)

validate: venv ## sam validate --lint
	$(BIN)/sam validate --lint --template-file template.yaml

test: venv build ## install everything and run the whole test suite
	$(BIN)/pytest

test-fast: venv ## the suite without the local-stack subprocess tests
	$(BIN)/pytest -m "not stack and not slow"

check: venv ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: venv ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: venv ## regenerate docs/openapi.json from the real routes
	$(PY) -m fleetreport_local.openapi --write docs/openapi.json

bench: venv build ## run every benchmark scenario and rewrite bench/RESULTS.md
	$(PY) -m bench.run --write bench/RESULTS.md

bench-smoke: venv ## a small, fast version of the benchmarks (CI)
	$(PY) -m bench.run --smoke

browsers: ## install Debian's chromium for the e2e tests (needs root; skipped otherwise)
	@if [ -x /usr/bin/chromium ]; then echo "chromium: $$(/usr/bin/chromium --version 2>/dev/null)"; \
	elif [ "$$(id -u)" != 0 ]; then echo "make browsers: not root, skipping (install chromium: apt-get install -y chromium)"; \
	else apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; fi

.PHONY: e2e
e2e: venv browsers ## the dashboard's end-to-end tests in headless Chromium against the local stack
	$(BIN)/pytest -m e2e tests/e2e

clean: ## remove build output and local state
	rm -rf .aws-sam .fleetreport .pytest_cache .mypy_cache .ruff_cache env.json
