"""`python -m demo`: make the project's own synthetic data.

`generate` writes tickets that honour the data contract, deterministic for a seed, with drift
knobs for trying monitoring. Training (`ticket-urgency`) never needs this package: the demo data
is made here, above the model code, and handed over as a file.

Exit codes: 0 done; 1 the file could not be written (unknown suffix, unwritable place); 2 bad
arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from contracts.cli import fail, help_text, run_cli

app = typer.Typer(help=help_text(__doc__), no_args_is_help=True, add_completion=False)

EXIT_NOT_WRITTEN = 1


@app.callback()
def _commands() -> None:
    """Keeps `generate` a named command (a Typer app of one command would drop the name)."""


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="CSV or Parquet file to write")],
    rows: Annotated[int, typer.Option(min=1, help="number of tickets")] = 5000,
    seed: Annotated[int, typer.Option(help="random seed; same seed, same data")] = 42,
    urgent_rate: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.2,
    source_shift: Annotated[float, typer.Option(min=0.0, max=1.0, help="drift knob")] = 0.0,
    new_vocabulary: Annotated[float, typer.Option(min=0.0, max=1.0, help="drift knob")] = 0.0,
    urgent_rate_shift: Annotated[float, typer.Option(min=-1.0, max=1.0, help="drift knob")] = 0.0,
    snapshot: Annotated[bool, typer.Option(
        "--snapshot", help="write a new file <out stem>-seed<S>-rows<N>-<sha256[:12]> beside "
        "OUT and make OUT a link to it, so a file a model was trained on is never "
        "overwritten")] = False,
) -> None:
    """Write synthetic tickets (deterministic for a seed) that honour the data contract."""
    from demo.tickets import DriftConfig, GeneratorConfig, generate_tickets
    from mlflow_project.data.io import DataSourceError, table_bytes, write_table
    from mlflow_project.data.snapshots import write_snapshot

    if snapshot and str(out).startswith("gs:"):
        fail(f"--snapshot writes local files only, not {out}", 2)
    config = GeneratorConfig(rows=rows, seed=seed, urgent_rate=urgent_rate, drift=DriftConfig(
        source_shift=source_shift, new_vocabulary=new_vocabulary,
        urgent_rate_shift=urgent_rate_shift))
    tickets = generate_tickets(config)
    summary = f"{len(tickets)} tickets ({tickets['urgent'].mean():.1%} urgent)"
    try:
        if not snapshot:
            write_table(tickets, str(out))
            typer.echo(f"wrote {summary} to {out}")
            return
        written = write_snapshot(table_bytes(tickets, str(out)), out, f"seed{seed}-rows{rows}")
    except (DataSourceError, OSError) as exc:
        fail(f"cannot write {out}: {exc}", EXIT_NOT_WRITTEN)
    if written.kept_previous is not None:
        typer.echo(f"kept the file that was at {out} as {written.kept_previous}")
    typer.echo(f"wrote {summary} to {written.path} (sha256 {written.sha256}); {out} -> "
               f"{written.path.name}")


def main() -> None:
    """`python -m demo`, with the platform's error handling (`contracts.cli.run_cli`)."""
    run_cli(app)
