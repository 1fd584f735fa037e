"""The gate's verdict on the version trained from a given data snapshot."""

from __future__ import annotations

from typing import Any

from mlflow import MlflowClient

from mlflow_project.registry import naming


def verdict_for_data(client: MlflowClient, name: str, data_sha256: str) -> dict[str, Any] | None:
    """Newest version of `name` trained on data with this SHA-256, with its verdict; else None.

    Pipelines use it after training: a re-run on the same snapshot registers nothing new, and this
    still finds the version that snapshot produced.
    """
    found = client.search_model_versions(
        f"name = '{name}' and tags.{naming.TAG_DATA_SHA256} = '{data_sha256}'")
    if not found:
        return None
    newest = max(found, key=lambda v: int(v.version))
    aliases = client.get_registered_model(name).aliases
    return {
        "name": name,
        "version": str(newest.version),
        "run_id": newest.run_id,
        "validation_status": newest.tags.get(naming.TAG_VALIDATION_STATUS, "not validated"),
        "validation_reason": newest.tags.get(naming.TAG_VALIDATION_REASON, ""),
        "aliases": sorted(a for a, v in aliases.items() if str(v) == str(newest.version)),
    }
