"""The project's model folders load without MLflow, and score exactly as MLflow's pyfunc load."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import mlflow.pyfunc
import pandas as pd
import pytest
import yaml

from demo.tickets import GeneratorConfig, generate_tickets
from mlflow_project.model.loading import SCORING_TABLE_ARTIFACT
from serving.model_folder import load_without_mlflow
from serving.model_loader import ModelLoadError, load
from serving.schemas import FEATURES
from tests.serving.conftest import REPO, TICKET, ModelStore

pytestmark = pytest.mark.integration

ODD_TICKETS = [
    TICKET,
    {"title": "", "description": "VPN drops every hour", "source": "unknown",
     "customer_tier": "unknown"},
    {"title": "URGENT!!! flooding", "description": "\u00c4\u00d6\u00dc \u65e5\u672c",
     "source": "chat", "customer_tier": "premium"},
]
TICKETS = ODD_TICKETS + generate_tickets(GeneratorConfig(rows=60, seed=5))[list(FEATURES)].to_dict(
    orient="records")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_fast_load_scores_exactly_as_mlflow_loads_the_model(model_store: ModelStore) -> None:
    """Serving scored MLflow's load with `predict_records` before: the same numbers, bit for bit;
    pyfunc's DataFrame `predict` (sklearn's sparse path) agrees to rounding."""
    fast = load_without_mlflow(model_store.baked)
    assert fast is not None
    pyfunc = mlflow.pyfunc.load_model(str(model_store.baked))
    unwrapped = pyfunc.unwrap_python_model()
    probabilities, labels = fast.predict_records(TICKETS)
    expected, expected_labels = unwrapped.predict_records(TICKETS)
    assert probabilities.tolist() == expected.tolist()
    assert labels.tolist() == expected_labels.tolist()
    frame = pyfunc.predict(pd.DataFrame(TICKETS))
    assert probabilities.tolist() == pytest.approx(frame["urgency_probability"].tolist(),
                                                   rel=1e-12, abs=1e-12)
    assert labels.tolist() == frame["urgent"].tolist()
    assert fast.threshold == unwrapped.threshold
    for ticket in TICKETS:
        assert fast.explain(ticket) == unwrapped.explain(ticket)


def test_loading_the_baked_folder_imports_no_mlflow_pandas_or_sklearn(
        model_store: ModelStore) -> None:
    """The scoring table is what spares a server those imports (about 1 s of its start)."""
    heavy = ("mlflow", "pandas", "sklearn", "scipy")
    script = ("import sys; from serving.model_loader import load; "
              f"loaded = load({str(model_store.baked)!r}); "
              f"print(loaded.identity.version, *[m for m in {heavy!r} if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=model_store.env(),
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["1"]


def _without_scoring_table(folder: Path) -> Path:
    """`folder` as a version logged before scoring tables: no file, no MLmodel entry."""
    mlmodel = folder / "MLmodel"
    document = yaml.safe_load(mlmodel.read_text())
    artifacts = document["flavors"]["python_function"]["artifacts"]
    (folder / artifacts.pop(SCORING_TABLE_ARTIFACT)["path"]).unlink()
    mlmodel.write_text(yaml.safe_dump(document))
    return folder


def test_a_model_without_a_scoring_table_loads_from_its_pipeline(
        model_store: ModelStore, tmp_path: Path) -> None:
    older = _without_scoring_table(shutil.copytree(model_store.baked, tmp_path / "model"))
    fast = load_without_mlflow(model_store.baked)
    from_pipeline = load_without_mlflow(older)
    assert fast is not None
    assert from_pipeline is not None
    assert type(from_pipeline).__name__ == "TicketScorer"
    assert type(fast).__name__ == "RecordScorer"
    assert from_pipeline.predict_records(TICKETS)[0].tolist() == \
        fast.predict_records(TICKETS)[0].tolist()


def test_a_corrupt_scoring_table_is_refused_naming_it(model_store: ModelStore,
                                                      tmp_path: Path) -> None:
    folder = shutil.copytree(model_store.baked, tmp_path / "model")
    table = next(folder.rglob("scoring_table.json"))
    table.write_text('{"format": 1, "stages": [{"blocks": []}]}')
    with pytest.raises(ModelLoadError, match=r"scoring table is malformed.*category_weights"):
        load(str(folder))
    table.write_text("{not json")
    with pytest.raises(ModelLoadError, match=r"scoring_table\.json: Expecting property name"):
        load(str(folder))


def test_another_entry_file_is_left_to_mlflow(model_store: ModelStore, tmp_path: Path) -> None:
    folder = shutil.copytree(model_store.baked, tmp_path / "model")
    entry = folder / "model_code.py"
    entry.write_text(entry.read_text() + "# not the standard entry\n")
    assert load_without_mlflow(folder) is None
    assert load(str(folder)).model.predict_records([TICKET])[0].tolist() == \
        load(str(model_store.baked)).model.predict_records([TICKET])[0].tolist()


def test_a_folder_without_a_model_is_refused_naming_the_missing_file(tmp_path: Path) -> None:
    assert load_without_mlflow(tmp_path) is None
    with pytest.raises(ModelLoadError, match="MLmodel"):
        load(str(tmp_path))
