# portfolio workbook: `make app` and `make test` are all a new machine needs.
# The first target run creates .venv and installs the project into it.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8866
NOTEBOOK ?= notebooks/app.ipynb
# Uploads travel over the kernel websocket: allow messages above the app's 50 MB limit.
WS_MAX_BYTES ?= 104857600
# A closed or reloaded page frees its kernel: kernels with no open page are shut down after
# CULL_IDLE seconds without activity (an open page keeps its kernel, however idle).
CULL_IDLE ?= 60
CONFIG ?=
PYTEST_ARGS ?=

.PHONY: app report bench-report test bench bench-ingest lint format lab sample install clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "portfolio workbook needs Python 3.10 or newer; set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,bench,postgres,spark]"
	@touch $@

install: $(STAMP)  ## create .venv and install the project

app: $(STAMP)  ## serve the workbook with Voila on http://$(HOST):$(PORT)/
	@echo "Portfolio workbook: open http://$(HOST):$(PORT)/ in your browser (Ctrl+C to stop)."
	$(BIN)/voila $(NOTEBOOK) --no-browser --Voila.ip=$(HOST) --port=$(PORT) \
		--MappingKernelManager.cull_idle_timeout=$(CULL_IDLE) \
		--MappingKernelManager.cull_interval=15 --MappingKernelManager.cull_connected=False \
		--MappingKernelManager.cull_busy=True \
		--Voila.tornado_settings="{'websocket_max_message_size': $(WS_MAX_BYTES)}"

report: $(STAMP)  ## summary, pages, PDF and slides in reports/<date>/ (CONFIG=params.yaml; PDF needs chromium)
	$(BIN)/portfolio-report $(if $(CONFIG),--config $(CONFIG),)

bench-report: $(STAMP)  ## time and memory of a whole report: sample, 1M and 5M-line French CSV
	$(BIN)/python benchmarks/bench_report.py

test: $(STAMP)  ## run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)  ## speed and memory against lifetimes, on generated logs
	$(BIN)/python benchmarks/run.py

bench-ingest: $(STAMP)  ## loading a 1M-line French CSV export (SIZES="1m 20m" for more)
	$(BIN)/python benchmarks/ingest.py --sizes $(or $(SIZES),1m)

lint: $(STAMP)  ## ruff checks and formatting check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lab: $(STAMP)  ## open the notebooks in JupyterLab
	$(BIN)/jupyter lab --notebook-dir=notebooks --ServerApp.ip=$(HOST) $(if $(filter 0,$(shell id -u)),--allow-root,)

sample: $(STAMP)  ## regenerate data/sample from the seeded generator
	$(BIN)/portfolio-sample

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info
