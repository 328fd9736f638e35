# The two commands of the README (`make run`, `make test`) and the developer's (`make check`,
# `make bench`). Each sets up what it needs: the virtualenv, and the system services through
# scripts/setup-system (Debian packages, started when not running).

VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: run test test-systemd check lint typecheck imports bench bytecode venv clean image install web web-test

# The web UI (web/, Vue + TypeScript) builds into the package (colibri/web_dist), so a wheel
# serves it without Node. It is rebuilt when its sources, its lock or the API change: the
# API's OpenAPI document is dumped first and the UI's types generated from it, so a UI that
# no longer matches the API fails `vue-tsc` here.
WEB_DIST    := colibri/web_dist/index.html
WEB_MODULES := web/node_modules/.package-lock.json
WEB_SOURCES := $(shell find web/src web/public web/tests -type f -not -name schema.d.ts 2>/dev/null) \
               web/index.html web/vite.config.ts web/package.json web/tsconfig.json web/tsconfig.app.json
API_SOURCES := $(shell find colibri/api colibri/domain -name '*.py' 2>/dev/null) colibri/config.py

$(WEB_MODULES): web/package.json web/package-lock.json
	scripts/setup-system node
	cd web && npm ci --no-audit --no-fund
	touch $(WEB_MODULES)

$(WEB_DIST): $(STAMP) $(WEB_MODULES) $(WEB_SOURCES) $(API_SOURCES) scripts/openapi-json
	$(BIN)/python scripts/openapi-json web/openapi.json
	cd web && npm run build

web: $(WEB_DIST)

# The UI's component tests (Vitest, in a simulated DOM).
web-test: $(WEB_MODULES) $(WEB_DIST)
	cd web && npm test

$(STAMP): pyproject.toml scripts/setup-venv
	scripts/setup-venv
	touch $(STAMP)

venv: $(STAMP)

# `colibri serve` on the embedded defaults: SQLite under COLIBRI_DATA_DIR (~/.local/share/colibri),
# the local Docker socket, the API on 127.0.0.1:8080. It prints the URL, and on first start the
# admin token (once). Ctrl-C stops it, letting running updates finish.
run: $(STAMP) bytecode $(WEB_DIST)
	scripts/setup-system docker
	$(BIN)/colibri serve

test: $(STAMP) bytecode web-test
	scripts/setup-system test postgres
	$(BIN)/pytest $(PYTEST_ARGS)

# The tests that need systemd as PID 1 (the unit path against the real systemd). They fail
# where systemd does not run, so the default run leaves them out.
test-systemd: $(STAMP)
	COLIBRI_TEST_SYSTEMD=1 $(BIN)/pytest -m systemd tests/integration/engine/test_systemd_units.py

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

bench: $(STAMP) bytecode $(WEB_DIST)
	scripts/setup-system bench postgres
	BENCH_POSTGRES_URL=$${BENCH_POSTGRES_URL:-postgresql://colibri:colibri@127.0.0.1:5432/colibri_test} \
	$(BIN)/python -m bench

# Colibri's container image (IMAGE, default colibri:local) from Debian's and PyPI's packages
# only: a Debian 12 base made once with debootstrap, the wheels built here, deploy/Dockerfile.
IMAGE ?= colibri:local
image: $(STAMP) $(WEB_DIST)
	scripts/setup-system image
	scripts/build-image $(IMAGE)

# Colibri as a systemd service on this host: a virtualenv in /opt/colibri, the unit, and
# /etc/colibri/colibri.env (kept when present). PREFIX, BINDIR, UNITDIR, CONFDIR override.
install:
	scripts/setup-system install
	scripts/install

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build dist *.egg-info colibri/web_dist \
	  web/node_modules
