"""Record a batch run on its MLflow run when there is one (`mlflow run -e batch_predict`).

`mlflow run` starts a run and hands it over (`mlflow_project.runs.launched_run_id`); the job logs
what came out beside the entry point's parameters (which `mlflow run` logs itself): the model
actually loaded and its version, metrics (rows in, scored, rejected, seconds, rows/s) and the
summary as `batch_summary.json`; the run is named `batch-<date>`. Outside `mlflow run` nothing
is logged.
"""

from __future__ import annotations

from mlflow_project.batch.job import BatchSummary
from mlflow_project.run_names import batch_run_name, name_run


def record_run(run_id: str, summary: BatchSummary) -> None:
    """Log the pinned model, the counts and timing, and the summary JSON to run `run_id`."""
    import mlflow

    name_run(run_id, batch_run_name())
    with mlflow.start_run(run_id=run_id):
        mlflow.log_params({"model_loaded": summary.model_loaded,
                           "model_version": summary.model_version or ""})
        mlflow.log_metrics({"rows_in": summary.rows_in, "scored": summary.scored,
                            "rejected_rows": summary.rejected_rows,
                            "reject_lines": summary.reject_lines, "seconds": summary.seconds,
                            "rows_per_second": summary.rows_per_second})
        mlflow.log_dict(summary.as_dict(), "batch_summary.json")
