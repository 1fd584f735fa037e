"""`local-stack`: run the GCS emulator and an MLflow server on PostgreSQL on this machine."""

from __future__ import annotations

import time

import typer

from contracts.cli import run_cli
from deploy.local.processes import StackError
from deploy.local.stack.settings import StackSettings
from deploy.local.stack.stack import down, status, up

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)


@app.command("up")
def up_command() -> None:
    """Start the stack (a no-op for parts already running) and wait until each answers."""
    settings = StackSettings.load()
    began = time.monotonic()
    try:
        started = up(settings)
    except StackError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    for name, now in started:
        typer.echo(f"{name}: {'started' if now else 'already running'}")
    typer.echo(f"stack up in {time.monotonic() - began:.1f} s. Point the project at it with:\n"
               f"  export MLFLOW_TRACKING_URI={settings.tracking_uri}")


@app.command("down")
def down_command() -> None:
    """Stop the parts this stack started (and nothing else); their data stays."""
    for name, stopped in down(StackSettings.load()):
        typer.echo(f"{name}: {'stopped' if stopped else 'not running'}")


@app.command("status")
def status_command() -> None:
    """Say what runs where, with pid, health and memory."""
    settings = StackSettings.load()
    states = status(settings)
    for item in states:
        memory = f"{item.rss_mb:.0f} MB" if item.rss_mb is not None else "-"
        health = "healthy" if item.healthy else ("unhealthy" if item.pid else "stopped")
        typer.echo(f"{item.name:14} {health:9} pid {item.pid or '-':<8} {memory:>8}  {item.url}")
    typer.echo(f"MLFLOW_TRACKING_URI={settings.tracking_uri}  artifacts: "
               f"{settings.artifacts_destination} (emulator {settings.emulator_host})")


def main() -> None:
    """The console script: a bad `STACK_*` variable exits 2 with its message (`run_cli`)."""
    run_cli(app)
