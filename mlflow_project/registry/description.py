"""A model version's description: what a person reads first in the MLflow UI.

One markdown paragraph per section, in a fixed order, each rewritten in place by whoever knows
it: `Data` and `Metrics` when training registers the version, `Gate` each time the gate judges
it, `Challenger` and `Production` each time an alias moves onto (or off) it, saying who, when
and why. Figures beyond these live in the run's `lineage.json` (`registry.lineage`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from mlflow import MlflowClient

DATA = "Data"
METRICS = "Metrics"
GATE = "Gate"
CHALLENGER = "Challenger"
PRODUCTION = "Production"
SECTIONS = (DATA, METRICS, GATE, CHALLENGER, PRODUCTION)
DESCRIBED_METRICS = ("roc_auc", "pr_auc", "precision", "recall", "f1")


def set_section(client: MlflowClient, name: str, version: str, section: str, text: str) -> None:
    """Replace (or add) one section of the version's description, keeping the others."""
    current = client.get_model_version(name, version).description or ""
    client.update_model_version(name, version, description=with_section(current, section, text))


def with_section(description: str, section: str, text: str) -> str:
    """`description` with `section` set to `text`, sections in `SECTIONS` order (pure)."""
    if section not in SECTIONS:
        raise ValueError(f"unknown description section {section!r}; one of {SECTIONS}")
    found, other = _sections(description)
    found[section] = text
    return "\n\n".join([*(f"**{s}**: {found[s]}" for s in SECTIONS if s in found), *other])


def data_text(data_uri: str, data_sha256: str, rows: int, git_commit: str, run_name: str) -> str:
    """Where the version comes from: data, code, run."""
    return (f"{data_uri} (sha256 {data_sha256[:12]}, {rows} valid rows), code {git_commit[:12]}, "
            f"run {run_name}")


def metrics_text(metrics: Mapping[str, float], threshold: float) -> str:
    """The headline evaluation metrics at the version's decision threshold."""
    shown = ", ".join(f"{m} {metrics[m]:.4f}" for m in DESCRIBED_METRICS if m in metrics)
    return f"on the held-out evaluation rows: {shown} (threshold {threshold:.4f})"


def gate_text(status: str, summary: str, baseline_version: str | None) -> str:
    """The gate's verdict, against what, and when."""
    against = f"production v{baseline_version}" if baseline_version else "the absolute bars"
    why = "" if summary == status else f": {summary}"
    return f"{status} against {against} at {now()}{why}"


def move_text(action: str, actor: str, reason: str) -> str:
    """An alias move onto or off the version: what, who, when, why."""
    return f"{action} by {actor} at {now()}: {reason}"


def alias_section(alias: str) -> str:
    """The section recording moves of `alias` (`challenger` -> Challenger)."""
    section = alias.capitalize()
    if section not in (CHALLENGER, PRODUCTION):
        raise ValueError(f"no description section for alias @{alias}")
    return section


def now() -> str:
    """The current UTC time, to the second, as recorded in descriptions."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _sections(description: str) -> tuple[dict[str, str], list[str]]:
    """The sections of a description and its other paragraphs (a person's notes, kept last)."""
    found: dict[str, str] = {}
    other: list[str] = []
    for paragraph in filter(None, description.split("\n\n")):
        section = next((s for s in SECTIONS if paragraph.startswith(f"**{s}**: ")), None)
        if section is None:
            other.append(paragraph)
        else:
            found[section] = paragraph.removeprefix(f"**{section}**: ")
    return found, other
