"""Every custom metric type and label key the jobs write, spelt once.

All are GAUGE metrics under `custom.googleapis.com/ticket_urgency/`, written once per job run on
the `global` monitored resource; their descriptors (kind, value type, labels, unit) are the files
in `deploy/cloudrun/telemetry/definitions/descriptors/`, and a test checks that every point the
jobs build matches one of them.
"""

from __future__ import annotations

PREFIX = "custom.googleapis.com/ticket_urgency"
RESOURCE_TYPE = "global"

DRIFT_P_VALUE = f"{PREFIX}/monitoring/drift_p_value"
DRIFT_STATISTIC = f"{PREFIX}/monitoring/drift_statistic"
DRIFT_VERDICT = f"{PREFIX}/monitoring/drift_verdict"
URGENT_RATE = f"{PREFIX}/monitoring/urgent_rate"
ROWS_WATCHED = f"{PREFIX}/monitoring/rows_watched"
QUALITY_RECALL = f"{PREFIX}/monitoring/quality_recall"
QUALITY_PRECISION = f"{PREFIX}/monitoring/quality_precision"
TRAINING_COMPLETED = f"{PREFIX}/training/completed"

MODEL_NAME = "model_name"
MODEL_VERSION = "model_version"
FEATURE = "feature"
ENGINE = "engine"
