# Two commands on a fresh machine: `make demo` and `make test`.
# The virtual environment is installed from the lock file (requirements/dev.lock: every package of the project
# and its `dev` extra, pinned with hashes), so that a fresh clone gets the versions the tests passed with.
# `make lock` regenerates the lock files after a change to the dependencies in pyproject.toml.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
LOCK := requirements/dev.lock
BENCH_LOCK := requirements/bench.lock
# The locking tool, in a virtual environment of its own (never in $(VENV): it is not a dependency).
LOCK_TOOLS ?= .venv-lock
UV_VERSION := 0.13.9
# Extra arguments for `uv pip compile`, e.g. `make lock LOCK_ARGS=--upgrade` (newest versions of everything)
# or `make lock LOCK_ARGS='--upgrade-package pandas'`. Without them the pins already in the lock are kept.
LOCK_ARGS ?=
COMPILE = $(LOCK_TOOLS)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command 'make lock' --quiet $(LOCK_ARGS)

.PHONY: install install-bench lock demo test lint bench screenshots clean

install: $(STAMP)

# Re-install whenever the lock or the project's metadata changes: first the locked packages (pip checks every
# hash and installs nothing that is not pinned), then the project itself without its dependencies.
$(STAMP): $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# The `bench` extra (statsforecast, pyworkforce), for the benchmarks' comparisons: requirements/bench.lock is the
# dev lock plus those packages, resolved with the dev lock as constraints, so no core version moves.
install-bench: $(BENCH_STAMP)

$(BENCH_STAMP): $(BENCH_LOCK) $(STAMP)
	$(BIN)/python -m pip install --quiet -r $(BENCH_LOCK)
	touch $(BENCH_STAMP)

$(LOCK_TOOLS)/bin/uv:
	$(PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/python -m pip install --quiet uv==$(UV_VERSION)

# Regenerate both lock files from pyproject.toml (Linux, macOS and Windows, Python 3.11 and newer).
lock: $(LOCK_TOOLS)/bin/uv
	$(COMPILE) --extra dev -o $(LOCK)
	$(COMPILE) --extra dev --extra bench --constraint $(LOCK) -o $(BENCH_LOCK)

demo: $(STAMP)
	$(BIN)/wfm demo --out demo-out

# The suite on TEST_WORKERS processes (pytest-xdist); `make test TEST_WORKERS=0`: one process. Each test file runs
# whole on one worker (--dist loadfile), so its module-scoped fixtures (a PostgreSQL server, a web service, a Dask
# cluster) start once; files go out in the order tests/conftest.py gives them, the slowest first, not xdist's (the
# most tests first: --no-loadscope-reorder). Not in pyproject.toml's addopts: `pytest -p no:xdist` must still run.
TEST_WORKERS ?= 2
TEST_XDIST = -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

test: $(STAMP)
	$(BIN)/python -m pytest $(TEST_XDIST)

# Pictures of every page (docs/screenshots/*.png, shown in the README): the browser tests, each saving the pages
# it reaches in headless Chromium at 1280x800.
screenshots: $(STAMP)
	WFM_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -m browser -p no:xdist -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m benchmarks.generate

clean:
	rm -rf $(VENV) $(LOCK_TOOLS) demo-out .pytest_cache .mypy_cache .ruff_cache .hypothesis
