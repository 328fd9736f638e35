# The two commands of the README (`make run`, `make test`) and the developer's (`make check`,
# `make bench`). Each sets up what it needs: the virtualenv, and the system services through
# scripts/setup-system (Debian packages, started when not running).

VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: run test check lint typecheck imports bench bytecode venv clean image install

$(STAMP): pyproject.toml scripts/setup-venv
	scripts/setup-venv
	touch $(STAMP)

venv: $(STAMP)

# `colibri serve` on the embedded defaults: SQLite under COLIBRI_DATA_DIR (~/.local/share/colibri),
# the local Docker socket, the API on 127.0.0.1:8080. It prints the URL, and on first start the
# admin token (once). Ctrl-C stops it, letting running updates finish.
run: $(STAMP) bytecode
	scripts/setup-system docker
	$(BIN)/colibri serve

test: $(STAMP) bytecode
	scripts/setup-system test postgres
	$(BIN)/pytest $(PYTEST_ARGS)

# Byte-compile the package as installing a wheel does: with PYTHONDONTWRITEBYTECODE set (as on
# some CI machines) every `colibri` process the tests and benchmarks start would otherwise
# compile it again (about 0.1 s each, which no installed copy pays).
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q colibri

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

check: lint typecheck imports test

bench: $(STAMP) bytecode
	scripts/setup-system bench postgres
	BENCH_POSTGRES_URL=$${BENCH_POSTGRES_URL:-postgresql://colibri:colibri@127.0.0.1:5432/colibri_test} \
	$(BIN)/python -m bench

# Colibri's container image (IMAGE, default colibri:local) from Debian's and PyPI's packages
# only: a Debian 12 base made once with debootstrap, the wheels built here, deploy/Dockerfile.
IMAGE ?= colibri:local
image: $(STAMP)
	scripts/setup-system image
	scripts/build-image $(IMAGE)

# Colibri as a systemd service on this host: a virtualenv in /opt/colibri, the unit, and
# /etc/colibri/colibri.env (kept when present). PREFIX, BINDIR, UNITDIR, CONFDIR override.
install:
	scripts/setup-system install
	scripts/install

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build dist *.egg-info
