# Quick start: `make preview` (offline preview of dev) and `make test` (the whole suite).
# Both bootstrap .venv from pyproject.toml + constraints.txt on first use.
# inferstack supports Python 3.11 only (pyproject.toml requires-python; the pins in constraints.txt are
# tested there). The bootstrap uses python3.11 from PATH, else python3 when that IS 3.11, else stops with a
# message saying how to get one; `make PYTHON=/path/to/python3.11 test` picks one explicitly.
PY311  := $(shell command -v python3.11 2>/dev/null || { command -v python3 >/dev/null 2>&1 && \
            python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null && command -v python3; })
PYTHON ?= $(PY311)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.inferstack-installed

.PHONY: preview test lint bench demo clean-venv check-python

check-python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: inferstack needs Python 3.11, and neither python3.11 nor python3 on PATH is 3.11"; \
	  echo "  (python3 here is: $$(python3 --version 2>&1 || echo 'not installed'))"; \
	  echo "  get one, then run make again:"; \
	  echo '    uv:      uv python install 3.11 && make PYTHON="$$(uv python find 3.11)" test'; \
	  echo '    pyenv:   pyenv install 3.11 && make PYTHON="$$(pyenv root)/versions/3.11.<patch>/bin/python" test'; \
	  echo "    Debian/Ubuntu: sudo apt-get install python3.11 python3.11-venv"; \
	  echo "    macOS (Homebrew): brew install python@3.11"; \
	  exit 2; \
	fi
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { \
	  echo "error: PYTHON=$(PYTHON) is $$($(PYTHON) --version 2>&1); inferstack needs Python 3.11"; exit 2; }

$(STAMP): pyproject.toml constraints.txt | check-python
	@echo "bootstrapping $(VENV) with $$($(PYTHON) --version) from $(PYTHON)"
	@echo "first run: pip downloads about 1 GB of wheels (pulumi providers, onnxruntime, ...); this takes minutes"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar on -c constraints.txt -e '.[dev]'
	$(BIN)/python -m pip check
	@# byte-compile the checkout as pip does an installed wheel: the first command starts as fast as later ones
	$(BIN)/python -m compileall -q inferstack components policies stacks
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
	$(BIN)/python benchmarks/startup.py

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

clean-venv:
	rm -rf $(VENV)
