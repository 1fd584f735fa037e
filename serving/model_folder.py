"""Load a ticket-urgency model folder with the model's own bundled code, without MLflow.

Importing MLflow and running its pyfunc loader was most of the service's start-up (~2 s of CPU
here, before the model itself). A folder logged by this project's `mlflow_project.training.
packaging` is a "model from code": its `MLmodel` names MLflow's code-model loader, its entry file
`model_code.py` is the standard one also bundled under `code/`, and the bundled code has
`mlflow_project.model.loading`. Such a folder is loaded here the way MLflow would (the `code/`
folder first on `sys.path`, then the artifacts the `MLmodel` lists) with the bundled
`load_record_scorer`: from the model's scoring table when it has one, so neither pandas nor
scikit-learn is imported (about 1 s of a start), else with `load_scorer`, exactly what the
pyfunc's `load_context` calls. Both give the pyfunc's scores (`mlflow_project.model.linear`).
Anything else (another entry file such as the demo's deliberately broken model, a version logged
before `loading.py` existed, no `MLmodel` at all) returns None, and MLflow's own loader takes it,
with its errors.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import yaml

MLMODEL = "MLmodel"
CODE_MODEL_LOADER = "mlflow.pyfunc.loaders.code_model"
ENTRY_FILE = "model_code.py"
MODEL_PACKAGE = Path("mlflow_project", "model")
LOADING_MODULE = "mlflow_project.model.loading"


def load_without_mlflow(folder: Path) -> Any | None:
    """The scorer of the model in `folder` (threshold, predict_records, explain), or None when
    the folder is not one this loader recognises (then MLflow must load it)."""
    flavor = _pyfunc_flavor(folder)
    if flavor is None or flavor.get("loader_module") != CODE_MODEL_LOADER:
        return None
    code = folder / str(flavor.get("code") or "")
    package = code / MODEL_PACKAGE
    if not flavor.get("code") or not (package / "loading.py").is_file():
        return None
    if not _same_bytes(folder / ENTRY_FILE, package / ENTRY_FILE):
        return None
    artifacts = {str(name): str(folder / spec["path"])
                 for name, spec in (flavor.get("artifacts") or {}).items()}
    if str(code) not in sys.path:
        sys.path.insert(0, str(code))  # as MLflow's loader does with a model's code paths
    loading = importlib.import_module(LOADING_MODULE)
    return getattr(loading, "load_record_scorer", loading.load_scorer)(artifacts)


def _pyfunc_flavor(folder: Path) -> dict[str, Any] | None:
    path = folder / MLMODEL
    if not path.is_file():
        return None
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    flavors = document.get("flavors") if isinstance(document, dict) else None
    flavor = flavors.get("python_function") if isinstance(flavors, dict) else None
    return flavor if isinstance(flavor, dict) else None


def _same_bytes(first: Path, second: Path) -> bool:
    return first.is_file() and second.is_file() and first.read_bytes() == second.read_bytes()
