"""What the A/B and rollout commands need from a target: which kind it is, read its traffic,
apply a change, reach a tagged revision, find its logs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from contracts.traffic import Change, Snapshot


class TargetKind(StrEnum):
    """Where an A/B test or a rollout runs."""

    LOCAL = "local"
    CLOUDRUN = "cloudrun"


@dataclass(frozen=True)
class Endpoint:
    """How a client reaches one revision: a base URL and the headers that select it."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)


class Target(Protocol):
    """A place where revisions serve model versions and traffic is split between them."""

    @property
    def description(self) -> str:
        """One line: which target, which service."""
        ...

    def snapshot(self) -> Snapshot:
        """The current routes and revisions (a later `apply` is checked against this read)."""
        ...

    def new_revision_name(self, version: str) -> str:
        """The name a revision deployed now for model `version` gets."""
        ...

    def apply(self, change: Change) -> None:
        """Deploy `change.deploy` if set and route traffic as `change.routes` say; wait for it."""
        ...

    def urls(self) -> dict[str, str]:
        """Where to reach the service (`service`) and each tagged revision (by tag)."""
        ...

    def endpoint(self, tag: str | None) -> Endpoint:
        """How to reach the revision tagged `tag` (None: the service, as its clients do)."""
        ...

    def default_logs(self) -> str | None:
        """Where this target's prediction logs are, when it knows (the local rehearsal does)."""
        ...
