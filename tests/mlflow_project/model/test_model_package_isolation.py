"""Architecture test: the inference code in `mlflow_project.model` is bundled alone into every
logged model, so it may import nothing else from `mlflow_project`, nor test-only or heavy deps."""

from __future__ import annotations

import ast
from pathlib import Path, PurePosixPath

import pytest

import mlflow_project.model

MODEL_DIR = Path(mlflow_project.model.__file__).resolve().parent
MODEL_PACKAGE = "mlflow_project.model"
FORBIDDEN_TOP_LEVEL = {"pytest", "torch"}
MODEL_FILES = sorted(MODEL_DIR.rglob("*.py"))


def imported_modules(source: str, relative: PurePosixPath) -> list[str]:
    """Absolute names of the modules imported by `source`, a file at `relative` in the model
    package; relative imports are resolved against the file's package."""
    package = [*MODEL_PACKAGE.split("."), *relative.parts[:-1]]
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.append(module)
    return names


def imports_of(path: Path) -> list[str]:
    relative = PurePosixPath(path.relative_to(MODEL_DIR).as_posix())
    return imported_modules(path.read_text(encoding="utf-8"), relative)


def is_outside_model_package(name: str) -> bool:
    in_project = name == "mlflow_project" or name.startswith("mlflow_project.")
    in_model = name == MODEL_PACKAGE or name.startswith(MODEL_PACKAGE + ".")
    return in_project and not in_model


def test_the_model_package_has_python_files() -> None:
    assert {p.name for p in MODEL_FILES} >= {"__init__.py", "features.py", "scoring.py"}


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.name)
def test_model_code_imports_nothing_else_from_mlflow_project(path: Path) -> None:
    outside = [name for name in imports_of(path) if is_outside_model_package(name)]
    assert outside == [], f"{path.name} imports {outside}"


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.name)
def test_model_code_does_not_import_test_or_heavy_dependencies(path: Path) -> None:
    top_level = {name.split(".")[0] for name in imports_of(path)}
    assert top_level.isdisjoint(FORBIDDEN_TOP_LEVEL), f"{path.name} imports {top_level}"


def test_the_checker_resolves_every_import_form() -> None:
    """The checks above prove nothing unless the checker sees each kind of import."""
    source = (
        "import mlflow_project.data.io\n"
        "from mlflow_project.training import config\n"
        "from ..evaluation import metrics\n"
        "from .. import settings\n"
        "from . import scoring\n"
        "from .features import ticket_text\n"
        "import torch.nn as nn\n"
        "def lazy():\n"
        "    import pytest\n"
    )
    names = imported_modules(source, PurePosixPath("probe.py"))
    assert names == [
        "mlflow_project.data.io", "mlflow_project.training", "mlflow_project.evaluation",
        "mlflow_project", "mlflow_project.model", "mlflow_project.model.features",
        "torch.nn", "pytest",
    ]
    assert [n for n in names if is_outside_model_package(n)] == names[:4]
    nested = imported_modules("from .. import scoring\n", PurePosixPath("sub/probe.py"))
    assert nested == ["mlflow_project.model"]
