"""Tests for the training configuration and the run's lineage (code hash and fingerprint)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

import mlflow_project
from mlflow_project.training.config import ModelConfig, TrainConfig
from mlflow_project.training.lineage import PACKAGE_DIR, code_sha256, fingerprint

DATA_HASH = "a" * 64
CODE_HASH = "b" * 64


def test_defaults_are_accepted() -> None:
    config = TrainConfig(data="tickets.csv")
    assert config.data == "tickets.csv"
    assert config.C > 0
    assert 0 < config.eval_fraction <= 0.5
    assert config.cv_folds >= 3
    assert config.features in {"word", "word+char"}
    assert config.class_weight in {"balanced", "none"}
    assert 0 < config.target_recall <= 1


@pytest.mark.parametrize("overrides", [
    {"eval_fraction": 0.05},
    {"eval_fraction": 0.5},
    {"cv_folds": 3},
    {"cv_folds": 10},
    {"features": "word"},
    {"features": "word+char"},
    {"char_ngram_max": 2},
    {"C": 1e-6},
    {"class_weight": "none"},
    {"target_recall": 1.0},
    {"max_reject_share": 0.0},
    {"max_reject_share": 1.0},
    {"ngram_max": 1},
    {"ngram_max": 3},
    {"max_features": 100},
    {"min_df": 1},
    {"seed": 0},
    {"data": "gs://bucket/tickets.parquet"},
])
def test_valid_values_are_accepted(overrides: dict[str, Any]) -> None:
    config = TrainConfig(**{"data": "tickets.csv", **overrides})
    for name, value in overrides.items():
        assert getattr(config, name) == value


@pytest.mark.parametrize(("overrides", "field"), [
    ({"eval_fraction": 0.0}, "eval_fraction"),
    ({"eval_fraction": 0.51}, "eval_fraction"),
    ({"cv_folds": 2}, "cv_folds"),
    ({"cv_folds": 11}, "cv_folds"),
    ({"features": "char"}, "features"),
    ({"stages": 3}, "stages"),
    ({"char_ngram_max": 7}, "char_ngram_max"),
    ({"test_fraction": 0.2}, "test_fraction"),
    ({"C": 0.0}, "C"),
    ({"C": -1.0}, "C"),
    ({"class_weight": "auto"}, "class_weight"),
    ({"class_weight": None}, "class_weight"),
    ({"target_recall": 0.0}, "target_recall"),
    ({"target_recall": 1.01}, "target_recall"),
    ({"max_reject_share": -0.01}, "max_reject_share"),
    ({"max_reject_share": 1.5}, "max_reject_share"),
    ({"ngram_max": 0}, "ngram_max"),
    ({"ngram_max": 4}, "ngram_max"),
    ({"max_features": 99}, "max_features"),
    ({"min_df": 0}, "min_df"),
    ({"seed": -1}, "seed"),
    ({"data": ""}, "data"),
    ({"experiment_name": ""}, "experiment_name"),
    ({"learning_rate": 0.1}, "learning_rate"),
])
def test_bad_values_are_rejected_naming_the_problem(overrides: dict[str, Any],
                                                    field: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=field):
        TrainConfig(**{"data": "tickets.csv", **overrides})


def test_data_is_required() -> None:
    with pytest.raises(pydantic.ValidationError, match="data"):
        TrainConfig()  # type: ignore[call-arg]


def test_config_is_frozen() -> None:
    config = TrainConfig(data="tickets.csv")
    with pytest.raises(pydantic.ValidationError):
        config.C = 1.0  # type: ignore[misc]


def test_hyperparameters_are_what_the_pipeline_reads() -> None:
    config = TrainConfig(data="x.csv", stages=1, features="word", C=0.5, max_features=200,
                         ngram_max=3,
                         char_ngram_max=4, min_df=4, class_weight="none", seed=7,
                         eval_fraction=0.3, cv_folds=4)
    assert config.hyperparameters() == {"stages": 1, "features": "word",
                                        "C": 0.5, "max_features": 200,
                                        "ngram_max": 3, "char_ngram_max": 4, "min_df": 4,
                                        "class_weight": "none", "seed": 7}
    assert config.model() == ModelConfig(**config.hyperparameters())


def test_mlproject_and_cli_defaults_are_train_configs() -> None:
    """One definition of each default: MLproject's train parameters and the CLI's options
    carry TrainConfig's values."""
    from typer.main import get_command

    from mlflow_project.cli import app

    spec = yaml.safe_load((PACKAGE_DIR / "MLproject").read_text(encoding="utf-8"))
    parameters = spec["entry_points"]["train"]["parameters"]
    assert set(parameters) == set(TrainConfig.model_fields)
    train = get_command(app).commands["train"]  # type: ignore[attr-defined]
    cli_defaults = {p.name: p.default for p in train.params}
    for name, field in TrainConfig.model_fields.items():
        if field.is_required():
            continue
        assert str(parameters[name]["default"]) == str(field.default), name
        assert cli_defaults[name.lower() if name != "C" else "c"] == field.default, name


PARAMS = TrainConfig(data="tickets.csv").hyperparameters()


def test_fingerprint_is_stable_for_the_same_inputs() -> None:
    first = fingerprint(DATA_HASH, CODE_HASH, PARAMS)
    assert first == fingerprint(DATA_HASH, CODE_HASH, dict(PARAMS))
    assert len(first) == 64
    int(first, 16)  # a hex digest


def test_fingerprint_ignores_parameter_order() -> None:
    reversed_params = dict(reversed(list(PARAMS.items())))
    assert list(reversed_params) != list(PARAMS)
    assert fingerprint(DATA_HASH, CODE_HASH, reversed_params) == fingerprint(
        DATA_HASH, CODE_HASH, PARAMS)


def test_fingerprint_changes_with_the_data_hash() -> None:
    assert fingerprint("c" * 64, CODE_HASH, PARAMS) != fingerprint(DATA_HASH, CODE_HASH, PARAMS)


def test_fingerprint_changes_with_the_code_hash() -> None:
    assert fingerprint(DATA_HASH, "c" * 64, PARAMS) != fingerprint(DATA_HASH, CODE_HASH, PARAMS)


CHANGED_PARAMS = [
    ("stages", 1), ("features", "word+char"), ("C", 2.0), ("max_features", 1000), ("ngram_max", 1),
    ("char_ngram_max", 4), ("min_df", 5), ("class_weight", "none"), ("seed", 43),
]


@pytest.mark.parametrize(("name", "value"), CHANGED_PARAMS)
def test_fingerprint_changes_with_any_parameter(name: str, value: object) -> None:
    assert PARAMS[name] != value
    changed = {**PARAMS, name: value}
    assert fingerprint(DATA_HASH, CODE_HASH, changed) != fingerprint(DATA_HASH, CODE_HASH, PARAMS)


def test_every_hyperparameter_is_covered_by_the_change_test() -> None:
    assert {name for name, _ in CHANGED_PARAMS} == set(PARAMS)


def test_fingerprint_changes_when_a_parameter_is_added() -> None:
    assert fingerprint(DATA_HASH, CODE_HASH, {**PARAMS, "extra": 1}) != fingerprint(
        DATA_HASH, CODE_HASH, PARAMS)


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    source = Path(mlflow_project.__file__).resolve().parent
    target = tmp_path / "mlflow_project"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_package_dir_is_the_installed_package() -> None:
    assert Path(mlflow_project.__file__).resolve().parent == PACKAGE_DIR


def test_code_hash_is_stable_and_independent_of_location(package_copy: Path) -> None:
    assert code_sha256(package_copy) == code_sha256(package_copy)
    assert code_sha256(package_copy) == code_sha256(PACKAGE_DIR)


def test_code_hash_changes_when_a_source_file_changes(package_copy: Path) -> None:
    before = code_sha256(package_copy)
    target = package_copy / "training" / "threshold.py"
    target.write_text(target.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert code_sha256(package_copy) != before


def test_code_hash_changes_when_a_nested_file_changes(package_copy: Path) -> None:
    before = code_sha256(package_copy)
    target = package_copy / "model" / "features.py"
    target.write_bytes(target.read_bytes().replace(b"50_000", b"50_001", 1))
    assert code_sha256(package_copy) != before


def test_code_hash_changes_when_mlproject_changes(package_copy: Path) -> None:
    before = code_sha256(package_copy)
    mlproject = package_copy / "MLproject"
    mlproject.write_text(mlproject.read_text(encoding="utf-8") + "\n# changed\n",
                         encoding="utf-8")
    assert code_sha256(package_copy) != before


def test_code_hash_changes_when_a_source_file_is_added_or_renamed(package_copy: Path) -> None:
    before = code_sha256(package_copy)
    added = package_copy / "data" / "new_module.py"
    added.write_text("X = 1\n", encoding="utf-8")
    with_added = code_sha256(package_copy)
    assert with_added != before
    added.rename(package_copy / "data" / "renamed_module.py")
    assert code_sha256(package_copy) not in {before, with_added}


def test_code_hash_ignores_files_that_are_not_source(package_copy: Path) -> None:
    before = code_sha256(package_copy)
    (package_copy / "notes.txt").write_text("scratch", encoding="utf-8")
    pycache = package_copy / "data" / "__pycache__"
    pycache.mkdir(exist_ok=True)
    (pycache / "contract.cpython-311.pyc").write_bytes(b"\x00\x01")
    assert code_sha256(package_copy) == before


def test_code_hash_ignores_code_that_does_not_shape_the_model(package_copy: Path) -> None:
    before = code_sha256(package_copy)
    monitoring = package_copy / "monitoring"
    monitoring.mkdir(exist_ok=True)
    (monitoring / "new_check.py").write_text("X = 1\n", encoding="utf-8")
    assert code_sha256(package_copy) == before
    (package_copy / "model" / "features.py").write_text(
        (package_copy / "model" / "features.py").read_text(encoding="utf-8") + "\n# changed\n",
        encoding="utf-8")
    assert code_sha256(package_copy) != before
