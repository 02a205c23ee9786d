# Two commands are the contract (README): `make demo` runs the product, `make test` runs every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test install system-deps lint typecheck imports pytest unit bench bench-full fuzz schema clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

demo: install
	$(BIN)/databrug demo

test: install system-deps lint typecheck imports pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy src

imports: install
	$(BIN)/lint-imports

# e2e last: Playwright's sync API keeps an event loop running in the main thread until the session ends.
pytest: install
	$(BIN)/pytest tests/unit tests/contract tests/integration tests/e2e

unit: install
	$(BIN)/pytest tests/unit

bench: install
	$(BIN)/python -m bench --quick

bench-full: install
	$(BIN)/python -m bench --full

fuzz: install
	$(BIN)/python -m bench.fuzz_parsers --inputs 100000

schema: install
	$(BIN)/databrug openapi > docs/api/openapi.json
	$(BIN)/databrug schema > docs/schema/data-package-1.0.schema.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
