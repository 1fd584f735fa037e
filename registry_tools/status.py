"""A readable view of the registry: every version with aliases, verdict, metrics and lineage.

`training` is `complete` once the training that registered a version finished with it, and stays
`registering` on a version whose training was killed before that (it is never anyone's result:
see `mlflow_project.registry.store.version_with_fingerprint`); `-` on versions older than the tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion

from mlflow_project.registry import audit, naming

COLUMNS = ("version", "aliases", "validation", "training", "roc_auc", "pr_auc", "created", "git",
           "data", "promoted_by")


def version_rows(client: MlflowClient, name: str) -> list[dict[str, Any]]:
    """One dict per version of `name`, newest first."""
    versions = client.search_model_versions(f"name = '{name}'")
    model = client.get_registered_model(name) if versions else None
    aliases: dict[str, list[str]] = {}
    for alias, version in (model.aliases if model else {}).items():
        aliases.setdefault(str(version), []).append(alias)
    history = audit.entries(client, name) if versions else []
    return [_row(v, aliases.get(str(v.version), []),
                 audit.latest_move_onto(history, naming.PRODUCTION, str(v.version)))
            for v in sorted(versions, key=lambda v: -int(v.version))]


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """Fixed-width text table of `version_rows` output."""
    cells = [[str(row.get(c, "")) for c in COLUMNS] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def _row(version: ModelVersion, aliases: list[str],
         promotion: audit.AuditEntry | None) -> dict[str, Any]:
    """A version's row; who put it in production, when and why come from the audit trail."""
    tags = version.tags
    return {
        "version": str(version.version),
        "aliases": ",".join(sorted(aliases)),
        "validation": tags.get(naming.TAG_VALIDATION_STATUS, "-"),
        "validation_reason": tags.get(naming.TAG_VALIDATION_REASON, ""),
        "training": tags.get(naming.TAG_TRAINING_STATUS, "-"),
        "roc_auc": _rounded(tags.get(naming.metric_tag("roc_auc"))),
        "pr_auc": _rounded(tags.get(naming.metric_tag("pr_auc"))),
        "created": _iso(version.creation_timestamp),
        "run_id": version.run_id,
        "git": tags.get(naming.TAG_GIT_COMMIT, "-")[:12],
        "data": tags.get(naming.TAG_DATA_SHA256, "-")[:12],
        "promoted_by": promotion.actor if promotion else "",
        "promoted_at": promotion.at if promotion else "",
        "promotion_reason": promotion.reason if promotion else "",
        "description": version.description or "",
    }


def _rounded(value: str | None) -> str:
    return f"{float(value):.4f}" if value else "-"


def _iso(milliseconds: int | None) -> str:
    if not milliseconds:
        return "-"
    return datetime.fromtimestamp(milliseconds / 1000, UTC).strftime("%Y-%m-%d %H:%M")
