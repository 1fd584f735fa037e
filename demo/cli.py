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
) -> None:
    """Write synthetic tickets (deterministic for a seed) that honour the data contract."""
    from demo.tickets import DriftConfig, GeneratorConfig, generate_tickets
    from mlflow_project.data.io import DataSourceError, write_table

    config = GeneratorConfig(rows=rows, seed=seed, urgent_rate=urgent_rate, drift=DriftConfig(
        source_shift=source_shift, new_vocabulary=new_vocabulary,
        urgent_rate_shift=urgent_rate_shift))
    tickets = generate_tickets(config)
    try:
        write_table(tickets, str(out))
    except (DataSourceError, OSError) as exc:
        fail(f"cannot write {out}: {exc}", EXIT_NOT_WRITTEN)
    typer.echo(f"wrote {len(tickets)} tickets ({tickets['urgent'].mean():.1%} urgent) to {out}")


def main() -> None:
    """`python -m demo`, with the platform's error handling (`contracts.cli.run_cli`)."""
    run_cli(app)
