"""The Cloud Run target: traffic tags and revisions through the Admin API (`run_v2`, REST).

A change is one `UpdateService` call carrying the service as it was read (its `etag`), so a
concurrent change by someone else makes the update fail instead of being silently overwritten.
A change that deploys a revision names it in the template and routes traffic to it in the same
call: Cloud Run moves traffic only once the revision is ready, and not at all if it fails. The
revision runs an image digest: `--image` (a digest; tags are refused) or the one the newest
deployment record of its model version names (`deployments`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from google.cloud import run_v2

from contracts.traffic import Change, NewRevision, PlanError, Revision, Route, Snapshot
from deploy.cloudrun import deployments, naming
from deploy.cloudrun.client import revisions_client, services_client
from deploy.cloudrun.images import require_digest
from deploy.cloudrun.settings import CloudRunSettings
from deploy.targets import Endpoint

BY_REVISION = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
TO_LATEST = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
VERSION_LABEL = "model-version"  # set by cloudbuild.yaml's deploy step, as is GIT_LABEL
GIT_LABEL = "git-sha"  # not known here for a revision ab deploys, so dropped


class CloudRunTarget:
    """One Cloud Run service, read and updated through the Admin API."""

    def __init__(self, settings: CloudRunSettings, *, image: str | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._settings = settings
        self._image = None if image is None else require_digest(image, "--image")
        self._images: dict[str, str] = {}
        self._clock = clock
        self._services = services_client(settings)
        self._revisions = revisions_client(settings)
        self._service: run_v2.Service | None = None

    @property
    def description(self) -> str:
        """`Cloud Run service NAME (project P, region R)`."""
        s = self._settings
        return f"Cloud Run service {s.service} (project {s.project}, region {s.region})"

    def snapshot(self) -> Snapshot:
        """Read the service and its revisions; the service read is what `apply` updates."""
        self._service = self._services.get_service(name=self._settings.service_path)
        listed = sorted(self._revisions.list_revisions(parent=self._settings.service_path),
                        key=lambda r: r.create_time, reverse=True)
        return snapshot_of(self._service, [naming.short_name(r.name) for r in listed])

    def new_revision_name(self, version: str) -> str:
        """`<service>-v<version>-ab<UTC yymmddhhmmss>`: unique, and read back as `version`."""
        return naming.revision_name(self._settings.service, version,
                                    "ab" + self._clock().strftime("%y%m%d%H%M%S"))

    def image_for(self, version: str) -> str:
        """The digest a new revision serving model `version` runs: `--image` when given, else
        the one its newest deployment record names (read once per version)."""
        if self._image is not None:
            return self._image
        if version not in self._images:
            self._images[version] = deployments.image_for_version(self._settings, version)
        return self._images[version]

    def apply(self, change: Change) -> None:
        """Send the service read by `snapshot` back with the new traffic (and template)."""
        if self._service is None:
            raise RuntimeError("apply() needs a snapshot() first")
        service = run_v2.Service(self._service)
        if change.deploy is not None:
            self._set_template(service, change.deploy)
        service.traffic = [traffic_target(route) for route in change.routes]
        operation = self._services.update_service(service=service)
        self._service = operation.result(timeout=self._settings.operation_timeout)

    def urls(self) -> dict[str, str]:
        """The service URL and one URL per tagged revision, as Cloud Run reports them."""
        if self._service is None:
            return {}
        found = {status.tag: status.uri for status in self._service.traffic_statuses
                 if status.tag and status.uri}
        return {"service": self._service.uri, **found} if self._service.uri else found

    def endpoint(self, tag: str | None) -> Endpoint:
        """The tag's URL as Cloud Run reports it (None: the service URL); PlanError if none."""
        key = tag or "service"
        url = self.urls().get(key)
        if url is None:
            raise PlanError(f"Cloud Run reports no URL for {key} of {self._settings.service}")
        return Endpoint(url)

    def default_logs(self) -> str | None:
        """Cloud Run's prediction logs are in Cloud Logging: export them, pass --logs."""
        return None

    def _set_template(self, service: run_v2.Service, revision: NewRevision) -> None:
        """The current template with the new revision's name, image, VARIANT and labels."""
        service.template.revision = revision.name
        labels = {k: v for k, v in service.template.labels.items() if k != GIT_LABEL}
        service.template.labels = {**labels, VERSION_LABEL: revision.version}
        container = service.template.containers[0]
        container.image = self.image_for(revision.version)
        others = [env for env in container.env if env.name != "VARIANT"]
        container.env = [*others, run_v2.EnvVar(name="VARIANT", value=revision.variant)]


def snapshot_of(service: run_v2.Service, revisions_newest_first: list[str]) -> Snapshot:
    """Plain routes and revisions of a service (LATEST resolved to the latest ready revision)."""
    name = naming.short_name(service.name)
    latest = naming.short_name(service.latest_ready_revision)
    routes = tuple(
        Route(revision=latest if target.type_ == TO_LATEST else target.revision,
              percent=target.percent, tag=target.tag or None)
        for target in service.traffic)
    revisions = tuple(Revision(rev, naming.version_of(name, rev)) for rev in revisions_newest_first)
    return Snapshot(service=name, routes=routes, revisions=revisions)


def traffic_target(route: Route) -> run_v2.TrafficTarget:
    """The API's form of a route (always by revision name: a route never floats to LATEST)."""
    return run_v2.TrafficTarget(type_=BY_REVISION, revision=route.revision,
                                percent=route.percent, tag=route.tag or "")
