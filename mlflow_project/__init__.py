"""The ticket urgency MLflow Project (`MLproject`) and the model's code behind its entry points.

One subpackage per stage of the model's life: `data` (contract, reading, validation), `model`
(features, scorer, decision rule, pyfunc), `training` (fit, cross-validated threshold, tune),
`evaluation` (metrics, evaluation partition, bootstrap), `registry` (gate, lock, audit, alias
moves), `monitoring` (drift, quality on delayed labels, report) and `batch` (batch scoring).
`runs` picks the MLflow run an entry point logs to; `tracking_store` the store a command uses.
"""
