"""`python -m mlflow_project.monitoring ...`: the `monitor` command on its own (the MLproject
`monitor` entry point and the monitoring DAG call it this way, to get its exit code)."""

import typer

from mlflow_project.monitoring.cli import monitor

app = typer.Typer(add_completion=False)
app.command()(monitor)

if __name__ == "__main__":
    app(prog_name="python -m mlflow_project.monitoring")
