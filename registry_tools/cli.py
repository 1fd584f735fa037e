"""`registry-tools`: inspect the registry; promote, roll back and compare model versions.

Exit codes: 0 done; 1 registry error; 2 bad arguments; 3 refused (or nothing found).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, NoReturn

import typer
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from mlflow_project.registry import naming
from mlflow_project.settings import get_settings
from registry_tools import audit
from registry_tools.ab.cli import app as ab_app
from registry_tools.compare import compare_versions, format_comparison
from registry_tools.lock import LockTimeout
from registry_tools.promotion import PromotionRefused, pending_version, promote, rollback
from registry_tools.status import format_table, version_rows
from registry_tools.verdict import verdict_for_data

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
app.add_typer(ab_app, name="ab")

EXIT_REFUSED = 3


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Every version with its aliases, gate verdict, metrics and lineage."""
    settings = get_settings()
    rows = version_rows(MlflowClient(), settings.model_name)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    elif rows:
        typer.echo(format_table(rows))
    else:
        typer.echo(f"no versions of {settings.model_name} registered yet")


@app.command()
def verdict(
    data_sha256: Annotated[str, typer.Option(help="SHA-256 of the training data snapshot")],
) -> None:
    """Print (JSON) the verdict on the newest version trained on that data; exit 3 if none."""
    settings = get_settings()
    found = verdict_for_data(MlflowClient(), settings.model_name, data_sha256)
    if found is None:
        _fail(f"no version of {settings.model_name} was trained on data {data_sha256}",
              EXIT_REFUSED)
    typer.echo(json.dumps(found))


@app.command("promote")
def promote_command(
    version: Annotated[str | None, typer.Option(help="version number to promote")] = None,
    from_alias: Annotated[str | None, typer.Option(
        "--from", help="promote the version this alias points at (only: challenger)")] = None,
    reason: Annotated[str, typer.Option(help="why; recorded with the move")] = "",
    force: Annotated[bool, typer.Option(help="skip the gate (needs --reason)")] = False,
    if_pending: Annotated[bool, typer.Option(
        help="with --from challenger: succeed quietly when no version awaits promotion")] = False,
) -> None:
    """Point @production at a version that passed the gate, re-checking it if production moved."""
    settings = get_settings()
    client = MlflowClient()
    if (version is None) == (from_alias is None):
        _fail("give exactly one of --version N or --from challenger", 2)
    if from_alias not in (None, naming.CHALLENGER):
        _fail(f"--from takes only '{naming.CHALLENGER}'", 2)
    try:
        target = version or pending_version(client, settings.model_name)
        if target is None:
            if if_pending:
                typer.echo(f"no version of {settings.model_name} awaits promotion; "
                           "production is unchanged")
                return
            _fail(f"{settings.model_name} has no @{naming.CHALLENGER}: no version awaits "
                  "promotion (train one that passes the gate first)", EXIT_REFUSED)
        result = promote(client, settings.model_name, target, actor=settings.actor,
                         reason=reason, policy=settings.gate_policy, force=force)
    except (PromotionRefused, LockTimeout) as exc:
        _fail(f"promotion refused: {exc}", EXIT_REFUSED)
    except MlflowException as exc:
        _fail(f"registry error: {exc.message}", 1)
    before = f"v{result.previous_version}" if result.previous_version else "nothing"
    regated = " (re-gated against the current production)" if result.regated else ""
    typer.echo(f"{settings.model_name}@production: {before} -> v{result.version}{regated}")


@app.command("rollback")
def rollback_command(
    reason: Annotated[str, typer.Option(help="why; recorded with the move")] = "",
) -> None:
    """Point @production back at the version it served before (from the audit trail)."""
    settings = get_settings()
    try:
        result = rollback(MlflowClient(), settings.model_name, actor=settings.actor,
                          reason=reason)
    except (PromotionRefused, LockTimeout) as exc:
        _fail(f"rollback refused: {exc}", EXIT_REFUSED)
    except MlflowException as exc:
        _fail(f"registry error: {exc.message}", 1)
    typer.echo(f"{settings.model_name}@production: v{result.previous_version} -> "
               f"v{result.version} (rollback)")


@app.command()
def compare(
    first: Annotated[str, typer.Argument(help="version A")],
    second: Annotated[str, typer.Argument(help="version B")],
    data: Annotated[str | None, typer.Option(
        help="labelled CSV/Parquet to score on (default: the newer version's hold-out)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Two versions' metrics side by side on the same evaluation data."""
    settings = get_settings()
    frame = None
    if data is not None:
        from mlflow_project.data.dataset import load_tickets

        frame = load_tickets(data).validation.valid
    try:
        result = compare_versions(MlflowClient(), settings.model_name, first, second, frame)
    except MlflowException as exc:
        _fail(f"registry error: {exc.message}", 1)
    typer.echo(json.dumps(result, indent=2) if as_json else format_comparison(result))


@app.command()
def history(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """The audit trail: every promotion and rollback, oldest first."""
    settings = get_settings()
    found = audit.entries(MlflowClient(), settings.model_name)
    if as_json:
        typer.echo(json.dumps([asdict(e) for e in found], indent=2))
        return
    for e in found:
        typer.echo(f"#{e.sequence:<4} {e.at}  {e.action:8} {e.alias}: "
                   f"v{e.from_version or '-'} -> v{e.to_version}  by {e.actor}  ({e.reason})")


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
