"""Everything about a model version a person does not filter on, in one JSON artifact.

A version keeps about ten tags (`registry.naming`: lineage hashes, threshold, headline metrics,
training and gate status); the rest — every evaluation metric, the full lineage, the gate's
figures — goes to `lineage.json` in the run that registered the version, one section per writer
(`lineage`, `training`, `gate`), each rewritten in place.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

ARTIFACT = "lineage.json"


def read_record(client: MlflowClient, run_id: str) -> dict[str, Any]:
    """The run's `lineage.json` ({} when it has none yet)."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = client.download_artifacts(run_id, ARTIFACT, tmp)
        except (MlflowException, OSError):  # not written yet
            return {}
        return dict(json.loads(Path(path).read_text()))


def write_sections(client: MlflowClient, run_id: str,
                   sections: dict[str, dict[str, Any]]) -> None:
    """Set sections of the run's `lineage.json`, keeping the others."""
    client.log_dict(run_id, {**read_record(client, run_id), **sections}, ARTIFACT)
