"""Traffic plans: the service's current traffic + an action -> the new traffic, or why not.

Pure functions over plain data, shared by the A/B and rollout commands and both targets (Cloud
Run and the local rehearsal), so `--dry-run` prints exactly what would be applied and the edge
cases are unit-tested once. It sits below `registry_tools` (whose A/B report prints routes) and
`deploy` (whose targets apply them), so neither needs the other for it. Every route names a
revision; a revision serves one model version (`deploy.cloudrun.naming`).

Rules:
- a split is *active* when two revisions receive traffic; `start` needs none, `promote` and
  `abort` need one, `rollback` refuses during one (abort it first);
- the challenger gets 1-99 %: 0 would test nothing and 100 is a promotion;
- tags are roles: the production revision carries `production`, the challenger `challenger`,
  so on Cloud Run each has a stable URL (`https://challenger---<service>-....run.app`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Traffic tags are roles: each gives its revision a stable URL on Cloud Run.
PRODUCTION_TAG = "production"
CHALLENGER_TAG = "challenger"

MIN_PERCENT = 1
MAX_PERCENT = 99


class PlanError(ValueError):
    """The action cannot be applied to the current traffic; the message says why and what to do."""


@dataclass(frozen=True)
class Route:
    """A share of the service's traffic (and optionally a tag) sent to one revision."""

    revision: str
    percent: int
    tag: str | None = None


@dataclass(frozen=True)
class Revision:
    """A deployed revision and the model version it serves (None: not named after a version)."""

    name: str
    version: str | None


@dataclass(frozen=True)
class Snapshot:
    """What a target looks like now: its routes (concrete revisions) and its revisions."""

    service: str
    routes: tuple[Route, ...]
    revisions: tuple[Revision, ...]  # newest first

    def version_of(self, revision: str) -> str | None:
        """The model version `revision` serves, if known."""
        return next((r.version for r in self.revisions if r.name == revision), None)

    def revision_for(self, version: str) -> str | None:
        """The newest revision serving model `version`, if any."""
        return next((r.name for r in self.revisions if r.version == version), None)

    def serving(self) -> dict[str, int]:
        """Revision -> percent, for revisions that receive traffic (tag-only routes left out)."""
        shares: dict[str, int] = {}
        for route in self.routes:
            if route.percent > 0:
                shares[route.revision] = shares.get(route.revision, 0) + route.percent
        return shares


@dataclass(frozen=True)
class NewRevision:
    """A revision the change deploys: its name, model version and `VARIANT` label."""

    name: str
    version: str
    variant: str


@dataclass(frozen=True)
class Change:
    """The new routes of the service, and the revision to deploy first (if any)."""

    action: str
    routes: tuple[Route, ...]
    deploy: NewRevision | None = None


@dataclass(frozen=True)
class Split:
    """An active A/B split: the production and the challenger revision and the challenger's %."""

    production: str
    challenger: str
    percent: int


def active_split(snapshot: Snapshot) -> Split | None:
    """The A/B split in force, or None when one revision (or none) receives traffic.

    Raises PlanError for traffic this tool did not make (three or more revisions, or two without
    a `challenger` tag), because promote and abort would have to guess.
    """
    serving = snapshot.serving()
    if len(serving) < 2:
        return None
    tagged = {r.revision for r in snapshot.routes if r.tag == CHALLENGER_TAG and r.percent > 0}
    if len(serving) > 2 or len(tagged) != 1:
        shares = ", ".join(f"{rev}={pct}%" for rev, pct in serving.items())
        raise PlanError(f"traffic is split in a way ab did not make ({shares}); set it by hand "
                        "(gcloud run services update-traffic) to one revision, then use ab")
    challenger = tagged.pop()
    production = next(rev for rev in serving if rev != challenger)
    return Split(production=production, challenger=challenger, percent=serving[challenger])


def serving_revision(snapshot: Snapshot) -> str:
    """The one revision receiving all traffic; PlanError if a split is active or none serves."""
    split = active_split(snapshot)
    if split is not None:
        raise PlanError(f"an A/B split is already active: {split.challenger} gets "
                        f"{split.percent}% against {split.production}; promote or abort it first")
    serving = snapshot.serving()
    if not serving:
        raise PlanError(f"{snapshot.service} sends no traffic to any revision: deploy the "
                        "production model first (make deploy, or ab up locally)")
    return next(iter(serving))


def plan_start(snapshot: Snapshot, *, version: str, percent: int, production_version: str,
               name_for: Callable[[str], str]) -> Change:
    """Send `percent` % to model `version`, deploying a revision (`name_for(version)`) if none
    serves it yet."""
    if not MIN_PERCENT <= percent <= MAX_PERCENT:
        raise PlanError(f"percent must be between {MIN_PERCENT} and {MAX_PERCENT} (got {percent}):"
                        " 0 tests nothing and 100 is a promotion")
    production = serving_revision(snapshot)
    _require_serves(snapshot, production, production_version)
    if version == production_version:
        raise PlanError(f"version {version} is the production version; an A/B test needs "
                        "another one")
    existing = snapshot.revision_for(version)
    challenger = existing or name_for(version)
    deploy = None if existing else NewRevision(challenger, version, CHALLENGER_TAG)
    return Change("start", (Route(production, 100 - percent, PRODUCTION_TAG),
                            Route(challenger, percent, CHALLENGER_TAG)), deploy)


def plan_promote(snapshot: Snapshot) -> tuple[Change, str]:
    """All traffic to the challenger, now tagged production; also returns its model version."""
    split = _require_split(snapshot, "promote")
    version = snapshot.version_of(split.challenger)
    if version is None:
        raise PlanError(f"the challenger revision {split.challenger} is not named after a model "
                        "version, so the registry cannot follow it; deploy it with make deploy")
    return Change("promote", (Route(split.challenger, 100, PRODUCTION_TAG),)), version


def plan_abort(snapshot: Snapshot) -> tuple[Change, str | None]:
    """All traffic back to the production revision (the challenger loses its tag); also returns
    the challenger's model version."""
    split = _require_split(snapshot, "abort")
    return (Change("abort", (Route(split.production, 100, PRODUCTION_TAG),)),
            snapshot.version_of(split.challenger))


def plan_rollback(snapshot: Snapshot, *, previous_version: str | None,
                  name_for: Callable[[str], str]) -> Change:
    """All traffic to the previous production version, deploying a revision for it
    (`name_for(version)`) if none is left."""
    if previous_version is None:
        raise PlanError("no previous production version is recorded: there is nothing to roll "
                        "back to")
    current = serving_revision(snapshot)
    if snapshot.version_of(current) == previous_version:
        raise PlanError(f"version {previous_version} already receives all traffic")
    existing = snapshot.revision_for(previous_version)
    name = existing or name_for(previous_version)
    deploy = None if existing else NewRevision(name, previous_version, PRODUCTION_TAG)
    return Change("rollback", (Route(name, 100, PRODUCTION_TAG),), deploy)


def describe(snapshot: Snapshot, change: Change) -> list[str]:
    """Human-readable lines: the deployment (if any) and traffic before -> after."""
    lines = []
    if change.deploy is not None:
        lines.append(f"deploy revision {change.deploy.name} (model v{change.deploy.version}, "
                     f"VARIANT={change.deploy.variant}) with no traffic of its own yet")
    lines.append("traffic before: " + format_routes(snapshot.routes, snapshot))
    known = Snapshot(snapshot.service, snapshot.routes, (
        *snapshot.revisions,
        *((Revision(change.deploy.name, change.deploy.version),) if change.deploy else ())))
    lines.append("traffic after:  " + format_routes(change.routes, known))
    return lines


def format_routes(routes: Sequence[Route], snapshot: Snapshot) -> str:
    """`rev (v1) 80% [production], rev (v2) 20% [challenger]`."""
    if not routes:
        return "(none)"
    parts = []
    for route in routes:
        version = snapshot.version_of(route.revision)
        label = f"{route.revision} (v{version})" if version else route.revision
        parts.append(f"{label} {route.percent}%" + (f" [{route.tag}]" if route.tag else ""))
    return ", ".join(parts)


def _require_split(snapshot: Snapshot, action: str) -> Split:
    split = active_split(snapshot)
    if split is None:
        raise PlanError(f"no A/B split is active: nothing to {action} (start one with ab start)")
    return split


def _require_serves(snapshot: Snapshot, revision: str, production_version: str) -> None:
    """The revision taking all traffic must serve the registry's production version."""
    served = snapshot.version_of(revision)
    if served is None:
        raise PlanError(f"{revision} receives all traffic but is not named after a model "
                        "version; deploy production with make deploy first")
    if served != production_version:
        raise PlanError(f"traffic goes to v{served} but @production is v{production_version}: "
                        "deploy production first (make deploy) or roll the alias back")
