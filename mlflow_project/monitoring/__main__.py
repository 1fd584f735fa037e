"""`python -m mlflow_project.monitoring ...`: the `monitor` command on its own (the MLproject
`monitor` entry point and the monitoring DAG call it this way, to get its exit code)."""

import typer

from contracts.cli import run_cli
from mlflow_project.monitoring.cli import monitor
from mlflow_project.tracking_store import unreachable_server, use_tracking_store

app = typer.Typer(add_completion=False)
app.command()(monitor)

if __name__ == "__main__":
    use_tracking_store()  # MLFLOW_TRACKING_URI unset: the project's store, said so
    run_cli(app, explain=unreachable_server, prog_name="python -m mlflow_project.monitoring")
