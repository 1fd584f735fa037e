# The commands people type. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)

# Embedded default: a SQLite store and local artifacts under .mlflow/ (gitignored).
# Point MLFLOW_TRACKING_URI at a tracking server to use the real stack instead.
MLFLOW_TRACKING_URI ?= sqlite:///$(CURDIR)/.mlflow/mlflow.db
export MLFLOW_TRACKING_URI
export MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR ?= false
EXPERIMENT ?= ticket_urgency
MODEL_URI ?= models:/ticket_urgency@production

DEMO_DIR ?= .demo
DEMO_ROWS ?= 5000
DEMO_SEED ?= 42
DEMO_DATA := $(DEMO_DIR)/tickets.csv
DATA ?= $(DEMO_DATA)
PYTEST_ARGS ?=
# Debian packages the tests use (validated, not run: there is no Docker engine here).
SYSTEM_TOOLS ?= docker-compose

.PHONY: help install system-deps demo data train status promote predict ui stack-up stack-down stack-status test lint bench-predict bench-train bench-stack lock clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: $(VENV)/.installed ## create .venv from requirements.lock (no-op when up to date)

$(VENV)/.installed: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed: make PYTHON=/path/to/python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

system-deps: ## install the Debian tools the tests use ($(SYSTEM_TOOLS)) when missing and root
	@missing=$$(for t in $(SYSTEM_TOOLS); do command -v $$t >/dev/null || echo $$t; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing $$missing (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "warning: missing $$missing; install it (e.g. sudo apt-get install $$missing), or the tests that need it will skip"; fi

demo: install ## the whole loop on the embedded default: data, train, gate, promote, predict
	@mkdir -p .mlflow
	ticket-urgency generate --rows $(DEMO_ROWS) --seed $(DEMO_SEED) --out $(DEMO_DATA)
	ticket-urgency ensure-experiment --name $(EXPERIMENT)
	mlflow run mlflow_project -e train --env-manager local --experiment-name $(EXPERIMENT) \
	  -P data=$(abspath $(DEMO_DATA)) -P experiment_name=$(EXPERIMENT)
	registry-tools promote --from challenger --reason "make demo" --if-pending
	registry-tools status
	@echo "--- predictions from $(MODEL_URI), loaded in a fresh process:"
	ticket-urgency predict --model-uri $(MODEL_URI)
	@case "$(MLFLOW_TRACKING_URI)" in \
	  http*) echo "--- browse runs and versions: open $(MLFLOW_TRACKING_URI)";; \
	  *) echo "--- browse runs and versions: $(BIN)/mlflow ui --backend-store-uri $(MLFLOW_TRACKING_URI) --port 5000";; \
	esac

data: install ## generate synthetic tickets into $(DEMO_DATA)
	ticket-urgency generate --rows $(DEMO_ROWS) --seed $(DEMO_SEED) --out $(DEMO_DATA)

train: install ## train, register and gate on DATA=path-or-gs://-uri
	@mkdir -p .mlflow
	ticket-urgency ensure-experiment --name $(EXPERIMENT)
	mlflow run mlflow_project -e train --env-manager local --experiment-name $(EXPERIMENT) \
	  -P data=$(if $(findstring ://,$(DATA)),$(DATA),$(abspath $(DATA))) -P experiment_name=$(EXPERIMENT)

status: install ## every registered version with aliases, verdict and lineage
	registry-tools status

promote: install ## move @production to @challenger (re-checks the gate)
	registry-tools promote --from challenger

predict: install ## print predictions of MODEL_URI on example tickets
	ticket-urgency predict --model-uri $(MODEL_URI)

ui: install ## the MLflow UI on the current tracking store
	mlflow ui --backend-store-uri $(MLFLOW_TRACKING_URI) --host 127.0.0.1 --port 5000

stack-up: install ## start the GCS emulator and an MLflow server on PostgreSQL (loopback)
	local-stack up

stack-down: install ## stop what stack-up started (data is kept in .run/stack)
	local-stack down

stack-status: install ## what of the stack runs where
	local-stack status

test: install system-deps ## run every test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/mypy

bench-predict: install ## latency of one prediction: pyfunc vs the bare sklearn pipeline
	$(BIN)/python bench/predict_latency.py

bench-train: install ## training wall time on Endava (if present), 5k and 100k synthetic tickets
	$(BIN)/python bench/train_time.py

bench-stack: install ## stack-up cold/warm, the stack's memory, training on the stack vs embedded
	$(BIN)/python bench/stack.py

lock: ## re-resolve requirements.lock from pyproject.toml in a scratch venv
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e ".[dev]"
	{ echo "# Exact, tested dependency set for Python 3.11 (make install uses it; regenerate with make lock)."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^#'; } > requirements.lock
	rm -rf .lock-venv

clean: ## remove the environment and all local state (.mlflow, .demo, .run); stack-down first
	rm -rf $(VENV) .mlflow .demo .run .pytest_cache .mypy_cache .ruff_cache
