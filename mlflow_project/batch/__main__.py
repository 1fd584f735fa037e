"""`python -m mlflow_project.batch --input ... --output ...` (see `mlflow_project.batch.cli`)."""

from mlflow_project.batch.cli import app

app(prog_name="python -m mlflow_project.batch")
