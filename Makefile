# Two commands are the contract (README): `make demo` runs the product, `make test` runs every test.
# `make help` lists every target: a target's `## ` comment is its line there.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CODE := src tests bench
# The figure counts the code run in the test process (and its threads): the broker, sandbox and provider servers
# some integration tests start as subprocesses are not measured.
COVERAGE := --cov=databrug --cov-report=term:skip-covered

.DEFAULT_GOAL := help
.PHONY: help demo test check fix install system-deps lint typecheck imports pytest unit bench bench-full fuzz \
	schema clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

help: ## this list
	@awk 'BEGIN { FS = ":[^#]*## " } /^[a-z][a-z-]*:[^#]*## / { printf "  make %-12s %s\n", $$1, $$2 }' \
		$(MAKEFILE_LIST)

demo: install ## start the whole product on embedded defaults (sandbox, demo provider, mail catcher)
	$(BIN)/databrug demo

test: install system-deps lint typecheck imports pytest ## everything CI runs: lint, types, import rules, every tier, coverage

check: lint typecheck imports unit ## the fast loop: lint, format check, types, import rules, unit tests

fix: install ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix $(CODE)
	$(BIN)/ruff format $(CODE)

install: $(STAMP) ## create .venv and install the locked dependencies (constraints.txt)

system-deps: ## install the system packages the tiers need (as root), or name the missing ones
	@bash scripts/system-deps.sh

lint: install ## ruff check and format check
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)

typecheck: install ## mypy --strict
	$(BIN)/mypy src tests bench

imports: install ## the import rules (import-linter contracts in pyproject.toml)
	$(BIN)/lint-imports

# e2e last: Playwright's sync API keeps an event loop running in the main thread until the session ends.
pytest: install ## every test tier, with a coverage figure
	$(BIN)/pytest $(COVERAGE) tests/unit tests/contract tests/integration tests/e2e

unit: install ## the unit tests
	$(BIN)/pytest -q tests/unit

bench: install ## the benchmarks, quick
	$(BIN)/python -m bench --quick

bench-full: install ## the benchmarks, full size
	$(BIN)/python -m bench --full

fuzz: install ## the 100,000-input parser fuzz run
	$(BIN)/python -m bench.fuzz_parsers --inputs 100000

schema: install ## regenerate docs/api/openapi.json and the package's JSON Schema
	$(BIN)/databrug openapi > docs/api/openapi.json
	$(BIN)/databrug schema > docs/schema/data-package-1.0.schema.json

clean: ## remove .venv and the tool caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage
