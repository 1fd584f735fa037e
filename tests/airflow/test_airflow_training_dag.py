"""`ticket_urgency_training` end to end with `dag.test()`: real snapshot, validation, `mlflow run`,
registry verdict, against a private SQLite MLflow store, on small synthetic data.

The tests run in file order and build on each other's registry state, like
tests/mlflow_project/training/test_train_register_gate.py.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("airflow.sdk", reason="Airflow's tests run in .venv-airflow: make airflow-test")

from airflow_support import (
    Project,
    Webhook,
    run_dag,
    task_states,
    utc,
    wrapper_bin,
    xcom,
)

DAG_ID = "ticket_urgency_training"
DAY = utc(2025, 3, 1)


@pytest.fixture(scope="module")
def data(project: Project) -> Path:
    """1,500 synthetic tickets, the training source of this module."""
    return project.generate(project.root / "source" / "tickets.csv")


@pytest.fixture(scope="module")
def code_hash(project: Project) -> str:
    """The training code's hash when these tests began (a re-run is a duplicate only if the
    code is unchanged: in a shared working tree someone may be editing mlflow_project/)."""
    return project.code_hash()


@pytest.fixture(scope="module")
def snapshots(project: Project) -> Path:
    return project.root / "snapshots"


@pytest.fixture(scope="module")
def pipeline(project: Project, data: Path, snapshots: Path) -> Iterator[None]:
    """What the DAG's tasks read: the project's bin, the store, the source, the snapshot folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PROJECT_BIN", str(project.bin))
        patch.setenv("MLFLOW_TRACKING_URI", project.tracking_uri)
        patch.setenv("TU_TRAINING_DATA_SOURCE", str(data))
        patch.setenv("TU_SNAPSHOT_DIR", str(snapshots))
        patch.setenv("TU_ACTOR", "airflow-test")
        yield


@pytest.fixture
def dag(dagbag: Any, pipeline: None, webhook: Webhook, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TU_ALERT_WEBHOOK", webhook.url)
    return dagbag.dags[DAG_ID]


def test_first_run_registers_a_challenger(dag: Any, project: Project, data: Path,
                                          snapshots: Path, webhook: Webhook,
                                          code_hash: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TU_MLFLOW_UI_URL", "http://mlflow.test:5000")
    run = run_dag(dag, DAG_ID, logical_date=DAY)

    assert run.state == "success", task_states(run)
    snapshot = snapshots / "2025-03-01" / "tickets.csv"
    assert snapshot.read_bytes() == data.read_bytes()
    versions = project.versions()
    assert [(v["version"], v["aliases"]) for v in versions] == [("1", ["challenger"])]
    note = webhook.last("training.completed")
    assert note["snapshot"]["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert note["training"]["outcome"] == "registered"
    assert note["verdict"]["version"] == "1"
    assert note["verdict"]["validation_status"] == "passed"
    assert note["promotion"] == {"promoted": False, "reason": "the auto_promote param is off"}
    assert note["run_id"] == run.run_id
    # the MLflow run carries the platform's readable name: train-<data hash>-<date>
    name = project.run("python", "-c", "import mlflow, sys; "
                       "print(mlflow.get_run(sys.argv[1]).info.run_name)",
                       note["training"]["mlflow_run_id"]).stdout.strip()
    assert name.startswith(f"train-{note['snapshot']['sha256'][:12]}-"), name
    # the train task's log and XCom link the MLflow run it started
    experiment = project.run("python", "-c", "import mlflow, sys; "
                             "print(mlflow.get_run(sys.argv[1]).info.experiment_id)",
                             note["training"]["mlflow_run_id"]).stdout.strip()
    assert note["training"]["mlflow_run_url"] == (
        f"http://mlflow.test:5000/#/experiments/{experiment}/runs/"
        f"{note['training']['mlflow_run_id']}")


def test_rerun_of_the_same_date_registers_nothing_new(dag: Any, project: Project,
                                                      webhook: Webhook, code_hash: str) -> None:
    run = run_dag(dag, DAG_ID, logical_date=DAY)

    if project.code_hash() != code_hash:
        pytest.fail("mlflow_project/ changed while these tests ran (its code hash is part of "
                    "the fingerprint, so a new version is right): run them again")

    assert run.state == "success", task_states(run)
    assert [v["version"] for v in project.versions()] == ["1"]
    trained = xcom(run, "train")
    assert trained["outcome"] == "duplicate"
    assert trained["version"] == "1"
    note = webhook.last("training.completed")
    assert note["verdict"]["version"] == "1"
    assert "same data, code and parameters as version 1" in note["text"]


def test_changed_source_never_overwrites_a_dates_snapshot(dag: Any, data: Path,
                                                          snapshots: Path) -> None:
    """Version 1's lineage (and monitoring's reference) points at 2025-03-01/tickets.csv: a
    re-run of that date on changed data keeps it and snapshots beside it."""
    original = snapshots / "2025-03-01" / "tickets.csv"
    before = original.read_bytes()
    changed = data.with_name("changed.csv")
    changed.write_text("".join(data.read_text().splitlines(keepends=True)[:-1]))

    run = run_dag(dag, f"{DAG_ID} (extract only)", logical_date=DAY,
                  run_conf={"data_source": str(changed)},
                  mark_success_pattern="validate|train|verdict|promote|notify")

    assert run.state == "success", task_states(run)
    snapshot = xcom(run, "extract")
    sha = hashlib.sha256(changed.read_bytes()).hexdigest()
    assert snapshot["sha256"] == sha
    assert snapshot["path"] == str(original.with_name(f"tickets-{sha[:12]}.csv"))
    assert Path(snapshot["path"]).read_bytes() == changed.read_bytes()
    assert original.read_bytes() == before
    assert sorted(p.name for p in original.parent.iterdir()) == sorted(
        ["tickets.csv", f"tickets-{sha[:12]}.csv"])  # no incoming file left behind


def test_manual_run_without_logical_date_snapshots_under_run_after(
        dag: Any, tmp_path: Path) -> None:
    """A UI/API trigger has no logical date (no `ds`): the snapshot goes under run_after's date.
    An Airflow Variable overrides the environment variable of the same name.

    Training is marked success here: the full manual path (trigger through the REST API,
    auto-promotion) runs under real Airflow components in test_airflow_local_stack.py.
    """
    from airflow.models.variable import Variable

    Variable.set("TU_SNAPSHOT_DIR", str(tmp_path / "from-variable"))
    try:
        run = run_dag(dag, f"{DAG_ID} (manual, extract+validate only)", logical_date=None,
                      run_after=utc(2025, 3, 7, 15, 30),
                      mark_success_pattern="train|verdict|promote|notify")
    finally:
        Variable.delete("TU_SNAPSHOT_DIR")

    assert run.state == "success", task_states(run)
    assert run.logical_date is None
    expected = tmp_path / "from-variable" / "2025-03-07" / "tickets.csv"
    assert xcom(run, "extract")["path"] == str(expected)
    assert expected.is_file()
    assert task_states(run)["validate"] == ("success", 1)


def test_refused_data_fails_at_validate_without_retry(dag: Any, project: Project, data: Path,
                                                      webhook: Webhook) -> None:
    one_class = project.root / "source" / "only-non-urgent.csv"
    with data.open(newline="") as source, one_class.open("w", newline="") as target:
        reader = csv.DictReader(source)
        writer = csv.DictWriter(target, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        writer.writerows(row for row in reader if row["urgent"] == "0")

    before = project.versions()

    run = run_dag(dag, DAG_ID, logical_date=utc(2025, 3, 2),
                  run_conf={"data_source": str(one_class)})

    assert run.state == "failed"
    states = task_states(run)
    assert states["extract"][0] == "success"
    assert states["validate"] == ("failed", 1)  # failed for good on its first try: no retry
    assert states["train"][0] == "upstream_failed"
    failure = webhook.last("training.failed")
    assert failure["task_id"] == "validate"
    assert "data refused" in failure["error"]
    assert "class" in failure["error"]  # the command's own reason: a class is absent
    assert project.versions() == before  # nothing registered, no alias moved


def test_transient_failure_is_retried(dagbag: Any, pipeline: None, project: Project,
                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A snapshot that fails once (source not there yet, storage hiccup) succeeds on retry."""
    marker = tmp_path / "failed-once"
    flaky = wrapper_bin(tmp_path / "bin", project.bin, {"ticket-urgency": f"""
if [ "$1" = snapshot ] && [ ! -e {marker} ]; then
  touch {marker}; echo "error: snapshot failed: storage unavailable" >&2; exit 3
fi
exec @REAL@/ticket-urgency "$@"
"""})
    monkeypatch.setenv("PROJECT_BIN", str(flaky))

    run = run_dag(dagbag.dags[DAG_ID], f"{DAG_ID} (retry, train marked success)",
                  logical_date=utc(2025, 3, 3),
                  mark_success_pattern="train|verdict|promote|notify")

    assert run.state == "success", task_states(run)
    assert marker.exists()
    assert task_states(run)["extract"] == ("success", 2)
    assert task_states(run)["validate"] == ("success", 1)
