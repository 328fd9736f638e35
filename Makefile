# The two commands of the README (`make run`, `make test`) and the developer's (`make check`,
# `make bench`). Each sets up what it needs: the virtualenv, and the system services through
# scripts/setup-system (Debian packages, started when not running).

VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: run test check lint typecheck imports bench venv clean

$(STAMP): pyproject.toml scripts/setup-venv
	scripts/setup-venv
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	scripts/setup-system docker
	$(BIN)/colibri check --all

test: $(STAMP)
	scripts/setup-system test postgres
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

check: lint typecheck imports test

bench: $(STAMP)
	scripts/setup-system bench
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build *.egg-info
