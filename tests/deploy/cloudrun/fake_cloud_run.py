"""A local fake of the Cloud Run Admin API v2 (REST): just the calls `ab` and rollouts make.

GetService, UpdateService (returns a long-running Operation, not yet done), GetOperation (done,
with the updated Service) and ListRevisions, on loopback. Served, its service and tag URLs are
its own (`/service`, `/tagged/<tag>`), where the revision they reach answers the smoke test's
`/ready`, `/metadata` (the version its name carries) and `/predict` (500 for the model versions
in `broken`). It applies an update the way Cloud Run does: a template with a new revision name
creates that revision; traffic must add up to 100 and name existing revisions; tags are unique; a
stale `etag` is refused with ABORTED. Every update body is kept (`updates`) so tests assert
exactly what the real client sent.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from google.cloud import run_v2
from google.longrunning import operations_pb2
from google.protobuf import json_format

from deploy.cloudrun.naming import version_of

BY_REVISION = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
SERVICE = re.compile(r"^/v2/(projects/[^/]+/locations/[^/]+/services/[^/:]+)$")
REVISIONS = re.compile(r"^/v2/(projects/[^/]+/locations/[^/]+/services/[^/]+)/revisions$")
TAGGED = re.compile(r"^/(?:tagged/([a-z0-9-]+)|service)/(ready|metadata|predict)$")
OPERATION = re.compile(r"^/v2/(projects/[^/]+/locations/[^/]+/operations/[^/]+)$")


class ApiError(Exception):
    """An error the fake answers with, in Google's JSON error shape."""

    def __init__(self, status: HTTPStatus, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class FakeCloudRun:
    """The fake's state: services, their revisions, operations; and the update requests."""

    def __init__(self) -> None:
        self.services: dict[str, run_v2.Service] = {}
        self.revisions: dict[str, list[run_v2.Revision]] = {}
        self.operations: dict[str, run_v2.Service] = {}
        self.updates: list[run_v2.Service] = []
        self.requests: list[str] = []
        self.broken: set[str] = set()
        self.authorizations: list[str] = []  # the Authorization header of each call to a URL
        self.base_url: str | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._clock = datetime(2025, 1, 1, tzinfo=UTC)

    def seed(self, name: str, revisions: Sequence[str], routes: Sequence[tuple[str, int, str]],
             image: str = "img:old") -> None:
        """A service with `revisions` (oldest first) and traffic `(revision, percent, tag)`."""
        service = run_v2.Service(
            name=name, uri=f"{self.base_url}/service" if self.base_url
            else f"https://{_short(name)}-abc-el.a.run.app",
            template=run_v2.RevisionTemplate(
                revision=revisions[-1], service_account="runtime@example.iam.gserviceaccount.com",
                labels={"model-version": revisions[-1].split("-v")[-1].split("-")[0],
                        "git-sha": "0aaaaaa"},
                containers=[run_v2.Container(image=image, env=[
                    run_v2.EnvVar(name="PREDICTION_LOG", value="stdout"),
                    run_v2.EnvVar(name="VARIANT", value="production")])]),
            traffic=[run_v2.TrafficTarget(type_=BY_REVISION, revision=r, percent=p, tag=t)
                     for r, p, t in routes])
        self.revisions[name] = []
        for revision in revisions:
            self._add_revision(name, revision)
        self._publish(service)

    def get_service(self, name: str) -> run_v2.Service:
        if name not in self.services:
            raise ApiError(HTTPStatus.NOT_FOUND, "NOT_FOUND", f"Resource '{name}' not found")
        return self.services[name]

    def update_service(self, name: str, body: run_v2.Service) -> str:
        """Apply an update like Cloud Run; return the name of its (pending) operation."""
        with self._lock:
            current = self.get_service(name)
            self.updates.append(body)
            if body.etag and body.etag != current.etag:
                raise ApiError(HTTPStatus.CONFLICT, "ABORTED",
                               f"etag {body.etag} is stale; the service is at {current.etag}")
            known = {_short(r.name) for r in self.revisions[name]}
            wanted = body.template.revision
            if wanted and wanted not in known:
                self._add_revision(name, wanted, body.template.containers[0].image)
                known.add(wanted)
            self._check_traffic(body.traffic, known)
            updated = run_v2.Service(body, name=name)  # the name travels in the URL only
            self._publish(updated)
            operation = f"{name.split('/services/')[0]}/operations/op-{next(self._ids)}"
            self.operations[operation] = updated
            return operation

    def _check_traffic(self, traffic: Sequence[run_v2.TrafficTarget], known: set[str]) -> None:
        if sum(t.percent for t in traffic) != 100:
            raise ApiError(HTTPStatus.BAD_REQUEST, "INVALID_ARGUMENT",
                           "traffic percentages must add up to 100")
        for target in traffic:
            if target.type_ == BY_REVISION and target.revision not in known:
                raise ApiError(HTTPStatus.BAD_REQUEST, "INVALID_ARGUMENT",
                               f"revision {target.revision} does not exist")
        tags = [t.tag for t in traffic if t.tag]
        if len(tags) != len(set(tags)):
            raise ApiError(HTTPStatus.BAD_REQUEST, "INVALID_ARGUMENT", "tags must be unique")

    def tag_url(self, tag: str, host: str) -> str:
        """The URL of a tag: Cloud Run's form, or the fake's own once served."""
        if self.base_url is None:
            return f"https://{tag}---{host}-abc-el.a.run.app"
        return f"{self.base_url}/tagged/{tag}"

    def reached(self, tag: str | None) -> tuple[str, str]:
        """(service, revision) of the revision carrying `tag` (None: the one with most traffic)."""
        for name, service in self.services.items():
            for target in sorted(service.traffic, key=lambda t: -t.percent):
                if target.tag == tag or tag is None:
                    return _short(name), target.revision
        raise ApiError(HTTPStatus.NOT_FOUND, "NOT_FOUND", f"no revision is tagged {tag}")

    def _add_revision(self, service: str, revision: str, image: str = "img:old") -> None:
        self._clock += timedelta(minutes=1)
        self.revisions[service].append(run_v2.Revision(
            name=f"{service}/revisions/{revision}", create_time=self._clock,
            containers=[run_v2.Container(image=image)]))

    def _publish(self, service: run_v2.Service) -> None:
        """Store `service` with what Cloud Run fills in: etag, statuses, latest revision."""
        service.etag = f'"{next(self._ids)}"'
        service.latest_ready_revision = self.revisions[service.name][-1].name
        host = _short(service.name)
        service.traffic_statuses = [
            run_v2.TrafficTargetStatus(type_=t.type_, revision=t.revision, percent=t.percent,
                                       tag=t.tag, uri=self.tag_url(t.tag, host) if t.tag else "")
            for t in service.traffic]
        self.services[service.name] = service


class Handler(BaseHTTPRequestHandler):
    """Routes the four REST calls to the fake."""

    fake: FakeCloudRun

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.fake.requests.append(f"GET {path}")
        self._answer(lambda: self._get(path))

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        self.fake.requests.append(f"POST {path}")
        self._answer(lambda: self._revision(path))

    def do_PATCH(self) -> None:
        path = urlsplit(self.path).path
        self.fake.requests.append(f"PATCH {path}")
        length = int(self.headers.get("Content-Length", "0"))
        body = run_v2.Service.from_json(self.rfile.read(length), ignore_unknown_fields=True)
        match = SERVICE.match(path)
        if match is None:
            self._send(HTTPStatus.NOT_FOUND, {"error": {"code": 404, "status": "NOT_FOUND",
                                                         "message": path}})
            return
        self._answer(lambda: json.loads(json_format.MessageToJson(operations_pb2.Operation(
            name=self.fake.update_service(match.group(1), body), done=False))))

    def _revision(self, path: str) -> object:
        """A tagged revision's own answers to the smoke test."""
        match = TAGGED.match(path)
        if match is None:
            raise ApiError(HTTPStatus.NOT_FOUND, "NOT_FOUND", f"no route {path}")
        self.fake.authorizations.append(self.headers.get("Authorization", ""))
        service, revision = self.fake.reached(match.group(1))
        if match.group(2) == "ready":
            return {"status": "ready"}
        if match.group(2) == "metadata":
            return {"model_version": version_of(service, revision)}
        if version_of(service, revision) in self.fake.broken:
            raise ApiError(HTTPStatus.INTERNAL_SERVER_ERROR, "INTERNAL", "internal error")
        return {"urgency_probability": 0.5, "urgent": False}

    def _get(self, path: str) -> object:
        if TAGGED.match(path):  # a revision's own URL
            return self._revision(path)
        if match := SERVICE.match(path):
            return json.loads(run_v2.Service.to_json(self.fake.get_service(match.group(1))))
        if match := REVISIONS.match(path):
            self.fake.get_service(match.group(1))
            return {"revisions": [json.loads(run_v2.Revision.to_json(r))
                                  for r in self.fake.revisions[match.group(1)]]}
        if (match := OPERATION.match(path)) and match.group(1) in self.fake.operations:
            operation = operations_pb2.Operation(name=match.group(1), done=True)
            operation.response.Pack(run_v2.Service.pb(self.fake.operations[match.group(1)]))
            return json.loads(json_format.MessageToJson(operation))
        raise ApiError(HTTPStatus.NOT_FOUND, "NOT_FOUND", f"no route {path}")

    def _answer(self, produce: object) -> None:
        try:
            body = produce()  # type: ignore[operator]
        except ApiError as exc:
            self._send(exc.status, {"error": {"code": int(exc.status), "status": exc.code,
                                              "message": exc.message}})
            return
        self._send(HTTPStatus.OK, body)

    def _send(self, status: HTTPStatus, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests read `fake.requests` instead."""


@contextmanager
def serve(fake: FakeCloudRun) -> Iterator[str]:
    """Serve `fake` on a free loopback port; yields its base URL."""
    handler = type("BoundHandler", (Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake.base_url
    finally:
        server.shutdown()
        server.server_close()


def _short(resource: str) -> str:
    return resource.rsplit("/", 1)[-1]
