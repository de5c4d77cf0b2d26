# make test     create .venv if missing, install the project with its test extras, run the suite
# make demo     create .venv if missing, run the main job: train an MLP on the bundled digits
# make bench    the step and epoch benchmarks, with PyTorch as a reference when `make torch` could install it
# make torch    optional: PyTorch 2.13.0 (CPU) into .venv, only from a local wheel, never a download
# make release  instructors: the student notebooks of every assignment, from the masters (nbgrader)
# make lab      JupyterLab on the notebooks, with the project's environment
#
# The instructor's grading loop (A=ps1 by default; see README "Grading"):
# make ingest FROM=downloads.zip [ROSTER=roster.csv]   the students' notebooks into grading/submitted, sanitised
# make autograde [WORKERS=2]                           nbgrader autograde, WORKERS students at a time
# make report                                          grading/reports/$(A)/grades.csv and a summary
# make feedback                                        HTML feedback per student, checked for hidden tests
# make publish DEST=../course-public                   the student edition, checked for secrets

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo bench torch venv release lab clean ingest autograde report feedback publish bench-grading

A       ?= ps1
WORKERS ?= 2

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

ingest: $(STAMP)
	$(if $(FROM),,$(error give the downloads: make ingest FROM=path/to/folder-or.zip [ROSTER=roster.csv]))
	$(RUN) -m grading ingest $(A) "$(FROM)" $(if $(ROSTER),--roster "$(ROSTER)")

autograde: $(STAMP)
	$(RUN) -m grading autograde $(A) --workers $(WORKERS)

report: $(STAMP)
	$(RUN) -m grading report $(A)

feedback: $(STAMP)
	$(RUN) -m grading feedback $(A)

publish: $(STAMP) release
	$(if $(DEST),,$(error give the folder: make publish DEST=../course-public))
	$(RUN) -m grading publish "$(DEST)"

bench-grading: $(STAMP)
	$(RUN) benchmarks/bench_grading.py

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
