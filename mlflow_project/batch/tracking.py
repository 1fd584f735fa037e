"""The MLflow run a batch job is recorded on: the one `mlflow run` launched, or one it opens.

Two ways start a batch job, and both leave the same record. `mlflow run -e batch_predict` starts
a run and hands it over (`mlflow_project.runs.launched_run_id`), having logged the entry point's
parameters itself. `make batch-predict` runs the job in one process with `--experiment-name`:
then `batch_run` ensures the experiment (as `ticket-urgency ensure-experiment` would), opens the
run here - the one place a batch run is started and named (`batch-<date>`) - and logs the same
parameters and the `mlflow.project.entryPoint` tag, so a search by entry point finds both kinds.
With neither, nothing is logged. The run is open while the job works: a job that fails leaves
it FAILED.

`record_run` then logs what came out: the model actually loaded and its version, metrics (rows
in, scored, rejected, seconds, rows/s) and the summary as `batch_summary.json`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow_project.batch.job import BatchSummary

ENTRY_POINT = "batch_predict"  # the MLproject entry point this job is
ENTRY_POINT_TAG = "mlflow.project.entryPoint"


@contextmanager
def batch_run(experiment_name: str | None, params: Mapping[str, object]) -> Iterator[bool]:
    """Keep the job's run open around the block; yields whether there is a run to record on.

    Under `mlflow run` the launched run is resumed (and must belong to `experiment_name` when
    one is given); otherwise, with `experiment_name`, a new run is opened in it with `params`.
    """
    import mlflow

    from mlflow_project.run_names import batch_run_name, name_run
    from mlflow_project.runs import check_launched_run, ensure_experiment, launched_run_id
    from mlflow_project.settings import ProjectSettings

    if launched_run_id() is not None:
        if experiment_name is not None:
            check_launched_run(experiment_name)
        with mlflow.start_run() as run:
            name_run(run.info.run_id, batch_run_name())
            yield True
        return
    if experiment_name is None:
        yield False
        return
    experiment_id = ensure_experiment(experiment_name, ProjectSettings.load().artifact_root)
    with mlflow.start_run(experiment_id=experiment_id, run_name=batch_run_name(),
                          tags={ENTRY_POINT_TAG: ENTRY_POINT}):
        mlflow.log_params({key: "" if value is None else value for key, value in params.items()})
        yield True


def record_run(summary: BatchSummary) -> None:
    """Log the pinned model, the counts and timing, and the summary JSON to the active run."""
    import mlflow

    mlflow.log_params({"model_loaded": summary.model_loaded,
                       "model_version": summary.model_version or ""})
    mlflow.log_metrics({"rows_in": summary.rows_in, "scored": summary.scored,
                        "rejected_rows": summary.rejected_rows,
                        "reject_lines": summary.reject_lines, "seconds": summary.seconds,
                        "rows_per_second": summary.rows_per_second})
    mlflow.log_dict(summary.as_dict(), "batch_summary.json")
