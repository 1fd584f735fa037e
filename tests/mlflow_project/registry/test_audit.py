"""The audit trail lives in its own experiment, `<model>.audit`, not in the model's tags."""

from __future__ import annotations

from pathlib import Path

from mlflow import MlflowClient

from mlflow_project.registry import audit


def test_entries_are_runs_of_the_audit_experiment_in_order(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("m")
    assert audit.entries(client, "m") == []
    for number in range(1, 12):  # past 9 and 10: the store sorts the sequence as text
        audit.record(client, "m", action=audit.PROMOTE, alias="production", from_version=None,
                     to_version=str(number), actor="ops", reason=f"move {number}")
    audit.record(client, "m", action=audit.CLEAR, alias="challenger", from_version="3",
                 to_version=None, actor="ops", reason="cleared")
    trail = audit.entries(client, "m")
    assert [e.sequence for e in trail] == list(range(1, 13))
    assert (trail[-1].from_version, trail[-1].to_version) == ("3", None)
    experiment = client.get_experiment_by_name("m.audit")
    assert experiment is not None
    assert experiment.artifact_location.startswith((tmp_path / "artifacts").as_uri())
    [run] = client.search_runs([experiment.experiment_id])
    assert run.info.run_name == "alias moves"
    assert run.info.status == "FINISHED"
    assert sorted(k for k in run.data.tags if k.startswith("audit."))[-1] == "audit.000000012"
    assert client.get_registered_model("m").tags == {}
    latest = audit.latest_move_onto(trail, "production", "4")
    assert latest is not None
    assert latest.reason == "move 4"
