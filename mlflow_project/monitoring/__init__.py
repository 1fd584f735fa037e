"""Monitoring of the served model: input drift, prediction drift and delayed-label quality over a
window of prediction logs, with an HTML report, a JSON summary and MLflow metrics.

Modules, each with one job: `logs` (read the window), `reference` and `watched_model` (what to
compare with), `text` and `baseline` (the reference side of every check), `engines` (the
statistical tests behind one interface), `checks`, `quality`, `volume` (the findings), `result`
and `summary` (status and JSON), `plots` and `report` (HTML), `tracking` (MLflow), `job` (one
run), `config`, `settings`, `errors` and `cli` (options, environment, exit codes), `simulate`
(prediction logs without a server, for demos, tests and benchmarks).
"""
