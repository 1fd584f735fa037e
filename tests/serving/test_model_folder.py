"""The project's model folders load without MLflow, and score exactly as MLflow's pyfunc load."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import mlflow.pyfunc
import pandas as pd
import pytest

from demo.tickets import GeneratorConfig, generate_tickets
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


def test_loading_the_baked_folder_imports_no_mlflow(model_store: ModelStore) -> None:
    script = ("import sys; from serving.model_loader import load; "
              f"loaded = load({str(model_store.baked)!r}); "
              "print(loaded.identity.version, 'mlflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=model_store.env(),
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["1", "False"]


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
