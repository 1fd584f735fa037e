"""The rollout as a plan: the same runner against a target, an observer and a smoke test that
call nothing and print what they would do.

On Cloud Run (`cloud_plan`) nothing is read either: the revision serving all traffic now is
`PREVIOUS`, and each change prints as the gcloud commands that make it (the tag-only
`gcloud run deploy --no-traffic --tag candidate` when the candidate does not exist yet, and
`gcloud run services update-traffic` for every traffic change, the rollback included).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import datetime

from contracts.traffic import PRODUCTION_TAG, Change, Revision, Route, Snapshot
from deploy.cloudrun import deployments
from deploy.cloudrun.images import require_digest
from deploy.cloudrun.settings import CloudRunSettings
from deploy.rollout.observers import Observer
from deploy.rollout.plan import CANDIDATE_TAG, WindowFigures, update_traffic_command
from deploy.rollout.smoke import SmokeTest
from deploy.targets import Endpoint

PREVIOUS = "PREVIOUS"  # the revision serving all traffic when the rollout starts


class PlannedTarget:
    """A target that answers from a fixed snapshot and prints each change instead of making it."""

    def __init__(self, snapshot: Snapshot, description: str, *,
                 commands: Callable[[Change], list[str]],
                 endpoint: Callable[[str | None], Endpoint],
                 new_revision_name: Callable[[str], str], echo: Callable[[str], None]) -> None:
        self._snapshot = snapshot
        self._description = description
        self._commands = commands
        self._endpoint = endpoint
        self._new_revision_name = new_revision_name
        self._echo = echo

    @property
    def description(self) -> str:
        """The real target's description, marked as a dry run."""
        return f"[dry run] {self._description}"

    def snapshot(self) -> Snapshot:
        """The snapshot given (nothing is read)."""
        return self._snapshot

    def new_revision_name(self, version: str) -> str:
        """The name the real target would give."""
        return self._new_revision_name(version)

    def apply(self, change: Change) -> None:
        """Print the commands that would make the change."""
        for line in self._commands(change):
            self._echo(f"  $ {line}")

    def urls(self) -> dict[str, str]:
        """None known: nothing is read."""
        return {}

    def endpoint(self, tag: str | None) -> Endpoint:
        """Where the real target would be reached."""
        return self._endpoint(tag)

    def default_logs(self) -> str | None:
        """None: nothing is read."""
        return None


class PlannedObserver:
    """Prints the real observer's reads and observes nothing."""

    def __init__(self, observer: Observer) -> None:
        self._observer = observer

    def plan(self, revision: str, window_seconds: float) -> list[str]:
        """What the real observer would read."""
        return self._observer.plan(revision, window_seconds)

    def observe(self, revision: str, start: datetime, end: datetime) -> WindowFigures | None:
        """Nothing observed."""
        return None


class PlannedSmoke:
    """Prints the smoke test's requests and sends none."""

    def __init__(self, smoke: SmokeTest) -> None:
        self._smoke = smoke

    def run(self, endpoint: Endpoint, version: str) -> list[str]:
        """The requests that would be sent."""
        return [f"would send {line}" for line in self._smoke.plan(endpoint, version)]


def cloud_plan(settings: CloudRunSettings, *, revision: str | None, version: str,
               image: str | None, echo: Callable[[str], None]) -> PlannedTarget:
    """Cloud Run as a plan: `PREVIOUS` serves all traffic; `revision`, when given, exists."""
    revisions = (*((Revision(revision, version),) if revision else ()), Revision(PREVIOUS, None))
    snapshot = Snapshot(settings.service, (Route(PREVIOUS, 100, PRODUCTION_TAG),),
                        revisions)
    suffix = f"v{version}-ab<yymmddhhmmss>"  # CloudRunTarget.new_revision_name's
    chosen = None if image is None else require_digest(image, "--image")

    def image_of(model_version: str) -> str:
        """The digest the revision would run: `--image`, else its newest deployment record's."""
        return chosen or (f"<image digest in the newest record of v{model_version} in "
                          f"{deployments.location(settings)}>")

    def commands(change: Change) -> list[str]:
        lines = []
        if change.deploy is not None:
            lines.append(shlex.join([
                "gcloud", "run", "deploy", settings.service, f"--project={settings.project}",
                f"--region={settings.region}",
                f"--image={image_of(version)}",
                f"--revision-suffix={suffix}", f"--set-env-vars=VARIANT={change.deploy.variant}",
                "--no-traffic", f"--tag={CANDIDATE_TAG}"]))
        lines.append(shlex.join(update_traffic_command(settings.service, settings.project,
                                                       settings.region, change)))
        return lines

    def endpoint(tag: str | None) -> Endpoint:
        host = f"{tag}---{settings.service}" if tag else settings.service
        return Endpoint(f"https://{host}-<hash>.a.run.app")

    return PlannedTarget(
        snapshot, f"Cloud Run service {settings.service} (project {settings.project}, region "
                  f"{settings.region})", commands=commands, endpoint=endpoint,
        new_revision_name=lambda _version: f"{settings.service}-{suffix}", echo=echo)
