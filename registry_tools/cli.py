"""`registry-tools`: inspect the registry; promote, roll back and compare model versions.

Exit codes: 0 done; 1 registry error; 2 bad arguments; 3 refused (or nothing found).
"""
# The commands import MLflow, pandas and the model code only when they run, so `--help` and
# argument errors answer at once (tests/test_cli_imports.py keeps it so).

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from contracts.cli import fail
from mlflow_project.registry import naming
from mlflow_project.tracking_store import unreachable_server, use_tracking_store
from registry_tools.arguments import optional_version_number, sha256_digest, version_number

if TYPE_CHECKING:
    import pandas as pd
    from mlflow.exceptions import MlflowException

# The registry commands; `build_app` puts them under one command with the tracking-store callback.
commands = typer.Typer(add_completion=False)

EXIT_REGISTRY = 1
EXIT_REFUSED = 3
NOT_FOUND = "RESOURCE_DOES_NOT_EXIST"


@commands.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Every version with its aliases, gate verdict, metrics and lineage."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from mlflow_project.settings import ProjectSettings
    from registry_tools.status import format_table, version_rows

    settings = ProjectSettings.load()
    try:
        rows = version_rows(MlflowClient(), settings.model_name)
    except MlflowException as exc:
        _registry_error(exc)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    elif rows:
        typer.echo(format_table(rows))
    else:
        typer.echo(f"no versions of {settings.model_name} registered yet")


@commands.command()
def verdict(
    data_sha256: Annotated[str, typer.Option(help="SHA-256 of the training data snapshot",
                                             callback=sha256_digest)],
) -> None:
    """Print (JSON) the verdict on the newest version trained on that data; exit 3 if none."""
    from mlflow import MlflowClient

    from mlflow_project.settings import ProjectSettings
    from registry_tools.verdict import verdict_for_data

    settings = ProjectSettings.load()
    found = verdict_for_data(MlflowClient(), settings.model_name, data_sha256)
    if found is None:
        fail(f"no version of {settings.model_name} was trained on data {data_sha256}",
             EXIT_REFUSED)
    typer.echo(json.dumps(found))


@commands.command("promote")
def promote_command(
    version: Annotated[str | None, typer.Option(help="version number to promote",
                                                callback=optional_version_number)] = None,
    from_alias: Annotated[str | None, typer.Option(
        "--from", help="promote the version this alias points at (only: challenger)")] = None,
    reason: Annotated[str, typer.Option(help="why; recorded with the move")] = "",
    force: Annotated[bool, typer.Option(help="skip the gate (needs --reason)")] = False,
    if_pending: Annotated[bool, typer.Option(
        help="with --from challenger: succeed quietly when no version awaits promotion")] = False,
) -> None:
    """Point @production at a version that passed the gate, re-checking it if production moved."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from mlflow_project.registry.lock import LockTimeout
    from mlflow_project.settings import ProjectSettings
    from registry_tools.promotion import PromotionRefused, pending_version, promote

    settings = ProjectSettings.load()
    client = MlflowClient()
    if (version is None) == (from_alias is None):
        fail("give exactly one of --version N or --from challenger", 2)
    if from_alias not in (None, naming.CHALLENGER):
        fail(f"--from takes only '{naming.CHALLENGER}'", 2)
    try:
        target = version or pending_version(client, settings.model_name)
        if target is None:
            if if_pending:
                typer.echo(f"no version of {settings.model_name} awaits promotion; "
                           "production is unchanged")
                return
            fail(f"{settings.model_name} has no @{naming.CHALLENGER}: no version awaits "
                 "promotion (train one that passes the gate first)", EXIT_REFUSED)
        result = promote(client, settings.model_name, target, actor=settings.actor,
                         reason=reason, policy=settings.gate_policy, force=force)
    except (PromotionRefused, LockTimeout) as exc:
        fail(f"promotion refused: {exc}", EXIT_REFUSED)
    except MlflowException as exc:
        _registry_failure(exc, "promotion refused")
    before = f"v{result.previous_version}" if result.previous_version else "nothing"
    regated = " (re-gated against the current production)" if result.regated else ""
    typer.echo(f"{settings.model_name}@production: {before} -> v{result.version}{regated}")


@commands.command("rollback")
def rollback_command(
    reason: Annotated[str, typer.Option(help="why; recorded with the move")] = "",
) -> None:
    """Point @production back at the version it served before (from the audit trail)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from mlflow_project.registry.lock import LockTimeout
    from mlflow_project.settings import ProjectSettings
    from registry_tools.promotion import PromotionRefused, rollback

    settings = ProjectSettings.load()
    try:
        result = rollback(MlflowClient(), settings.model_name, actor=settings.actor,
                          reason=reason)
    except (PromotionRefused, LockTimeout) as exc:
        fail(f"rollback refused: {exc}", EXIT_REFUSED)
    except MlflowException as exc:
        _registry_failure(exc, "rollback refused")
    typer.echo(f"{settings.model_name}@production: v{result.previous_version} -> "
               f"v{result.version} (rollback)")


@commands.command()
def compare(
    first: Annotated[str, typer.Argument(help="version A", callback=version_number)],
    second: Annotated[str, typer.Argument(help="version B", callback=version_number)],
    data: Annotated[str | None, typer.Option(
        help="labelled CSV/Parquet to score on (default: the newer version's hold-out)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Two versions' metrics side by side on the same evaluation data."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from mlflow_project.settings import ProjectSettings
    from registry_tools.compare import compare_versions, format_comparison

    settings = ProjectSettings.load()
    frame = None
    if data is not None:
        frame = _labelled_rows(data)
    try:
        result = compare_versions(MlflowClient(), settings.model_name, first, second, frame)
    except MlflowException as exc:
        _registry_failure(exc, "nothing to compare")
    typer.echo(json.dumps(result, indent=2) if as_json else format_comparison(result))


@commands.command()
def history(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """The audit trail, oldest first: every nomination, promotion, rollback and clearing."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from mlflow_project.registry import audit
    from mlflow_project.settings import ProjectSettings

    settings = ProjectSettings.load()
    try:
        found = audit.entries(MlflowClient(), settings.model_name)
    except MlflowException as exc:
        if exc.error_code != NOT_FOUND:  # a model never registered has an empty trail
            _registry_error(exc)
        found = []
    if as_json:
        typer.echo(json.dumps([asdict(e) for e in found], indent=2))
        return
    if not found:
        typer.echo(f"no alias moves of {settings.model_name} recorded yet")
    for e in found:
        typer.echo(f"#{e.sequence:<4} {e.at}  {e.action:8} @{e.alias}: "
                   f"{_version_label(e.from_version)} -> {_version_label(e.to_version)}  "
                   f"by {e.actor}  ({e.reason})")


def _version_label(version: str | None) -> str:
    """`v3`, or `-` where the alias was unset (before a nomination, after a clearing)."""
    return f"v{version}" if version else "-"


def _labelled_rows(data: str) -> pd.DataFrame:
    """The valid rows of a labelled ticket file; exit 3 naming the file and what is wrong when
    it cannot be read, lacks a contract column, or has no valid row to score."""
    from mlflow_project.data.contract import ContractError
    from mlflow_project.data.dataset import load_tickets
    from mlflow_project.data.io import DataSourceError

    try:
        validation = load_tickets(data).validation
    except (DataSourceError, ContractError) as exc:
        fail(f"cannot compare, --data refused: {exc}", EXIT_REFUSED)
    if validation.valid.empty:
        fail(f"cannot compare on {data}: none of its {validation.total_rows} row(s) honours "
             "the data contract (`ticket-urgency validate --data FILE` lists why)", EXIT_REFUSED)
    return validation.valid


def _registry_failure(exc: MlflowException, refusal: str) -> NoReturn:
    """Exit 3 when the registry has no such model or version, else 1 (the registry failed)."""
    if exc.error_code == NOT_FOUND:
        fail(f"{refusal}: {exc.message}", EXIT_REFUSED)
    _registry_error(exc)


def _registry_error(exc: MlflowException) -> NoReturn:
    """Exit 1: the tracking server is unreachable (one line naming it), or it failed."""
    fail(unreachable_server(exc) or f"registry error: {exc.message}", EXIT_REGISTRY)


def build_app(**groups: typer.Typer) -> typer.Typer:
    """The `registry-tools` command: the registry commands, run on the project's tracking store
    (`MLFLOW_TRACKING_URI`, else the embedded one, said so), plus `groups` by name (`deploy`
    adds `ab`, which drives deploy targets and so lives above this package)."""
    app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
    app.callback()(use_tracking_store)
    app.add_typer(commands)
    for name, group in groups.items():
        app.add_typer(group, name=name)
    return app
