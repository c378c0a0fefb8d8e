# Two entry points matter: `make run` (install + start the dashboard) and
# `make test` (install + lint + types + every test). Both install whatever is
# missing, so they work on a fresh clone of a fresh Debian machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: run demo test install system-deps vendor test-deps lab lint typecheck pytest reference lock clean

run: install
	$(BIN)/clausius setup --non-interactive
	$(BIN)/clausius serve

# The lab's two Slurm clusters with a realistic workload, on a fresh dashboard (needs root).
demo: install
	scripts/demo

test: install test-deps lint typecheck lab pytest

install: system-deps $(STAMP) vendor

system-deps:
	@scripts/install-system-deps

# Pinned browser assets (package-lock.json) into the git-ignored static/vendor/.
vendor: system-deps
	@scripts/install-vendor

test-deps:
	@scripts/install-system-deps --test

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

# The real Slurm lab (two clusters, accounting, SSH login nodes) needs root. In CI it is
# mandatory; elsewhere, without root, the lab tests skip with a note saying how to run them.
lab:
	@if [ "$$(id -u)" = 0 ]; then scripts/slurm-lab up; \
	elif [ -n "$$CI" ]; then echo "CI must run as root to bring up the Slurm lab" >&2; exit 1; \
	else echo "not root: the Slurm lab tests will be skipped (run 'make test' as root to include them)"; fi

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest $(PYTEST_ARGS)

# docs/reference.md is generated from the code (a test checks it is current).
reference: install
	$(BIN)/python -m clausius.reference > docs/reference.md

# Re-resolve the newest versions allowed by pyproject.toml and pin them.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	{ echo "# Pinned versions for reproducible installs: make install uses this as a pip constraints file."; \
	  echo "# Regenerate with: make lock"; .lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e'; } > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache node_modules src/clausius/web/static/vendor
