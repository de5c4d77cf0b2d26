# make test     create .venv if missing, install the project with its test extras, run the suite
# make demo     create .venv if missing, run the main job: train an MLP on the bundled digits
# make bench    the step and epoch benchmarks, with PyTorch as a reference when `make torch` could install it
# make torch    optional: PyTorch 2.13.0 (CPU) into .venv, only from a local wheel, never a download
# make release  instructors: the student notebooks of every assignment, from the masters (nbgrader)
# make lab      JupyterLab on the notebooks, with the project's environment

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo bench torch venv release lab clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --editable ".[dev]"
	@touch $(STAMP)

# the environment's bin/ first on PATH: notebook kernels and nbgrader's tools come from there
ENV := PATH="$(abspath $(BIN)):$$PATH"
RUN := $(ENV) $(BIN)/python

test: $(STAMP)
	$(RUN) -m pytest

demo: $(STAMP)
	$(RUN) -m framework train

bench: $(STAMP) torch
	$(RUN) benchmarks/bench_step.py
	$(RUN) benchmarks/bench_epoch.py

release: $(STAMP)
	$(RUN) -m grading release all

lab: $(STAMP)
	$(ENV) $(BIN)/jupyter lab notebooks/

# PyTorch is a reference for cross-checks and benchmarks, never a requirement: install it
# only when the machine has the local CPU wheel (a plain download would be a multi-GB GPU build).
TORCH_WHEEL := $(firstword $(wildcard $(PIP_FIND_LINKS)/torch-2.13.0+cpu-*.whl /opt/wheels/torch-2.13.0+cpu-*.whl))
torch: $(STAMP)
ifneq ($(TORCH_WHEEL),)
	@$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet "$(TORCH_WHEEL)" \
		|| echo "PyTorch not installed: its cross-checks will be skipped"
else
	@echo "no local PyTorch CPU wheel: PyTorch cross-checks and benchmark column skipped"
endif

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
