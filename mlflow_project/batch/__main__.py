"""`python -m mlflow_project.batch --input ... --output ...` (see `mlflow_project.batch.cli`)."""

from contracts.cli import run_cli
from mlflow_project.batch.cli import app
from mlflow_project.tracking_store import unreachable_server, use_tracking_store

use_tracking_store()  # MLFLOW_TRACKING_URI unset: the project's store, said so
run_cli(app, explain=unreachable_server, prog_name="python -m mlflow_project.batch")
