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
export TU_MODEL_NAME ?= ticket_urgency
EXPERIMENT ?= $(TU_MODEL_NAME)
MODEL_URI ?= models:/$(TU_MODEL_NAME)@production

DEMO_DIR ?= .demo
DEMO_ROWS ?= 5000
DEMO_SEED ?= 42
DEMO_PORT ?= 8765
DEMO_DATA := $(DEMO_DIR)/tickets.csv
DATA ?= $(DEMO_DATA)
PYTEST_ARGS ?=
# The project's suite runs on TEST_WORKERS pytest-xdist workers, a test file per worker at a time
# (its module fixtures are built once); about half of a lone worker's time is spent waiting on
# servers and subprocesses. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
# Debian packages the tests use (validated, not run: there is no Docker engine here).
SYSTEM_TOOLS ?= docker-compose nginx chromium wrk

.PHONY: help install bqemulator-install system-deps demo data train tune status promote predict ui stack-up stack-down stack-status test test-project lint bench-cli-exit bench-predict bench-quality bench-train bench-stack lock clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

install: $(VENV)/.installed ## create .venv from requirements.lock; its activate script exports the project's store
	@# `source .venv/bin/activate` then points a hand `mlflow run` at the platform's store, not ./mlflow.db
	@sed -i '/# tu-tracking-store$$/d' $(VENV)/bin/activate
	@echo 'export MLFLOW_TRACKING_URI="$${MLFLOW_TRACKING_URI:-sqlite:///$(CURDIR)/.mlflow/mlflow.db}"  # tu-tracking-store' >> $(VENV)/bin/activate
	@mkdir -p -m 700 .mlflow

$(VENV)/.installed: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed: make PYTHON=/path/to/python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "installing $$(grep -c '^[A-Za-z0-9]' requirements.lock) packages from requirements.lock into $(VENV) (1-2 min the first time)"
	@$(BIN)/python -m pip install -r requirements.lock
	@$(BIN)/python -m pip install --quiet --no-deps -e .
	@echo "$(VENV) is ready: make targets use it; outside make, call its commands as $(VENV)/bin/registry-tools, $(VENV)/bin/ticket-urgency, ..."
	@touch $@

system-deps: ## install the Debian tools the tests use (SYSTEM_TOOLS: docker-compose nginx chromium wrk) when missing and root
	@missing=$$(for t in $(SYSTEM_TOOLS); do command -v $$t >/dev/null || echo $$t; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing $$missing (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "warning: missing $$missing; install it (e.g. sudo apt-get install $$missing), or the tests that need it will skip"; fi

demo: install ## the whole loop on the embedded default: data, train, gate, promote, serve, predict
	@$(BIN)/python -m contracts.ports 127.0.0.1 $(DEMO_PORT) --variable DEMO_PORT
	@mkdir -p .mlflow
	$(BIN)/python -m demo generate --rows $(DEMO_ROWS) --seed $(DEMO_SEED) --out $(DEMO_DATA) --snapshot
	ticket-urgency ensure-experiment --name $(EXPERIMENT)
	mlflow run mlflow_project -e train --env-manager local --experiment-name $(EXPERIMENT) \
	  -P data=$$(realpath $(DEMO_DATA)) -P experiment_name=$(EXPERIMENT)
	registry-tools promote --from challenger --reason "make demo" --if-pending
	registry-tools status
	@echo "--- predictions from $(MODEL_URI), loaded in a fresh process:"
	ticket-urgency predict --model-uri $(MODEL_URI)
	@echo "--- the same model served by gunicorn on 127.0.0.1:$(DEMO_PORT), asked over HTTP:"
	@mkdir -p .run/serving
	@MODEL_URI=$(MODEL_URI) PORT=$(DEMO_PORT) HOST=127.0.0.1 \
	  PREDICTION_LOG=$(abspath .run/serving/predictions)/ \
	  $(BIN)/gunicorn -c serving/gunicorn.conf.py > .run/serving/demo.log 2>&1 & server=$$!; \
	  trap 'kill $$server 2>/dev/null; wait $$server 2>/dev/null' EXIT; \
	  ticket-urgency predict --url http://127.0.0.1:$(DEMO_PORT) --wait 90 \
	  || { echo "the service failed; its log:"; tail -20 .run/serving/demo.log; exit 1; }
	@case "$(MLFLOW_TRACKING_URI)" in \
	  http*) echo "--- browse runs and versions: open $(MLFLOW_TRACKING_URI)";; \
	  *) echo "--- browse runs and versions: $(BIN)/mlflow ui --backend-store-uri $(MLFLOW_TRACKING_URI) --port 5000";; \
	esac

data: install ## a new synthetic snapshot .demo/tickets-seed<S>-rows<N>-<sha>.csv; DEMO_DATA (.demo/tickets.csv) links to it
	$(BIN)/python -m demo generate --rows $(DEMO_ROWS) --seed $(DEMO_SEED) --out $(DEMO_DATA) --snapshot

# Each MLproject parameter NAME of train/tune is the make variable of its upper-case name
# (C=0.5 TARGET_RECALL=0.9 ...), passed as -P NAME=value only when set: MLproject keeps the defaults.
TRAIN_PARAMETERS := stages features C max_features ngram_max char_ngram_max min_df class_weight \
  seed eval_fraction cv_folds target_recall max_reject_share
TUNE_PARAMETERS := features C eval_fraction cv_folds seed max_reject_share refit
upper = $(shell echo '$(1)' | tr a-z A-Z)
mlproject_overrides = $(strip $(foreach p,$(1),$(if $($(call upper,$(p))),-P $(p)=$($(call upper,$(p))))))
# A local DATA is passed resolved (a snapshot, not the .demo/tickets.csv link), so the run
# records the file it was trained on.
data_parameter = -P data=$(if $(findstring ://,$(DATA)),$(DATA),$$(realpath -m $(DATA)))

train: install ## train, register and gate on DATA=path-or-gs://-uri (C=, FEATURES=, TARGET_RECALL=, ... override MLproject)
	@mkdir -p .mlflow
	ticket-urgency ensure-experiment --name $(EXPERIMENT)
	mlflow run mlflow_project -e train --env-manager local --experiment-name $(EXPERIMENT) \
	  $(data_parameter) -P experiment_name=$(EXPERIMENT) \
	  $(call mlproject_overrides,$(TRAIN_PARAMETERS))

tune: install ## cross-validate FEATURES x C on DATA (nested runs); refit + gate the winner only if it beats the default by more than the noise
	@mkdir -p .mlflow
	ticket-urgency ensure-experiment --name $(EXPERIMENT)
	mlflow run mlflow_project -e tune --env-manager local --experiment-name $(EXPERIMENT) \
	  $(data_parameter) -P experiment_name=$(EXPERIMENT) \
	  $(call mlproject_overrides,$(TUNE_PARAMETERS))

status: install ## every registered version with aliases, verdict and lineage
	registry-tools status

promote: install ## point @production at the @challenger version (re-checks the gate)
	registry-tools promote --from challenger

predict: install ## print predictions of MODEL_URI on example tickets
	ticket-urgency predict --model-uri $(MODEL_URI)

# make ui PORT=5001 picks another port (PORT alone is make serve's, 8080, unless given here).
UI_PORT ?= $(if $(filter command line,$(origin PORT)),$(PORT),5000)

ui: install ## the MLflow UI on the current tracking store, http://127.0.0.1:5000 (PORT=...)
	@$(BIN)/python -m contracts.ports 127.0.0.1 $(UI_PORT) --variable PORT
	mlflow ui --backend-store-uri $(MLFLOW_TRACKING_URI) --host 127.0.0.1 --port $(UI_PORT)

stack-up: install ## start the GCS emulator and an MLflow server on PostgreSQL (loopback)
	local-stack up

stack-down: install ## stop what stack-up started (data is kept in .run/stack)
	local-stack down

stack-status: install ## what of the stack runs where
	local-stack status

test: install airflow-install bqemulator-install system-deps ## run every test: the project's suite and the DAG tests (Airflow's own environment) side by side
	$(MAKE) --no-print-directory -j2 --output-sync=target test-project airflow-test

test-project: install bqemulator-install system-deps ## the project's tests, without the DAG tests
	MAKEFLAGS= $(BIN)/python -m pytest --ignore=tests/airflow -n $(TEST_WORKERS) --dist loadfile --durations=25 $(PYTEST_ARGS)

# The BigQuery emulator needs protobuf<7, the project protobuf 7: it gets an environment of its own.
BQEMULATOR_VENV ?= .venv-bqemulator

bqemulator-install: $(BQEMULATOR_VENV)/.installed ## create .venv-bqemulator: the BigQuery emulator the tests use (no-op when up to date)

$(BQEMULATOR_VENV)/.installed: tests/bigquery_emulator_requirements.txt
	@test -x $(BQEMULATOR_VENV)/bin/python || $(PYTHON) -m venv $(BQEMULATOR_VENV)
	$(BQEMULATOR_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BQEMULATOR_VENV)/bin/python -m pip install --quiet -r tests/bigquery_emulator_requirements.txt
	@touch $@

lint: install ## ruff, mypy and the import layers (import-linter, [tool.importlinter] in pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/mypy
	PYTHONPATH=airflow/dags $(BIN)/lint-imports --no-cache

bench-cli-exit: install ## seconds a command takes to exit after its work: plain Python vs run_cli's frozen shutdown
	$(BIN)/python bench/cli_exit.py

bench-predict: install ## latency of one prediction: pyfunc vs the bare sklearn pipeline
	$(BIN)/python bench/predict_latency.py

bench-quality: install ## Endava 5-fold CV: old pipeline vs train's protocol (PR-AUC, incidents AUC, recall)
	$(BIN)/python bench/quality.py

bench-train: install ## training wall time on Endava (if present), 5k and 100k synthetic tickets
	$(BIN)/python bench/train_time.py

bench-stack: install ## stack-up cold/warm, the stack's memory, training on the stack vs embedded
	$(BIN)/python bench/stack.py

.PHONY: probe-dead-store
probe-dead-store: install ## seconds `registry-tools promote` takes to fail on a dead tracking server (PROBE_ARGS=--mlflow-defaults)
	$(BIN)/python bench/dead_store.py $(PROBE_ARGS)

# --- Airflow (its own environment: .venv-airflow, pinned by airflow/constraints.txt) ---------
AIRFLOW_VENV ?= .venv-airflow
AIRFLOW_BIN := $(abspath $(AIRFLOW_VENV))/bin
AIRFLOW_LOCAL := $(AIRFLOW_BIN)/python airflow/scripts/airflow_local.py

.PHONY: airflow-install airflow-up airflow-down airflow-status airflow-test airflow-lock

airflow-install: $(AIRFLOW_VENV)/.installed ## create .venv-airflow: Airflow 3.3 (no-op when up to date)

$(AIRFLOW_VENV)/.installed: airflow/requirements.txt airflow/constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed: make PYTHON=/path/to/python3.11")'
	@test -x $(AIRFLOW_BIN)/python || $(PYTHON) -m venv $(AIRFLOW_VENV)
	@$(AIRFLOW_BIN)/python -m pip install --quiet --upgrade pip
	@echo "installing $$(grep -c '^[A-Za-z0-9]' airflow/constraints.txt) packages pinned by airflow/constraints.txt into $(AIRFLOW_VENV) (~30 s the first time)"
	@$(AIRFLOW_BIN)/python -m pip install -r airflow/requirements.txt -c airflow/constraints.txt
	@touch $@

airflow-up: install airflow-install ## start Airflow on 127.0.0.1:8081 (prints the UI address and login)
	$(AIRFLOW_LOCAL) up

airflow-down: ## stop what airflow-up started (nothing else)
	@if [ -x $(AIRFLOW_BIN)/python ]; then $(AIRFLOW_LOCAL) down; fi

airflow-status: airflow-install ## Airflow's components: pid, memory, health
	$(AIRFLOW_LOCAL) status

airflow-test: install airflow-install ## the DAG tests, in Airflow's environment
	MAKEFLAGS= PROJECT_BIN=$(BIN) $(AIRFLOW_BIN)/python -m pytest tests/airflow $(PYTEST_ARGS)

airflow-lock: ## re-resolve airflow/constraints.txt from airflow/requirements.txt in a scratch venv
	rm -rf .run/airflow-lock-venv && $(PYTHON) -m venv .run/airflow-lock-venv
	.run/airflow-lock-venv/bin/python -m pip install --quiet --upgrade pip
	.run/airflow-lock-venv/bin/python -m pip install --quiet -r airflow/requirements.txt
	{ grep '^#' airflow/constraints.txt; .run/airflow-lock-venv/bin/python -m pip freeze | grep -v '^#'; } > airflow/constraints.txt.new
	mv airflow/constraints.txt.new airflow/constraints.txt
	rm -rf .run/airflow-lock-venv

# --- serving ------------------------------------------------------------------------------------
PORT ?= 8080
SERVE_HOST ?= 127.0.0.1

.PHONY: serve bench-serving bench-soak bake-model image

serve: install ## the prediction service on http://SERVE_HOST:PORT (127.0.0.1:8080), model MODEL_URI (serving/README.md)
	MODEL_URI=$(MODEL_URI) PORT=$(PORT) HOST=$(SERVE_HOST) PREDICTION_LOG=$(abspath .run/serving/predictions)/ \
	  $(BIN)/gunicorn -c serving/gunicorn.conf.py

bench-serving: install ## this service vs mlflow models serve: req/s, p50/p99, time to ready, RSS (needs wrk)
	$(BIN)/python bench/serving.py

bench-soak: install ## 60 s at concurrency 8 on gunicorn: requests, errors, p50/p99, RSS start/middle/end (needs wrk)
	$(BIN)/python bench/serving_soak.py $(SOAK_ARGS)

.PHONY: probe-connections

probe-connections: install ## worst /predict and /health latency with 0 and 2,000 idle connections held; exit 1 above 1 s
	$(BIN)/python bench/connection_probe.py $(PROBE_ARGS)

bake-model: install ## download MODEL_URI's version + registry.json into serving/model/ for the image
	find serving/model -mindepth 1 ! -name .gitkeep -delete
	$(BIN)/python -m serving.bake_model --model-uri $(MODEL_URI) --out serving/model

image: bake-model ## build the Cloud Run image with the baked model (needs a Docker engine)
	N=$$($(BIN)/python -c 'import json; print(json.load(open("serving/model/registry.json"))["version"])'); \
	docker build -f serving/Dockerfile --build-arg MODEL_VERSION=$$N -t ticket-urgency-serving:v$$N .

# --- monitoring: drift, prediction drift, delayed-label quality --------------------------------
MONITOR_LOGS ?= .run/serving/predictions
MONITOR_FEEDBACK ?=
MONITOR_EXPERIMENT ?= $(TU_MODEL_NAME)-monitoring
MONITOR_ARGS ?=
MONITOR_ROWS ?= 2000
DRIFT ?=

.PHONY: monitor monitor-run monitor-traffic bench-monitor bench-log-sources monitor-calibration

monitor: install ## drift + quality checks on MONITOR_LOGS (last 24 h); exit 10/11/12 = findings
	@mkdir -p .mlflow
	$(BIN)/python -m mlflow_project.monitoring --logs $(MONITOR_LOGS) --model-uri $(MODEL_URI) \
	  --experiment-name $(MONITOR_EXPERIMENT) $(if $(MONITOR_FEEDBACK),--feedback $(MONITOR_FEEDBACK)) \
	  $(MONITOR_ARGS)

monitor-run: install ## the same pass as an MLflow Project run (mlflow run -e monitor)
	@mkdir -p .mlflow
	ticket-urgency ensure-experiment --name $(MONITOR_EXPERIMENT)
	mlflow run mlflow_project -e monitor --env-manager local --experiment-name $(MONITOR_EXPERIMENT) \
	  -P logs=$(if $(findstring ://,$(MONITOR_LOGS)),$(MONITOR_LOGS),$(abspath $(MONITOR_LOGS))) \
	  -P model_uri=$(MODEL_URI) -P experiment_name=$(MONITOR_EXPERIMENT) \
	  -P out=$(abspath .run/monitoring)/mlflow-run-$$(date -u +%Y%m%dT%H%M%SZ) \
	  $(if $(MONITOR_FEEDBACK),-P feedback=$(abspath $(MONITOR_FEEDBACK)))

monitor-traffic: install ## simulate a day of MODEL_URI traffic into MONITOR_LOGS (DRIFT="--source-shift 0.5")
	$(BIN)/python -m demo.traffic --model-uri $(MODEL_URI) --rows $(MONITOR_ROWS) \
	  --out $(MONITOR_LOGS)/simulated-$$(date -u +%Y%m%dT%H%M%SZ).jsonl \
	  --feedback .run/monitoring-feedback.csv $(DRIFT)

bench-monitor: install ## monitoring run time: 100k logged predictions against a 50k-row reference
	$(BIN)/python bench/monitor_speed.py

BIGQUERY_ROWS ?= 100000

bench-log-sources: install bqemulator-install ## one day of logs (ROWS, 1M) per source: rows/s and peak RSS vs the JSONL path
	$(BIN)/python bench/log_sources.py --rows $(ROWS) --bigquery-rows $(BIGQUERY_ROWS)

monitor-calibration: install ## false-alarm rate and detection power of the drift checks (~2-3 min idle)
	$(BIN)/python bench/monitor_calibration.py

# --- deployment (Cloud Build -> Artifact Registry -> Cloud Run) and A/B tests -------------------
TRAFFIC ?= all
MODEL_ALIAS ?= production
MODEL_VERSION ?=
GIT_SHA ?=
BRANCH ?=
DRY_RUN ?=
PERCENT ?= 10
REASON ?=

.PHONY: deploy deploy-telemetry ab-local-up ab-local-down ab-start ab-status ab-promote ab-abort ab-rollback

# make deploy's stdout is the build's (with DRY_RUN=1 exactly what deploy.cloudbuild prints);
# its telemetry step reports on stderr.
deploy: install ## deploy-telemetry, then build, push, deploy MODEL_ALIAS/MODEL_VERSION with TRAFFIC via Cloud Build (DRY_RUN=1 prints)
	$(BIN)/python -m deploy.cloudrun.infra --only telemetry $(if $(filter 1 yes true,$(DRY_RUN)),--dry-run) >&2
	$(BIN)/python -m deploy.cloudbuild --traffic $(TRAFFIC) \
	  $(if $(MODEL_VERSION),--model-version $(MODEL_VERSION),--model-alias $(MODEL_ALIAS)) \
	  $(if $(GIT_SHA),--git-sha $(GIT_SHA)) $(if $(BRANCH),--branch $(BRANCH)) \
	  $(if $(filter 1 yes true,$(DRY_RUN)),--dry-run)

deploy-telemetry: install ## prediction records to BigQuery, log-based metrics, descriptors, alert policies, dashboard: create what is missing, update what differs (DRY_RUN=1 prints every request)
	$(BIN)/python -m deploy.cloudrun.infra --only telemetry $(if $(filter 1 yes true,$(DRY_RUN)),--dry-run)

.PHONY: deploy-infra
deploy-infra: install ## telemetry and the MLflow tracking server (Cloud Run + Cloud SQL + bucket + secrets, IAM-only) as code (DRY_RUN=1 prints every request)
	$(BIN)/python -m deploy.cloudrun.infra $(if $(filter 1 yes true,$(DRY_RUN)),--dry-run)

ab-local-up: install ## A/B rehearsal: @production behind nginx on 127.0.0.1:8090 (AB_PROXY_PORT)
	registry-tools ab up

ab-local-down: install ## stop the A/B rehearsal (state and prediction logs stay in .run/ab)
	registry-tools ab down

ab-start: install ## A/B test MODEL_VERSION with PERCENT of traffic (AB_TARGET=local|cloudrun)
	registry-tools ab start --version $(MODEL_VERSION) --percent $(PERCENT) --reason "$(REASON)"

ab-status: install ## traffic, tags and per-variant figures of the A/B test (FEEDBACK=labels.csv)
	registry-tools ab status $(if $(FEEDBACK),--feedback $(FEEDBACK))

ab-promote: install ## the challenger becomes @production (gate) and gets all traffic
	registry-tools ab promote --reason "$(REASON)"

ab-abort: install ## end the A/B test: all traffic back to production
	registry-tools ab abort --reason "$(REASON)"

ab-rollback: install ## all traffic and @production back to the previous version (REASON=...)
	registry-tools ab rollback --reason "$(REASON)"

REHEARSAL_ARGS ?=

.PHONY: rollout-rehearsal rollout

rollout-rehearsal: install ## make deploy's rollout on the local A/B stack: a healthy version to 100 %, a broken one rolled back (REHEARSAL_ARGS)
	@$(MAKE) --no-print-directory system-deps SYSTEM_TOOLS=nginx
	$(BIN)/python -m deploy.rollout.rehearsal $(REHEARSAL_ARGS)

rollout: install ## roll MODEL_VERSION out in watched steps (AB_TARGET=local|cloudrun; ROLLOUT_*; DRY_RUN=1 prints)
	$(BIN)/python -m deploy.rollout --version $(MODEL_VERSION) $(if $(filter 1 yes true,$(DRY_RUN)),--dry-run)

# --- batch scoring (mlflow_project/batch) -------------------------------------------------------
INPUT ?= $(DEMO_DATA)
OUTPUT ?= $(DEMO_DIR)/predictions.parquet
BATCH_ENGINE ?= in-process
BATCH_EXPERIMENT ?= $(TU_MODEL_NAME)-batch
ROWS ?= 200050
BROKEN ?= 50
REPEATS ?= 2

.PHONY: batch-predict bench-batch deploy-batch

# One process: the job ensures the experiment and records its run itself (`mlflow run -e
# batch_predict` works too, at the cost of two more Python start-ups).
batch-predict: install ## score INPUT (CSV/Parquet, path or gs://) with MODEL_URI into OUTPUT (+ .rejects.csv); one MLflow run in BATCH_EXPERIMENT
	@mkdir -p .mlflow
	$(BIN)/python -m mlflow_project.batch --experiment-name $(BATCH_EXPERIMENT) \
	  --input $(if $(findstring ://,$(INPUT)),$(INPUT),$(abspath $(INPUT))) \
	  --output $(if $(findstring ://,$(OUTPUT)),$(OUTPUT),$(abspath $(OUTPUT))) \
	  --model-uri $(MODEL_URI) --engine $(BATCH_ENGINE)

bench-batch: install ## `make batch-predict` vs the plain pyfunc way on ROWS (200050, BROKEN=50): wall, CPU, peak RSS, ratios (a few minutes)
	ROWS=$(ROWS) BROKEN=$(BROKEN) REPEATS=$(REPEATS) $(BIN)/python bench/batch_speed.py

deploy-batch: install ## build the batch image (tagged GIT_SHA, default HEAD) and apply the Cloud Run Job by digest (DRY_RUN=1 prints every command)
	$(BIN)/python -m deploy.cloudrun.batch_job $(if $(GIT_SHA),--git-sha $(GIT_SHA)) \
	  $(if $(filter 1 yes true,$(DRY_RUN)),--dry-run)

lock: ## re-resolve requirements.lock from pyproject.toml in a scratch venv
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e ".[dev]"
	{ echo "# Exact, tested dependency set for Python 3.11 (make install uses it; regenerate with make lock)."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^#'; } > requirements.lock
	rm -rf .lock-venv

clean: ## remove the environments and all local state; run stack-down, airflow-down first
	rm -rf $(VENV) $(AIRFLOW_VENV) $(BQEMULATOR_VENV) .mlflow .demo .run .pytest_cache .mypy_cache .ruff_cache
