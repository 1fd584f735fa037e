"""`registry-tools`: inspect the model registry and promote versions through the gate.

Exit codes: 0 done; 1 registry error; 2 bad arguments; 3 refused (or nothing found).
"""

from __future__ import annotations

import json
from typing import Annotated, NoReturn

import typer
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from mlflow_project.registry import naming
from mlflow_project.settings import get_settings
from registry_tools.promotion import PromotionRefused, pending_version, promote
from registry_tools.status import format_table, version_rows
from registry_tools.verdict import verdict_for_data

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)

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
    except PromotionRefused as exc:
        _fail(f"promotion refused: {exc}", EXIT_REFUSED)
    except MlflowException as exc:
        _fail(f"registry error: {exc.message}", 1)
    before = f"v{result.previous_version}" if result.previous_version else "nothing"
    regated = " (re-gated against the current production)" if result.regated else ""
    typer.echo(f"{settings.model_name}@production: {before} -> v{result.version}{regated}")


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
