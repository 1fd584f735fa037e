"""`python -m deploy.rollout`: roll a model version out with a smoke test and watched steps.

The candidate revision gets a tag and no traffic, must pass a smoke test on its tag URL, then
takes `ROLLOUT_STEPS` of traffic, each watched for `ROLLOUT_WINDOW_SECONDS`; a breach of
`ROLLOUT_MAX_ERROR_RATE` or `ROLLOUT_MAX_P99_MS` sends all traffic back to the previous revision.
Targets: `local` (the A/B rehearsal, `ab up` first) or `cloudrun` (`CLOUD_RUN_*`). `--dry-run`
calls nothing and prints every change, request and query. Exit codes: 0 the candidate serves all
traffic; 1 Cloud Run, Cloud Monitoring or process error; 2 bad arguments or settings; 3 refused
(the plan says no, or the smoke test failed: the candidate got no traffic); 4 rolled back (a
watch breached: all traffic is back on the previous revision).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from google.api_core.exceptions import GoogleAPICallError
from google.auth.exceptions import GoogleAuthError

from contracts.cli import fail, help_text, run_cli
from contracts.settings import ModelSettings, SettingsError
from contracts.traffic import PlanError, format_routes, serving_revision
from deploy.cloudrun.deployments import RecordNotFound
from deploy.cloudrun.images import ImageError
from deploy.cloudrun.settings import CloudRunSettings
from deploy.local.ab.nginx import NginxError
from deploy.local.ab.settings import AbSettings
from deploy.local.ab.target import LocalTarget
from deploy.local.processes import StackError
from deploy.rollout import runner
from deploy.rollout.credentials import smoke_test
from deploy.rollout.dry_run import PlannedObserver, PlannedSmoke, PlannedTarget, cloud_plan
from deploy.rollout.observers import AccessLogObserver, Observer
from deploy.rollout.plan import back_to
from deploy.rollout.settings import RolloutSettings
from deploy.rollout.smoke import SmokeFailed
from deploy.targets import Target, TargetKind

app = typer.Typer(add_completion=False)

EXIT_ERROR, EXIT_USAGE, EXIT_REFUSED, EXIT_ROLLED_BACK = 1, 2, 3, 4


@app.command(help=help_text(__doc__))
def rollout(
    version: Annotated[str, typer.Option(help="registry version the candidate serves")],
    revision: Annotated[str | None, typer.Option(
        help="the candidate revision when it exists already (Cloud Build deployed it); default: "
             "the newest revision of VERSION, else a new one")] = None,
    target: Annotated[TargetKind | None, typer.Option(
        help="local or cloudrun (default: AB_TARGET, else local)")] = None,
    image: Annotated[str | None, typer.Option(
        help="cloudrun: image digest (REPOSITORY@sha256:...) of a revision this deploys "
             "(default: the digest the version's newest deployment record names)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the plan, call nothing")
                       ] = False,
) -> None:
    """Tag, smoke-test, then shift traffic step by step under watch; roll back on a breach."""
    with handled():
        settings, cloud = RolloutSettings.load(), CloudRunSettings.load()
        kind = target or AbSettings.load().target
        plan = runner.Rollout(version=version, steps=settings.steps,
                              window_seconds=settings.window_seconds,
                              thresholds=settings.thresholds, revision=revision)
        if dry_run:
            print_plan(plan, kind, settings, cloud, image=image)
            return
        chosen, observer = _target(kind, cloud, image)
        smoke = smoke_test(settings, cloud, kind)
        runner.run(plan, chosen, observer, smoke, echo=typer.echo)


def print_plan(plan: runner.Rollout, kind: TargetKind, settings: RolloutSettings,
               cloud: CloudRunSettings, *, image: str | None = None) -> None:
    """The whole rollout as it would run on `kind`, with the rollback a breach would apply;
    nothing is called (the local target's state file is read)."""
    smoke = PlannedSmoke(smoke_test(settings, cloud, kind, dry_run=True))
    planned: PlannedTarget
    observer: Observer
    if kind is TargetKind.CLOUDRUN:
        from deploy.rollout.cloud_monitoring import CloudMonitoringObserver

        planned = cloud_plan(cloud, revision=plan.revision, version=plan.version, image=image,
                             echo=typer.echo)
        observer = CloudMonitoringObserver(cloud)
    else:
        local = _local(cloud)
        snapshot = local.snapshot()
        planned = PlannedTarget(
            snapshot, local.description, echo=typer.echo, endpoint=local.endpoint,
            new_revision_name=local.new_revision_name,
            commands=lambda change: [f"nginx split: {format_routes(change.routes, snapshot)}"])
        observer = AccessLogObserver(local.access_log())
    runner.run(plan, planned, PlannedObserver(observer), smoke, echo=typer.echo,
               wait=lambda _seconds: None)
    typer.echo("on a breach, the rollback:")
    planned.apply(back_to(serving_revision(planned.snapshot())))


def _target(kind: TargetKind, cloud: CloudRunSettings,
            image: str | None) -> tuple[Target, Observer]:
    """The target and the observer that watches it."""
    if kind is TargetKind.CLOUDRUN:
        from deploy.cloudrun.traffic import CloudRunTarget  # loads the API clients
        from deploy.rollout.cloud_monitoring import CloudMonitoringObserver

        return CloudRunTarget(cloud, image=image), CloudMonitoringObserver(cloud)
    local = _local(cloud)
    return local, AccessLogObserver(local.access_log())


def _local(cloud: CloudRunSettings) -> LocalTarget:
    import mlflow

    return LocalTarget(AbSettings.load(), service=cloud.service,
                       model_name=ModelSettings.load().model_name,
                       tracking_uri=mlflow.get_tracking_uri())


@contextmanager
def handled() -> Iterator[None]:
    """The outcomes and errors a person acts on, as one line and an exit code."""
    try:
        yield
    except SettingsError as exc:
        fail(str(exc), EXIT_USAGE)
    except (PlanError, RecordNotFound) as exc:
        fail(f"refused: {exc}", EXIT_REFUSED)
    except ImageError as exc:
        fail(str(exc), EXIT_USAGE)
    except SmokeFailed as exc:
        fail(f"refused: smoke test failed, the candidate got no traffic: {exc}", EXIT_REFUSED)
    except runner.RolledBack as exc:
        fail(f"rolled back: {exc}", EXIT_ROLLED_BACK)
    except GoogleAPICallError as exc:
        fail(f"Google Cloud API error: {exc.code} {exc.message}", EXIT_ERROR)
    except GoogleAuthError as exc:
        fail(f"Google credentials: {exc}", EXIT_ERROR)
    except (StackError, NginxError) as exc:
        fail(str(exc), EXIT_ERROR)


def main() -> None:
    """The console entry point."""
    run_cli(app, prog_name="python -m deploy.rollout")
