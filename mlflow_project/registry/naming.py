"""Names shared by everything that reads or writes the registry: aliases and tag keys."""

from __future__ import annotations

from contracts.model_uri import CHALLENGER, PRODUCTION

__all__ = ["CHALLENGER", "PRODUCTION"]  # the alias names, defined once in contracts.model_uri

# Lineage, set on the training run; the version keeps those in VERSION_LINEAGE_TAGS (what a
# person filters on), the rest goes to the run's lineage.json (`registry.version_record`).
TAG_GIT_COMMIT = "git_commit"
TAG_DATA_URI = "data_uri"
TAG_DATA_SHA256 = "data_sha256"
TAG_CODE_SHA256 = "code_sha256"
TAG_FINGERPRINT = "fingerprint"
TAG_THRESHOLD = "threshold"
TAG_EVALUATION_RULE = "evaluation_rule"
VERSION_LINEAGE_TAGS = (TAG_GIT_COMMIT, TAG_DATA_URI, TAG_DATA_SHA256, TAG_FINGERPRINT)
# Evaluation metrics a version is tagged with (`metric.<name>`); all of them are in lineage.json.
VERSION_METRICS = ("roc_auc", "pr_auc")

# Training's progress on the version it registered: set to REGISTERING with the version, to
# COMPLETE once the gate's verdict is recorded and a passing version nominated. A version still
# REGISTERING belongs to a training that was interrupted (or is still running): it never counts
# as the result of its inputs (`store.version_with_fingerprint`). Versions older than this tag
# carry none and count as complete.
TAG_TRAINING_STATUS = "training_status"
TRAINING_REGISTERING = "registering"
TRAINING_COMPLETE = "complete"

# The gate's verdict.
TAG_VALIDATION_STATUS = "validation_status"
TAG_VALIDATION_REASON = "validation_reason"
TAG_GATE_BASELINE_VERSION = "gate_baseline_version"
STATUS_PASSED = "passed"
STATUS_FAILED = "failed"


def metric_tag(metric: str) -> str:
    """Tag key holding an evaluation metric on a model version (e.g. `metric.roc_auc`)."""
    return f"metric.{metric}"

