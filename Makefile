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

.PHONY: demo test lint format bench clean simulation

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
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks

# The optional rights estimate (lead page): OpenFisca-France in its own venv,
# because it pins old versions (openfisca-core < 45, numpy < 2.4) that must not
# constrain ours. AGPL, like Maraude. Takes ~20 s with a warm pip cache.
OPENFISCA_VENV ?= .venv-openfisca
OPENFISCA_FRANCE ?= openfisca-france==176.1.8

$(OPENFISCA_VENV)/.installed:
	$(PYTHON) -m venv $(OPENFISCA_VENV)
	$(OPENFISCA_VENV)/bin/python -m pip install $(PIP_FLAGS) "$(OPENFISCA_FRANCE)"
	touch $@

simulation: $(OPENFISCA_VENV)/.installed
	@echo "OpenFisca-France is installed. To turn the estimate on, put in your config:"
	@echo "  [simulation]"
	@echo '  python = "$(OPENFISCA_VENV)/bin/python"'

clean:
	rm -rf $(VENV) $(OPENFISCA_VENV) .pytest_cache .ruff_cache .mypy_cache maraude-demo.db*
