"""`registry-tools ab`: A/B test a challenger model version against production.

Targets: `local` (default; a rehearsal on this machine: `ab up` first) or `cloudrun` (the
`CLOUD_RUN_*` service, through traffic tags). Every change prints its plan; `--dry-run` prints it
and stops. Exit codes: 0 done; 1 registry, Cloud Run or process error; 2 bad arguments or
settings; 3 refused (the plan or the gate says no, a challenger failed the smoke test `start`
runs on its tag URL before it gets traffic, or an input such as the prediction logs or the
feedback file cannot be used; the message says why and what to do). A feedback file is judged by
the same rules, with the same exit code, as `monitor` judges it.
"""
# It lives in `deploy` because it drives deploy targets; `deploy.registry_tools_cli` adds it to
# `registry-tools`. MLflow, pandas, SciPy and the model code are imported only when a command
# runs, so `--help` answers at once.

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from contracts.cli import fail, help_text
from contracts.settings import SettingsError
from contracts.traffic import (
    CHALLENGER_TAG,
    Change,
    PlanError,
    Snapshot,
    active_split,
    describe,
    plan_abort,
    plan_promote,
    plan_rollback,
    plan_start,
)
from deploy.cloudrun.deployments import RecordNotFound
from deploy.cloudrun.images import ImageError
from deploy.cloudrun.settings import CloudRunSettings
from deploy.local.ab.nginx import NginxError
from deploy.local.ab.settings import AbSettings
from deploy.local.ab.target import LocalTarget
from deploy.local.processes import StackError
from deploy.rollout.plan import tag_only
from deploy.rollout.settings import RolloutSettings
from deploy.rollout.smoke import SmokeFailed
from deploy.targets import Endpoint, Target, TargetKind
from mlflow_project.monitoring.errors import InputUnusable
from mlflow_project.tracking_store import unreachable_server

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from mlflow_project.settings import ProjectSettings

app = typer.Typer(help=help_text(__doc__), no_args_is_help=True, add_completion=False)

EXIT_ERROR, EXIT_USAGE, EXIT_REFUSED = 1, 2, 3

PlanT = TypeVar("PlanT")
TargetOption = Annotated[TargetKind | None, typer.Option(
    "--target", help="local or cloudrun (default: AB_TARGET, else local)")]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="print the plan, change nothing")]
ReasonOption = Annotated[str, typer.Option(help="why; recorded in the registry")]
ImageOption = Annotated[str | None, typer.Option(
    help="cloudrun: image digest (REPOSITORY@sha256:...) of a revision this deploys; tags are "
         "refused (default: the digest the version's newest deployment record names)")]


@dataclass(frozen=True)
class Context:
    """What every command works with: settings, the registry client and the target (and, on
    Cloud Run, how it finds the image digest of a revision it deploys)."""

    project: ProjectSettings
    cloud: CloudRunSettings
    client: MlflowClient
    target: Target
    image_for: Callable[[str], str] | None = None


@app.command()
def up() -> None:
    """Local rehearsal only: serve @production behind nginx (a no-op for parts already up)."""
    from mlflow import MlflowClient

    from mlflow_project.settings import ProjectSettings
    from registry_tools.ab import registry

    with _handled():
        settings, cloud = AbSettings.load(), CloudRunSettings.load()
        project = ProjectSettings.load()
        client = MlflowClient()
        production = registry.require_production(registry.read_view(client, project.model_name))
        target = _local(settings, cloud, project)
        for name, started in target.up(production):
            typer.echo(f"{name}: {'started' if started else 'already running'}")
        typer.echo(f"{target.description}\n  send predictions to {target.urls()['service']}"
                   "/predict; registry-tools ab status shows the split")


@app.command()
def down() -> None:
    """Local rehearsal only: stop nginx and every server it started; state and logs stay."""
    from mlflow_project.settings import ProjectSettings

    with _handled():
        target = _local(AbSettings.load(), CloudRunSettings.load(), ProjectSettings.load())
        for name, stopped in target.down():
            typer.echo(f"{name}: {'stopped' if stopped else 'not running'}")


@app.command()
def start(
    version: Annotated[str, typer.Option(help="registry version to test (passed the gate)")],
    percent: Annotated[int, typer.Option(help="share of traffic it gets, 1-99")],
    reason: ReasonOption = "",
    image: ImageOption = None,
    target: TargetOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Deploy VERSION as the challenger (if it has no revision yet) with no traffic, smoke-test
    its tag URL, and only then give it PERCENT %."""
    from deploy.rollout.credentials import smoke_test
    from registry_tools.ab import registry

    with _handled():
        ctx = _context(target, image)
        view = registry.read_view(ctx.client, ctx.project.model_name)
        registry.check_candidate(view, version)
        production = registry.require_production(view)
        snapshot = ctx.target.snapshot()
        change = plan_start(snapshot, version=version, percent=percent,
                            production_version=production, name_for=ctx.target.new_revision_name)
        _show(ctx, snapshot, change, f"registry: v{version} tagged as an experiment started at "
                                     f"{percent}% ({reason or 'no reason given'})")
        production_route, challenger_route = change.routes
        staged = tag_only(production_route.revision, challenger_route.revision, CHALLENGER_TAG,
                          change.deploy)
        kind = TargetKind.LOCAL if isinstance(ctx.target, LocalTarget) else TargetKind.CLOUDRUN
        smoke = smoke_test(RolloutSettings.load(), ctx.cloud, kind, dry_run=dry_run)
        typer.echo(f"  first: {challenger_route.revision} with no traffic, then its smoke test:")
        if dry_run:
            for line in smoke.plan(Endpoint(f"<{CHALLENGER_TAG} tag URL>"), version):
                typer.echo(f"    {line}")
            return
        ctx.target.apply(staged)
        for line in smoke.run(ctx.target.endpoint(CHALLENGER_TAG), version):
            typer.echo(f"    {line}")
        ctx.target.snapshot()
        ctx.target.apply(Change(change.action, change.routes))
        registry.record_start(ctx.client, view.name, version, percent=percent,
                              actor=ctx.project.actor, reason=reason)
        typer.echo(f"A/B test running: v{version} gets {percent}%, v{production} the rest")


@app.command()
def promote(
    reason: ReasonOption = "",
    force: Annotated[bool, typer.Option(help="skip the gate (needs --reason)")] = False,
    target: TargetOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Make the challenger production: @production through the gate, then 100 % of traffic."""
    from registry_tools.ab import registry

    with _handled():
        ctx, snapshot, (change, version) = _planned(target, plan_promote)
        view = registry.read_view(ctx.client, ctx.project.model_name)
        gate = "skipping the gate (forced)" if force else "through the gate"
        _show(ctx, snapshot, change, f"registry: @production v{view.production} -> v{version} "
                                     f"{gate}")
        if dry_run:
            return
        reason = reason or ("" if force else "won its A/B test")  # --force needs a reason
        moved = registry.promote_through_gate(ctx.client, view, version, actor=ctx.project.actor,
                                              reason=reason, policy=ctx.project.gate_policy,
                                              force=force)
        try:
            ctx.target.apply(change)
        except Exception as exc:  # the registry moved: say so, and how to finish the job
            fail(f"@production is v{version} but the traffic change failed ({exc}); run "
                 "registry-tools ab promote again to finish", EXIT_ERROR)
        registry.record_end(ctx.client, view.name, version, outcome="promoted", reason=reason)
        before = f"v{moved.previous_version}" if moved and moved.previous_version else "-"
        typer.echo(f"promoted: @production {before} -> v{version}, 100% of traffic on v{version}")


@app.command()
def abort(
    reason: ReasonOption = "",
    target: TargetOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """End the A/B test: 100 % of traffic back to the production revision."""
    from registry_tools.ab import registry

    with _handled():
        ctx, snapshot, (change, version) = _planned(target, plan_abort)
        _show(ctx, snapshot, change, "registry: @production unchanged; the challenger's "
                                     f"experiment recorded as aborted ({reason or 'no reason'})")
        if dry_run:
            return
        ctx.target.apply(change)
        if version is not None:
            registry.record_end(ctx.client, ctx.project.model_name, version, outcome="aborted",
                                reason=reason)
        typer.echo("aborted: all traffic back on production")


@app.command()
def rollback(
    reason: Annotated[str, typer.Option(help="why; recorded with the alias move")],
    image: ImageOption = None,
    target: TargetOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Send all traffic back to the previous production version, then move @production back.

    Traffic moves first: in an incident the users' fix must not wait for the registry.
    """
    from mlflow.exceptions import MlflowException

    from mlflow_project.registry.lock import LockTimeout
    from registry_tools.ab import registry
    from registry_tools.promotion import PromotionRefused
    from registry_tools.promotion import rollback as rollback_alias

    with _handled():
        ctx = _context(target, image)
        view = registry.read_view(ctx.client, ctx.project.model_name)
        snapshot = ctx.target.snapshot()
        change = plan_rollback(snapshot, previous_version=view.previous,
                               name_for=ctx.target.new_revision_name)
        _show(ctx, snapshot, change, f"registry: @production v{view.production} -> "
                                     f"v{view.previous} (rollback: {reason})")
        if dry_run:
            return
        ctx.target.apply(change)
        try:
            rollback_alias(ctx.client, view.name, actor=ctx.project.actor, reason=reason)
        except (MlflowException, PromotionRefused, LockTimeout) as exc:
            fail(f"traffic is back on v{view.previous} but @production could not follow "
                 f"({exc}); run registry-tools rollback --reason '{reason}'", EXIT_ERROR)
        typer.echo(f"rolled back: v{view.previous} serves all traffic and is @production")


@app.command()
def status(
    logs: Annotated[str | None, typer.Option(
        help="prediction logs: a folder or gs:// prefix of *.jsonl, a Cloud Logging sink's "
             "export (logging+gs://BUCKET/LOG_FOLDER) or its BigQuery table "
             "(bq://PROJECT.DATASET.TABLE) (default: the local rehearsal's logs)")] = None,
    feedback: Annotated[str | None, typer.Option(
        help="CSV ticket_id,urgent of tickets whose true urgency is known (path or gs://)")
    ] = None,
    since_option: Annotated[str, typer.Option(
        "--since", help="'experiment' (the running A/B test's start), 'all', or an ISO-8601 "
                        "time")] = "experiment",
    target: TargetOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Traffic, tags and revisions, and per-variant figures from the prediction logs."""
    from mlflow_project.monitoring.feedback import load_feedback
    from registry_tools.ab import registry
    from registry_tools.ab.analysis import figures
    from registry_tools.ab.logs import read_log
    from registry_tools.ab.report import status_document

    with _handled():
        ctx = _context(target)
        view = registry.read_view(ctx.client, ctx.project.model_name)
        snapshot = ctx.target.snapshot()
        try:
            split = active_split(snapshot)
        except PlanError as exc:  # traffic ab did not make: still show it
            typer.echo(f"warning: {exc}", err=True)
            split = None
        challenger = snapshot.version_of(split.challenger) if split else None
        roles = {v: role for v, role in ((view.production, "production"),
                                         (challenger, "challenger")) if v is not None}
        start_at = _since(since_option, view.experiment_started.get(challenger or ""))
        location = logs or ctx.target.default_logs()
        if logs is None and location is not None and not Path(location).exists():
            location = None  # the rehearsal has not served yet: nothing to analyse
        rows, analysis = [], None
        if location is not None:
            parsed = read_log(location, start_at)
            labels = load_feedback(feedback).labels if feedback else {}
            rows = figures(parsed.records, labels, roles) if parsed.records else []
            analysis = {"logs": location, "since": start_at.isoformat() if start_at else None,
                        "files": parsed.files, "records": len(parsed.records),
                        "malformed_lines": parsed.malformed, "labels": len(labels)}
        registry_facts = {"model": view.name, "production": view.production,
                          "previous": view.previous, "challenger": challenger,
                          "split_percent": split.percent if split else None}
        urls = ctx.target.urls()
        if as_json:
            typer.echo(_json(status_document(target=ctx.target.description, snapshot=snapshot,
                                             urls=urls, registry=registry_facts,
                                             analysis=analysis, rows=rows)))
            return
        _print_status(ctx, snapshot, urls, registry_facts, analysis, rows)


def _planned(target: TargetKind | None, plan: Callable[[Snapshot], PlanT]
             ) -> tuple[Context, Snapshot, PlanT]:
    """The command's context, one read of the target, and the change planned on that read."""
    ctx = _context(target)
    snapshot = ctx.target.snapshot()
    return ctx, snapshot, plan(snapshot)


def _print_status(ctx: Context, snapshot: Snapshot, urls: dict[str, str],
                  facts: dict[str, Any], analysis: dict[str, Any] | None,
                  rows: list[Any]) -> None:
    from registry_tools.ab.report import figures_table, traffic_lines

    typer.echo(ctx.target.description)
    experiment = (f"A/B test: v{facts['challenger']} at {facts['split_percent']}%"
                  if facts["challenger"] else "no A/B test running")
    typer.echo(f"registry: {facts['model']} @production v{facts['production']} "
               f"(previous: {facts['previous'] or '-'}); {experiment}")
    for line in traffic_lines(snapshot, urls):
        typer.echo(line)
    if isinstance(ctx.target, LocalTarget):
        for name, pid, healthy in ctx.target.processes():
            state = "ready" if healthy else ("not ready" if pid else "stopped")
            typer.echo(f"  process {name}: {state}" + (f" (pid {pid})" if pid else ""))
    if analysis is None:
        typer.echo("predictions: no logs to analyse (--logs: a folder or gs:// prefix of "
                   "prediction logs)")
        return
    typer.echo(f"predictions since {analysis['since'] or 'the beginning'} in {analysis['logs']} "
               f"({analysis['files']} files): {analysis['records']} records, "
               f"{analysis['malformed_lines']} malformed lines skipped, labels for "
               f"{analysis['labels']} tickets")
    if rows:
        typer.echo(figures_table(rows))


def _context(kind: TargetKind | None, image: str | None = None) -> Context:
    """Settings validated once, the registry client, and the chosen target."""
    from mlflow import MlflowClient

    from mlflow_project.settings import ProjectSettings

    settings, cloud, project = AbSettings.load(), CloudRunSettings.load(), ProjectSettings.load()
    chosen = kind or settings.target
    if chosen is TargetKind.LOCAL:
        return Context(project=project, cloud=cloud, client=MlflowClient(),
                       target=_local(settings, cloud, project))
    from deploy.cloudrun.traffic import CloudRunTarget  # loads the API client

    cloud_run = CloudRunTarget(cloud, image=image)
    return Context(project=project, cloud=cloud, client=MlflowClient(), target=cloud_run,
                   image_for=cloud_run.image_for)


def _local(settings: AbSettings, cloud: CloudRunSettings,
           project: ProjectSettings) -> LocalTarget:
    import mlflow

    return LocalTarget(settings, service=cloud.service, model_name=project.model_name,
                       tracking_uri=mlflow.get_tracking_uri())


def _show(ctx: Context, snapshot: Snapshot, change: Change, registry_line: str) -> None:
    typer.echo(f"{ctx.target.description}\nplan ({change.action}):")
    lines = describe(snapshot, change)
    if change.deploy is not None and ctx.image_for is not None:
        lines.insert(1, f"its image: {ctx.image_for(change.deploy.version)}")
    for line in [*lines, registry_line]:
        typer.echo(f"  {line}")


def _since(option: str, experiment_start: str | None) -> datetime | None:
    if option == "all":
        return None
    text = experiment_start if option == "experiment" else option
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SettingsError(f"--since must be 'experiment', 'all' or an ISO-8601 time "
                            f"(got {option!r})") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _json(document: dict[str, Any]) -> str:
    import json

    return json.dumps(document, indent=2, default=str)


@contextmanager
def _handled() -> Iterator[None]:
    """Turn the errors a person can act on into one line and an exit code."""
    from google.api_core.exceptions import GoogleAPICallError
    from mlflow.exceptions import MlflowException

    from mlflow_project.data.io import DataSourceError
    from mlflow_project.registry.lock import LockTimeout
    from registry_tools.promotion import PromotionRefused

    try:
        yield
    except SettingsError as exc:
        fail(str(exc), EXIT_USAGE)
    except (InputUnusable, DataSourceError) as exc:
        fail(str(exc), EXIT_REFUSED)
    except (PlanError, PromotionRefused, LockTimeout, RecordNotFound) as exc:
        fail(f"refused: {exc}", EXIT_REFUSED)
    except SmokeFailed as exc:
        fail(f"refused: the challenger failed its smoke test and got no traffic: {exc}",
             EXIT_REFUSED)
    except ImageError as exc:
        fail(str(exc), EXIT_USAGE)
    except MlflowException as exc:
        fail(unreachable_server(exc) or f"registry error: {exc.message}", EXIT_ERROR)
    except GoogleAPICallError as exc:
        fail(f"Cloud Run API error: {exc.code} {exc.message}", EXIT_ERROR)
    except (StackError, NginxError) as exc:
        fail(str(exc), EXIT_ERROR)
