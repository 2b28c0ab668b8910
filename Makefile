# Quick start: `make preview` (offline preview of dev) and `make test` (the whole suite).
# Both bootstrap .venv from pyproject.toml + constraints.txt on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.inferstack-installed

.PHONY: preview test lint bench demo clean-venv

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	$(BIN)/python -m pip check
	touch $(STAMP)

preview: $(STAMP)
	$(BIN)/inferstack preview --env dev

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/preview.py

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

clean-venv:
	rm -rf $(VENV)
