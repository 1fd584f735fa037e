"""The local rehearsal as an A/B target: revisions are gunicorn servers, nginx splits traffic.

`up` starts the production revision and nginx; a change starts any revision it routes to (and
waits until it serves), then swaps nginx's split; `down` stops exactly what `up` and the changes
started (pid files checked against command lines, see `deploy.local.processes`). Revisions stay
up at 0 % after a promotion or an abort, as Cloud Run keeps them, so a rollback is instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from contracts.ports import is_free
from contracts.traffic import PRODUCTION_TAG, Change, PlanError, Revision, Route, Snapshot
from deploy.cloudrun import naming
from deploy.local.ab import nginx, servers
from deploy.local.ab.settings import AbSettings
from deploy.local.ab.state import LocalRevision, LocalState, load_state, locked, save_state
from deploy.local.processes import Service, is_healthy, require_ports, running_pid, start, stop
from deploy.targets import Endpoint

TAG_HEADER = "X-AB-Tag"  # read by nginx.conf.template's map


class LocalTarget:
    """The rehearsal under `AB_RUN_DIR`, routing `http://127.0.0.1:AB_PROXY_PORT`."""

    def __init__(self, settings: AbSettings, *, service: str, model_name: str,
                 tracking_uri: str) -> None:
        self._run_dir = settings.run_dir.resolve()
        self._port = settings.proxy_port
        self._timeout = settings.startup_timeout
        self._service = service
        self._model_name = model_name
        self._tracking_uri = tracking_uri
        self._layout = nginx.layout(self._run_dir)
        self._read_routes: tuple[Route, ...] | None = None

    @property
    def description(self) -> str:
        """`local rehearsal of SERVICE on http://127.0.0.1:PORT (RUN_DIR)`."""
        return (f"local rehearsal of {self._service} on http://127.0.0.1:{self._port} "
                f"({self._run_dir})")

    def snapshot(self) -> Snapshot:
        """The saved routes and revisions (newest first)."""
        state = load_state(self._run_dir)
        self._read_routes = tuple(state.routes)
        return Snapshot(self._service, tuple(state.routes),
                        tuple(Revision(r.name, r.version) for r in reversed(state.revisions)))

    def new_revision_name(self, version: str) -> str:
        """`<service>-v<version>`: one local server per model version."""
        return naming.revision_name(self._service, version)

    def apply(self, change: Change) -> None:
        """Start what `change` routes to, then swap nginx's split; refuse if state moved."""
        with locked(self._run_dir):
            state = load_state(self._run_dir)
            if self._read_routes is None or tuple(state.routes) != self._read_routes:
                raise PlanError("the rehearsal's traffic changed while this command ran; "
                                "run it again")
            if change.deploy is not None:
                state.revisions.append(LocalRevision(
                    name=change.deploy.name, version=change.deploy.version,
                    port=servers.free_port(), variant=change.deploy.variant))
            self._serve(state, change.routes)

    def up(self, production_version: str) -> list[tuple[str, bool]]:
        """Start the saved split (first time: the production version at 100 %) and nginx.

        Returns (process, started now) pairs; parts already running are left as they are. A
        proxy port taken by another process is refused before any server starts.
        """
        require_ports([self._nginx()], self._run_dir)
        with locked(self._run_dir):
            state = load_state(self._run_dir)
            routes = tuple(state.routes)
            if not routes:
                name = self.new_revision_name(production_version)
                if all(r.name != name for r in state.revisions):
                    state.revisions.append(LocalRevision(
                        name=name, version=production_version, port=servers.free_port(),
                        variant=PRODUCTION_TAG))
                routes = (Route(name, 100, PRODUCTION_TAG),)
            return self._serve(state, routes)

    def down(self) -> list[tuple[str, bool]]:
        """Stop nginx, then every server; (process, was running) pairs. State and logs stay."""
        state = load_state(self._run_dir)
        stopped = [(nginx.SERVICE_NAME, stop(self._nginx(), self._run_dir))]
        return stopped + [(r.name, stop(self._server(r), self._run_dir))
                          for r in state.revisions]

    def urls(self) -> dict[str, str]:
        """The router's URL; a tagged revision is the same URL with its `X-AB-Tag` header."""
        base = f"http://127.0.0.1:{self._port}"
        routes = load_state(self._run_dir).routes
        return {"service": base, **{r.tag: f"{base} (header {TAG_HEADER}: {r.tag})"
                                    for r in routes if r.tag}}

    def endpoint(self, tag: str | None) -> Endpoint:
        """The router's URL; a tag is reached with the `X-AB-Tag` header (its tag URL)."""
        base = f"http://127.0.0.1:{self._port}"
        return Endpoint(base, {TAG_HEADER: tag} if tag else {})

    def access_log(self) -> Path:
        """nginx's access log: status, route and time of every proxied request."""
        return self._layout.access_log

    def default_logs(self) -> str | None:
        """The folder the local servers append their prediction logs to."""
        return str(servers.log_dir(self._run_dir))

    def processes(self) -> list[tuple[str, int | None, bool]]:
        """(name, pid, healthy) of nginx and every server the rehearsal knows."""
        state = load_state(self._run_dir)
        services = [self._nginx(), *(self._server(r) for r in state.revisions)]
        found = []
        for item in services:
            pid = running_pid(self._run_dir, item)
            found.append((item.name, pid, pid is not None and is_healthy(item.health_url)))
        return found

    def _serve(self, state: LocalState, routes: Sequence[Route]) -> list[tuple[str, bool]]:
        """Run every server `routes` name, point nginx at them, save the state."""
        started = [self._ensure_server(state, name)
                   for name in dict.fromkeys(route.revision for route in routes)]
        executable = nginx.binary()
        ports = {r.name: r.port for r in state.revisions}
        nginx.install(nginx.render(nginx.TEMPLATE.read_text(encoding="utf-8"), self._layout,
                                   self._port, routes, ports), self._layout, executable)
        router = self._nginx(executable)
        if running_pid(self._run_dir, router) is None:
            started.append((router.name, start(router, self._run_dir, self._timeout)))
        else:
            nginx.reload(router, self._run_dir)
            started.append((router.name, False))
        state.routes = list(routes)
        save_state(self._run_dir, state)
        return started

    def _ensure_server(self, state: LocalState, name: str) -> tuple[str, bool]:
        """Start revision `name` unless it runs (on a new port if its old one is taken)."""
        revision = state.revision(name)
        if running_pid(self._run_dir, self._server(revision)) is not None:
            return name, False
        if not is_free("127.0.0.1", revision.port):
            revision.port = servers.free_port()
        save_state(self._run_dir, state)
        return name, start(self._server(revision), self._run_dir, self._timeout)

    def _server(self, revision: LocalRevision) -> Service:
        return servers.server(self._run_dir, revision=revision.name, model_name=self._model_name,
                              version=revision.version, port=revision.port,
                              variant=revision.variant, tracking_uri=self._tracking_uri)

    def _nginx(self, executable: str = nginx.SERVICE_NAME) -> Service:
        """nginx as a process of the rehearsal (finding or stopping it needs no executable)."""
        return nginx.service(self._layout, self._port, executable)
