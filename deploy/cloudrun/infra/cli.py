"""`make deploy-infra` / `make deploy-telemetry`: set up, or print, the platform's Google Cloud.

    python -m deploy.cloudrun.infra [--only telemetry|tracking] [--dry-run] [--definitions DIR]

Creates what is missing and updates what differs, idempotently, through the Google client
libraries (each request built as the library's own message type):

- telemetry (`--only telemetry`, the first step of `make deploy`): the BigQuery dataset of the
  prediction records and its grants, the log sink routing them there, the log-based metrics,
  custom metric descriptors, alert policies and dashboard of deploy/cloudrun/telemetry/definitions;
- tracking (`--only tracking`): the MLflow tracking server on Cloud Run, its Cloud SQL for
  PostgreSQL backend, artifact bucket, Secret Manager secrets and who may call it.

A second run changes nothing. `--dry-run` prints every request of a first run (its type and JSON;
passwords hidden) and sends none; it needs no credentials.

Settings: `CLOUD_RUN_*` (deploy.cloudrun.settings), `TELEMETRY_*` (deploy.cloudrun.telemetry
.settings), `TRACKING_*` (deploy.cloudrun.infra.settings). Credentials: Application Default
Credentials, with the IAM roles of deploy/README.md.

Exit codes: 0 done (or printed); 1 a request failed (the line before says which), an operation
failed, or something still differs after the calls; 2 refused before sending anything (a bad
setting or definition file, no credentials).
"""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from google.api_core.exceptions import GoogleAPIError
from google.auth.exceptions import GoogleAuthError
from requests import RequestException

from contracts.cli import fail
from contracts.settings import SettingsError
from deploy.cloudrun.infra.calls import describe
from deploy.cloudrun.infra.clients import Clients, NoCredentials, connect
from deploy.cloudrun.infra.executor import NotConverged, OperationFailed, converge, sender
from deploy.cloudrun.infra.plan import AmbiguousState, Plan, plan_telemetry, plan_tracking
from deploy.cloudrun.infra.settings import TrackingSettings
from deploy.cloudrun.infra.state import Telemetry, TrackingServer, read_telemetry, read_tracking
from deploy.cloudrun.infra.tracking import Tracking, tracking
from deploy.cloudrun.settings import CloudRunSettings
from deploy.cloudrun.telemetry.definitions import DEFINITIONS, DefinitionError, Definitions, load
from deploy.cloudrun.telemetry.settings import Target, TelemetrySettings

EXIT_FAILED, EXIT_REFUSED = 1, 2
PASSWORD_SHOWN = "(generated when sent)"
Part = Literal["telemetry", "tracking"]
FAILURES = (GoogleAPIError, GoogleAuthError, RequestException, NotConverged, OperationFailed,
            AmbiguousState)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deploy.cloudrun.infra", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true",
                        help="print every request of a first run, send none")
    parser.add_argument("--only", choices=("telemetry", "tracking"),
                        help="one part only (default: both)")
    parser.add_argument("--definitions", type=Path, default=DEFINITIONS,
                        help="folder of the telemetry definition files (default: the package's)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None,
         connect_clients: Callable[[CloudRunSettings], Clients] = connect) -> int:
    """Set up (or print) the infrastructure; see the module docstring for the exit codes."""
    args = _parse(argv)
    parts: tuple[Part, ...] = (args.only,) if args.only else ("telemetry", "tracking")
    try:
        cloud = CloudRunSettings.load()
        target = Target.from_settings(cloud, TelemetrySettings.load())
        definitions = load(target.template_values(), args.definitions)
        tracking_settings = TrackingSettings.load()
        server = tracking(cloud, tracking_settings)
        first = _plan(parts, definitions, target, server, Telemetry(), TrackingServer(),
                      PASSWORD_SHOWN)
    except (SettingsError, DefinitionError) as exc:
        fail(str(exc), EXIT_REFUSED)
    if args.dry_run:
        print(dry_run_text(first, parts, target, server))
        return 0
    if "tracking" in parts and tracking_settings.image is None:
        fail("TRACKING_IMAGE is unset: set it to the digest of the pushed tracking-server image "
             "(REPOSITORY@sha256:..., deploy/README.md, Google Cloud as code, step 3)",
             EXIT_REFUSED)
    password = (tracking_settings.db_password.get_secret_value()
                if tracking_settings.db_password else secrets.token_urlsafe(32))
    try:
        clients = connect_clients(cloud)
    except NoCredentials as exc:
        fail(str(exc), EXIT_REFUSED)

    def plan_round() -> Plan:
        return _plan(parts, definitions, target, server,
                     read_telemetry(clients, definitions, target) if "telemetry" in parts
                     else Telemetry(),
                     read_tracking(clients, server) if "tracking" in parts else TrackingServer(),
                     password)

    try:
        applied = converge(plan_round, sender(clients, tracking_settings.operation_timeout),
                           say=lambda line: print(line, flush=True))
    except FAILURES as exc:
        fail(f"{type(exc).__name__}: {' '.join(str(exc).split())}", EXIT_FAILED)
    print(f"{' and '.join(parts)}: {applied} call(s) made; everything matches its definition"
          if applied else f"{' and '.join(parts)}: everything already matches its definition")
    return 0


def _plan(parts: tuple[Part, ...], definitions: Definitions, target: Target, server: Tracking,
          telemetry: Telemetry, tracked: TrackingServer, password: str) -> Plan:
    plans = [plan_telemetry(definitions, target, telemetry) if part == "telemetry"
             else plan_tracking(server, tracked, password) for part in parts]
    return Plan(tuple(action for part in plans for action in part.actions),
                tuple(note for part in plans for note in part.later))


def dry_run_text(first: Plan, parts: tuple[Part, ...], target: Target, server: Tracking) -> str:
    """Every request of a first run, in order, each under the reason for it."""
    heading = {"telemetry": f"telemetry of Cloud Run service {target.service}",
               "tracking": f"MLflow tracking server {server.service_id} "
                           f"({server.instance.name} on Cloud SQL, gs://{server.bucket})"}
    lines = [f"# {' and '.join(heading[part] for part in parts)} in project {target.project}",
             "# the requests of a first run (a real run reads first and sends only what is "
             "missing or differs):"]
    lines += [describe(action) for action in first.actions]
    lines += [f"# then, read again: {note}" for note in first.later]
    return "\n".join(lines)


def run() -> None:
    """Entry point of `python -m deploy.cloudrun.infra`."""
    sys.exit(main())
