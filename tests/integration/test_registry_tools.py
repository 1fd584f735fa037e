"""registry-tools against a real registry: promote, rollback, compare, the audit trail and the lock.

One store for the module, three trained versions; tests run in order and build on each other.
"""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import mlflow
import pytest

from mlflow_project.data.io import write_table
from mlflow_project.data.synthetic import GeneratorConfig, generate_tickets
from registry_tools import audit
from registry_tools.lock import LockTimeout, lock_name, registry_lock
from tests.support import BIN, Store

pytestmark = pytest.mark.integration

MODEL = "ticket_urgency"
LENIENT = {"TU_GATE_MAX_REGRESSION": "0.05"}  # three similar models must all pass the gate


@pytest.fixture(scope="module")
def trained(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("versions")
    for seed in (21, 22, 23):
        data = folder / f"tickets_{seed}.csv"
        write_table(generate_tickets(GeneratorConfig(rows=2500, seed=seed)), str(data))
        result = store.train(data, extra_env=LENIENT)
        assert result.returncode == 0, result.stderr[-3000:]
    assert store.versions() == ["1", "2", "3"]
    return store


def _tools(store: Store, *args: str) -> subprocess.CompletedProcess[str]:
    return store.run(str(BIN / "registry-tools"), *args, extra_env=LENIENT)


def _production(store: Store) -> str:
    return str(store.client().get_model_version_by_alias(MODEL, "production").version)


def _history(store: Store) -> list[dict[str, object]]:
    result = _tools(store, "history", "--json")
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout))


def test_promotions_are_audited_in_order(trained: Store) -> None:
    assert _tools(trained, "promote", "--version", "1", "--reason", "first").returncode == 0
    second = _tools(trained, "promote", "--version", "2", "--reason", "better")
    assert second.returncode == 0, second.stderr
    assert "v1 -> v2" in second.stdout
    history = _history(trained)
    assert [(h["action"], h["from_version"], h["to_version"]) for h in history] == [
        ("promote", None, "1"), ("promote", "1", "2")]
    assert [h["sequence"] for h in history] == [1, 2]
    assert all(h["actor"] == "integration-test" for h in history)


def test_two_promotions_at_once_are_serialized(trained: Store) -> None:
    commands = [[str(BIN / "registry-tools"), "promote", "--version", v, "--force",
                 "--reason", f"race {v}"] for v in ("3", "1")]
    processes = [subprocess.Popen(c, env={**trained.env, **LENIENT}, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for c in commands]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    history = _history(trained)[2:]
    assert len(history) == 2  # one audit entry each
    first, second = history
    assert second["from_version"] == first["to_version"]  # the second saw the first's result
    assert _production(trained) == second["to_version"]
    assert {first["to_version"], second["to_version"]} == {"3", "1"}
    assert lock_name(MODEL) not in {m.name for m in trained.client().search_registered_models()}


def test_rollback_walks_back_through_production_history(trained: Store) -> None:
    history = _history(trained)
    current = _production(trained)
    expected = str(history[-1]["from_version"])
    result = _tools(trained, "rollback", "--reason", "bad latency")
    assert result.returncode == 0, result.stderr
    assert f"v{current} -> v{expected} (rollback)" in result.stdout
    assert _production(trained) == expected
    entry = _history(trained)[-1]
    assert (entry["action"], entry["reason"]) == ("rollback", "bad latency")
    version_tags = trained.client().get_model_version(MODEL, expected).tags
    assert version_tags["alias.production.reason"] == "bad latency"


def test_compare_scores_both_versions_on_the_same_rows(trained: Store) -> None:
    result = _tools(trained, "compare", "1", "3", "--json")
    assert result.returncode == 0, result.stderr
    table = json.loads(result.stdout)
    assert table["data"] == "hold-out of v3"
    for metric in ("roc_auc", "pr_auc", "f1", "threshold"):
        assert set(table["metrics"][metric]) == {"1", "3"}
    assert 0.5 < table["metrics"]["roc_auc"]["3"] <= 1.0
    mlflow.set_tracking_uri(trained.uri)
    assert table["metrics"]["roc_auc"]["3"] == pytest.approx(
        float(trained.client().get_model_version(MODEL, "3").tags["metric.gate.roc_auc"]),
        abs=1e-6)
    same = json.loads(_tools(trained, "compare", "2", "2", "--json").stdout)
    assert all(len(set(values.values())) == 1 for values in same["metrics"].values())
    text = _tools(trained, "compare", "1", "3").stdout
    assert "roc_auc" in text
    assert "diff" in text


def test_rollback_without_a_previous_version_is_refused(tmp_path: Path, tickets_csv: Path) -> None:
    from tests.support import make_store

    fresh = make_store(tmp_path / "fresh")
    assert fresh.train(tickets_csv).returncode == 0
    assert _tools(fresh, "promote", "--from", "challenger").returncode == 0
    refused = _tools(fresh, "rollback")
    assert refused.returncode == 3
    assert "no previous production version" in refused.stderr


def test_the_lock_admits_one_holder_and_breaks_stale_ones(trained: Store) -> None:
    client = trained.client()
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with registry_lock(client, MODEL, holder="test holder"):
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    with pytest.raises(LockTimeout, match="test holder"), \
            registry_lock(client, MODEL, holder="second", wait=0.5):
        pass
    release.set()
    holder.join()
    with registry_lock(client, MODEL, holder="after release", wait=1):
        pass
    client.create_registered_model(lock_name(MODEL), tags={"holder": "crashed"})
    with registry_lock(client, MODEL, holder="breaker", wait=1, stale_after=0):
        pass
    assert lock_name(MODEL) not in {m.name for m in client.search_registered_models()}


def test_previous_production_pushes_promotions_and_pops_rollbacks() -> None:
    def entry(sequence: int, action: str, to: str) -> audit.AuditEntry:
        return audit.AuditEntry(sequence, action, "production", None, to, "t", "now", "")

    promotions = [entry(1, "promote", "1"), entry(2, "promote", "2"), entry(3, "promote", "3")]
    assert audit.previous_production(promotions, "production") == "2"
    after_rollback = [*promotions, entry(4, "rollback", "2")]
    assert audit.previous_production(after_rollback, "production") == "1"
    assert audit.previous_production([entry(1, "promote", "1")], "production") is None
    assert audit.previous_production(promotions, "challenger") is None
