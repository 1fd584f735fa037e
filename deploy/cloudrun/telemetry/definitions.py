"""The telemetry definitions: files in `definitions/`, rendered for one target and validated.

    definitions/sink.yaml          the log sink (LogSink): prediction records -> BigQuery
    definitions/metrics/*.yaml     log-based metrics (LogMetric), as `--config-from-file` takes them
    definitions/alerts/*.yaml      alert policies (AlertPolicy), as `--policy-from-file` takes them
    definitions/dashboard.json     the dashboard (Dashboard), as `--config-from-file` takes it
    definitions/descriptors/*.yaml custom metric descriptors (MetricDescriptor), optional: the
                                   metrics other jobs write (drift, quality), so alerts can name
                                   them before the first point is written

The files are the API's own JSON/YAML representation, so a definition can be copied from (or
pasted into) the console's JSON editor. `${NAME}` placeholders (upper-case names only: `PROJECT`,
`SERVICE`, `DATASET`, `NOTIFICATION_CHANNELS`) are filled in by the deploy definitions' one
`render` (`deploy.cloudrun.templates`); any other `$` text (a chart's `${metric.labels.x}`
legend) is left alone. Every rendered definition is parsed into its API type strictly, so a
misspelt field fails here, before any request is sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format
from google.protobuf.message import Message
from proto import Message as TypedMessage

from deploy.cloudrun.telemetry.kinds import (
    ALERT_POLICY,
    DASHBOARD,
    LOG_METRIC,
    LOG_SINK,
    METRIC_DESCRIPTOR,
    Kind,
)
from deploy.cloudrun.templates import UnknownPlaceholder, render

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
DASHBOARD_NAME = re.compile(r"^projects/[^/]+/dashboards/(?P<id>[A-Za-z0-9_-]+)$")


class DefinitionError(ValueError):
    """A definition file cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Definition:
    """One rendered resource: what identifies it, the file it came from, its API body."""

    key: str
    stem: str
    body: dict[str, Any]
    kind: Kind

    def typed(self) -> TypedMessage | Message:
        """The body as the client library's message (what a request carries)."""
        return self.kind.typed(parse(self.body, self.kind))


@dataclass(frozen=True)
class Definitions:
    """Everything the telemetry consists of, rendered for one target."""

    sink: Definition
    metrics: tuple[Definition, ...]
    policies: tuple[Definition, ...]
    dashboard: Definition
    descriptors: tuple[Definition, ...] = ()


def load(values: Mapping[str, Any], root: Path = DEFINITIONS) -> Definitions:
    """Read, render and validate every definition under `root`."""
    metrics = tuple(_load(path, values, LOG_METRIC, "name")
                    for path in sorted((root / "metrics").glob("*.yaml")))
    policies = tuple(_load(path, values, ALERT_POLICY, "displayName")
                     for path in sorted((root / "alerts").glob("*.yaml")))
    descriptors = tuple(_load(path, values, METRIC_DESCRIPTOR, "type")
                        for path in sorted((root / "descriptors").glob("*.yaml")))
    dashboard = _load(root / "dashboard.json", values, DASHBOARD, "name")
    found = DASHBOARD_NAME.match(dashboard.key)
    if found is None:
        raise DefinitionError(f"{root / 'dashboard.json'}: name must be "
                              "projects/${PROJECT}/dashboards/ID (the ID makes it findable)")
    for kind, items, required in (("metric name", metrics, True),
                                  ("alert policy displayName", policies, True),
                                  ("metric descriptor type", descriptors, False)):
        keys = [item.key for item in items]
        if (required and not items) or len(set(keys)) != len(keys):
            raise DefinitionError(f"{root}: each {kind} must be defined once (found {keys})")
    return Definitions(sink=_load(root / "sink.yaml", values, LOG_SINK, "name"),
                       metrics=metrics, policies=policies,
                       dashboard=Definition(found.group("id"), dashboard.stem, dashboard.body,
                                            DASHBOARD),
                       descriptors=descriptors)


def parse(body: Mapping[str, Any], kind: Kind, *, strict: bool = True) -> Message:
    """A body as its API message; `strict` refuses fields the type does not have."""
    return json_format.ParseDict(dict(body), kind.message(), ignore_unknown_fields=not strict)


def _load(path: Path, values: Mapping[str, Any], kind: Kind, key: str) -> Definition:
    try:
        body = render(yaml.safe_load(path.read_text(encoding="utf-8")), values)
        if not isinstance(body, dict):
            raise DefinitionError(f"not a {kind.title} (a mapping)")
        parse(body, kind)
    except (OSError, yaml.YAMLError, json_format.ParseError, DefinitionError,
            UnknownPlaceholder) as exc:
        raise DefinitionError(f"{path}: {exc}") from None
    if not isinstance(body.get(key), str) or not body[key]:
        raise DefinitionError(f"{path}: a {kind.title} needs its {key}")
    return Definition(key=body[key], stem=path.stem, body=body, kind=kind)
