"""What exists: the read commands, and what their results say (pure; nothing here runs them).

One read per resource: `bq show` for the dataset (its access list included), `describe` for the
sink, each log-based metric and the dashboard (its id is fixed by its definition), and one
`list` for the alert policies (their ids are assigned by the API, so they are found by display
name). A missing resource is a failed read that says so, in each tool's own words: gcloud exits
1 with `ERROR: (gcloud....) NOT_FOUND: ...` on stderr; bq exits 2 with
`BigQuery error in show operation: Not found: Dataset P:D` (on stdout).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deploy.cloudrun.telemetry.definitions import Definitions
from deploy.cloudrun.telemetry.settings import Target

DATASET, SINK, POLICIES, DASHBOARD = "dataset", "sink", "policies", "dashboard"  # read keys
METRIC = "metric:"  # + the metric's name


class StateError(RuntimeError):
    """What exists cannot be read, or is ambiguous; the message says which and why."""


@dataclass(frozen=True)
class Result:
    """How a command ended: its exit code and what it printed."""

    returncode: int
    stdout: str
    stderr: str

    def last_line(self) -> str:
        """The last non-empty line of stderr (of stdout if stderr has none): the error."""
        for text in (self.stderr, self.stdout):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if lines:
                return lines[-1]
        return "(no output)"


class CommandFailed(StateError):
    """A gcloud or bq command failed; the message names it and its last line of output."""

    def __init__(self, argv: Sequence[str], result: Result) -> None:
        super().__init__(f"{shlex.join(argv)} failed (exit {result.returncode}): "
                         f"{result.last_line()}")


@dataclass(frozen=True)
class Read:
    """One read command and the name its result is kept under."""

    key: str
    argv: tuple[str, ...]


@dataclass(frozen=True)
class Observed:
    """The resources as the reads returned them (None: it does not exist)."""

    dataset: dict[str, Any] | None
    sink: dict[str, Any] | None
    metrics: dict[str, dict[str, Any] | None]
    policies: tuple[dict[str, Any], ...]
    dashboard: dict[str, Any] | None

    @classmethod
    def nothing(cls, definitions: Definitions) -> Observed:
        """A project with none of the resources yet (what a dry run plans against)."""
        return cls(dataset=None, sink=None,
                   metrics={metric.key: None for metric in definitions.metrics},
                   policies=(), dashboard=None)


def reads(definitions: Definitions, target: Target) -> list[Read]:
    """Every read, in the order they run."""
    project = f"--project={target.project}"
    return [
        Read(DATASET, ("bq", f"--project_id={target.project}", "show", "--format=prettyjson",
                       target.dataset_ref)),
        Read(SINK, ("gcloud", "logging", "sinks", "describe", definitions.sink.key, project,
                    "--format=json")),
        *(Read(METRIC + metric.key, ("gcloud", "logging", "metrics", "describe", metric.key,
                                     project, "--format=json"))
          for metric in definitions.metrics),
        Read(POLICIES, ("gcloud", "monitoring", "policies", "list", project, "--format=json")),
        Read(DASHBOARD, ("gcloud", "monitoring", "dashboards", "describe",
                         definitions.dashboard.key, project, "--format=json")),
    ]


def observed(results: Mapping[Read, Result]) -> Observed:
    """The state the read results describe; a read that failed otherwise than "not found"
    raises `CommandFailed`."""
    found = {read.key: _document(read, result) for read, result in results.items()}
    policies = found.get(POLICIES) or []
    if not isinstance(policies, list):
        raise StateError(f"gcloud monitoring policies list: expected a JSON list, got {policies!r}")
    return Observed(dataset=found.get(DATASET), sink=found.get(SINK),
                    metrics={key.removeprefix(METRIC): value for key, value in found.items()
                             if key.startswith(METRIC)},
                    policies=tuple(policies), dashboard=found.get(DASHBOARD))


def _document(read: Read, result: Result) -> Any:
    if result.returncode != 0:
        if _not_found(read, result):
            return None
        raise CommandFailed(read.argv, result)
    try:
        return json.loads(result.stdout or "null")
    except json.JSONDecodeError as exc:
        raise StateError(f"{shlex.join(read.argv)}: output is not JSON ({exc})") from None


def _not_found(read: Read, result: Result) -> bool:
    if read.argv[0] == "bq":
        return result.returncode == 2 and "Not found:" in result.stdout + result.stderr
    return "NOT_FOUND" in result.stderr
