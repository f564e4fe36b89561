# The README's two commands:
#   make demo   creates .venv, installs Maraude, runs `maraude demo`
#   make test   creates .venv, installs Maraude with [test], runs the checks
# Torch: the CPU build is installed first and pinned, so pip never picks a
# multi-GB CUDA build. Override with e.g. `make test TORCH=torch==2.9.1`.

PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
PIP_FLAGS ?= --quiet --disable-pip-version-check
DEMO_FLAGS ?=

.PHONY: demo test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install $(PIP_FLAGS) --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(PIP) install $(PIP_FLAGS) "$(TORCH)"
	$(PIP) install $(PIP_FLAGS) -c requirements.lock -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install $(PIP_FLAGS) -c requirements.lock -e ".[test]"
	touch $@

demo: $(VENV)/.installed
	$(BIN)/maraude demo $(DEMO_FLAGS)

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache maraude-demo.db*
