# make test   create .venv if missing, install the project with its test extras, run the suite
# make demo   create .venv if missing, run the main job (an MLP: build, gradient-check, train)
# make bench  the training-step benchmark (add PyTorch with: .venv/bin/pip install torch==2.13.0)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo bench venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --editable ".[dev]"
	@touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/python -m framework demo

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_step.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
