"""registry-tools against a real registry: promote, rollback, compare and the audit trail.

One store for the module, three trained versions; tests run in order and build on each other.
The registry lock itself is tested in `tests/mlflow_project/registry/test_registry_lock.py`.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import mlflow
import pytest

from demo.tickets import GeneratorConfig, generate_tickets
from mlflow_project.data.io import write_table
from mlflow_project.registry import audit
from mlflow_project.registry.lock import live_tickets
from mlflow_project.registry.version_record import read_record
from tests.support import BIN, Store

pytestmark = pytest.mark.integration

MODEL = "ticket_urgency"
# three similar models must all pass the gate
LENIENT = {"TU_GATE_MARGIN_ROC_AUC": "0.1", "TU_GATE_MARGIN_PR_AUC": "0.2",
           "TU_GATE_MARGIN_RECALL": "0.3"}


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
    """The audit entries of @production moves (nominations and clearings of @challenger aside)."""
    result = _tools(store, "history", "--json")
    assert result.returncode == 0, result.stderr
    return [entry for entry in json.loads(result.stdout) if entry["alias"] == "production"]


def test_promotions_are_audited_in_order(trained: Store) -> None:
    assert _tools(trained, "promote", "--version", "1", "--reason", "first").returncode == 0
    second = _tools(trained, "promote", "--version", "2", "--reason", "better")
    assert second.returncode == 0, second.stderr
    assert "v1 -> v2" in second.stdout
    history = _history(trained)
    assert [(h["action"], h["from_version"], h["to_version"]) for h in history] == [
        ("promote", None, "1"), ("promote", "1", "2")]
    first_sequence, second_sequence = (int(str(h["sequence"])) for h in history)
    assert second_sequence > first_sequence
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
    assert live_tickets(trained.client(), MODEL) == []


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
    described = trained.client().get_model_version(MODEL, expected).description
    assert "**Production**: @production set (was v" in described
    assert described.endswith(": bad latency")
    moved_from = trained.client().get_model_version(MODEL, current).description
    assert f"**Production**: @production moved on to v{expected} by " in moved_from


def test_compare_scores_both_versions_on_the_same_rows(trained: Store) -> None:
    result = _tools(trained, "compare", "1", "3", "--json")
    assert result.returncode == 0, result.stderr
    table = json.loads(result.stdout)
    assert table["data"] == "v3's evaluation rows minus the rows v1 trained on"
    for metric in ("roc_auc", "pr_auc", "f1", "threshold"):
        assert set(table["metrics"][metric]) == {"1", "3"}
    assert 0.5 < table["metrics"]["roc_auc"]["3"] <= 1.0
    same = json.loads(_tools(trained, "compare", "2", "2", "--json").stdout)
    assert all(len(set(values.values())) == 1 for values in same["metrics"].values())
    mlflow.set_tracking_uri(trained.uri)
    record = read_record(trained.client(), trained.client().get_model_version(MODEL, "2").run_id)
    assert same["metrics"]["roc_auc"]["2"] == pytest.approx(  # all of v2's evaluation rows
        record["gate"]["metrics"]["roc_auc"], abs=1e-6)
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


def test_previous_production_pushes_promotions_and_pops_rollbacks() -> None:
    def entry(sequence: int, action: str, to: str) -> audit.AuditEntry:
        return audit.AuditEntry(sequence, action, "production", None, to, "t", "now", "")

    promotions = [entry(1, "promote", "1"), entry(2, "promote", "2"), entry(3, "promote", "3")]
    assert audit.previous_production(promotions, "production") == "2"
    after_rollback = [*promotions, entry(4, "rollback", "2")]
    assert audit.previous_production(after_rollback, "production") == "1"
    assert audit.previous_production([entry(1, "promote", "1")], "production") is None
    assert audit.previous_production(promotions, "challenger") is None


def _one_line(text: str) -> str:
    """stderr with click's boxes and line wrapping undone."""
    return " ".join(text.replace("│", " ").split())


def test_history_of_a_fresh_store_is_empty_not_a_traceback(tmp_path: Path) -> None:
    from tests.support import make_store

    fresh = make_store(tmp_path / "fresh")
    text = _tools(fresh, "history")
    assert text.returncode == 0, text.stderr
    assert text.stdout == f"no alias moves of {MODEL} recorded yet\n"
    assert "Traceback" not in text.stderr
    as_json = _tools(fresh, "history", "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == []


@pytest.mark.parametrize(("args", "code", "message"), [
    (("promote", "--version", "abc"), 2,
     "Invalid value for '--version': 'abc' is not a version number"),
    (("promote", "--version", "0"), 2, "'0' is not a version number"),
    (("compare", "1", "x"), 2, "Invalid value for 'second': 'x' is not a version number"),
    (("verdict", "--data-sha256", "' or name != '"), 2, "is not a SHA-256 (64 hexadecimal"),
    (("promote", "--version", "999"), 3,
     f"error: promotion refused: Model Version (name={MODEL}, version=999) not found"),
    (("compare", "1", "999"), 3, "error: nothing to compare: Model Version"),
    (("compare", "1", "2", "--data", "missing.csv"), 3,
     "error: cannot compare, --data refused: missing.csv: no such file"),
])
def test_bad_input_exits_with_the_documented_code(tmp_path: Path, args: tuple[str, ...],
                                                  code: int, message: str) -> None:
    from tests.support import make_store

    store = make_store(tmp_path / "store")
    store.client().create_registered_model(MODEL)  # registered, no versions yet
    result = _tools(store, *args)
    assert result.returncode == code, result.stderr
    assert message in _one_line(result.stderr)
    assert "Traceback" not in result.stderr
    assert live_tickets(store.client(), MODEL) == []


def test_compare_refuses_data_without_a_valid_row(tmp_path: Path) -> None:
    from tests.support import make_store

    broken = tmp_path / "broken.csv"
    broken.write_text("title,description,source,customer_tier,urgent\nVPN,down,fax,gold,7\n")
    result = _tools(make_store(tmp_path / "store"), "compare", "1", "2", "--data", str(broken))
    assert result.returncode == 3
    assert (f"error: cannot compare on {broken}: none of its 1 row(s) honours the data "
            "contract") in _one_line(result.stderr)


def test_rollback_on_a_fresh_store_is_refused_not_a_registry_error(tmp_path: Path) -> None:
    from tests.support import make_store

    result = _tools(make_store(tmp_path / "fresh"), "rollback", "--reason", "x")
    assert result.returncode == 3
    assert f"error: rollback refused: Registered Model with name={MODEL} not found" in \
        result.stderr
