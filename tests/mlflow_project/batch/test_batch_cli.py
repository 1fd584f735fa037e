"""`python -m mlflow_project.batch`: arguments, summary, exit codes (0, 2, 3, 4), no stray files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mlflow_project.batch.cli import app
from tests.mlflow_project.batch.conftest import PYTHON, REPO, RegisteredModel, files_in


def _invoke(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout, and stderr with click's boxes and line wrapping undone."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, " ".join(result.stderr.replace("│", " ").split())


def test_the_module_entry_point_scores_and_prints_a_json_summary(
        registered_model: RegisteredModel, messy_csv: Path, out_dir: Path) -> None:
    result = subprocess.run(
        [PYTHON, "-m", "mlflow_project.batch", "--input", str(messy_csv),
         "--output", str(out_dir / "p.parquet"), "--chunk-size", "100"],
        cwd=REPO, env=registered_model.env(), capture_output=True, text=True, timeout=300,
        check=False)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows_in"] == 400
    assert summary["scored"] == 395
    assert summary["model_version"] == "1"
    assert summary["rows_per_second"] > 0
    assert "scored 395 of 400 rows with version 1" in result.stderr
    assert "rows/s]" not in result.stderr  # stderr is not a terminal: no progress bar
    assert files_in(out_dir) == {"p.parquet", "p.rejects.csv"}


def test_a_pinned_version_uri_is_used_as_given(messy_csv: Path, out_dir: Path) -> None:
    code, stdout, _ = _invoke("--input", str(messy_csv), "--output", str(out_dir / "p.csv"),
                              "--model-uri", "models:/ticket_urgency/1", "--no-progress")
    assert code == 0
    assert json.loads(stdout)["model_loaded"] == "models:/ticket_urgency/1"
    assert set(pd.read_csv(out_dir / "p.csv")["model_version"]) == {1}


@pytest.mark.parametrize(("args", "message"), [
    (["--chunk-size", "0"], "--chunk-size"),
    (["--max-reject-share", "1.5"], "--max-reject-share"),
    (["--engine", "dask"], "--engine"),
])
def test_bad_arguments_exit_2(messy_csv: Path, out_dir: Path, args: list[str],
                              message: str) -> None:
    code, _, stderr = _invoke("--input", str(messy_csv), "--output", str(out_dir / "p.parquet"),
                              *args)
    assert code == 2
    assert message in stderr
    assert files_in(out_dir) == set()


@pytest.mark.parametrize(("output", "message"), [
    ("p.json", "unsupported file type .json"),
    ("tickets.csv", "would overwrite the input"),
])
def test_bad_output_paths_exit_2(messy_csv: Path, output: str, message: str) -> None:
    code, _, stderr = _invoke("--input", str(messy_csv),
                              "--output", str(messy_csv.parent / output))
    assert code == 2
    assert message in stderr


def test_refused_data_exits_3_with_the_reason(out_dir: Path) -> None:
    source = out_dir / "wrong.csv"
    source.write_text("id,subject\n1,hello\n")
    code, stdout, stderr = _invoke("--input", str(source), "--output", str(out_dir / "p.csv"))
    assert code == 3
    assert "error: data refused, nothing written: missing required column(s)" in stderr
    assert stdout == ""
    assert files_in(out_dir) == {"wrong.csv"}


def test_too_many_rejects_exit_3(messy_csv: Path, out_dir: Path) -> None:
    code, _, stderr = _invoke("--input", str(messy_csv), "--output", str(out_dir / "p.csv"),
                              "--max-reject-share", "0")
    assert code == 3
    assert "batch refused: 5 of 400 rows" in stderr
    assert files_in(out_dir) == {"p.rejects.csv"}


@pytest.mark.parametrize("uri", ["models:/ticket_urgency@champion", "models:/ticket_urgency/9",
                                 "models:/no_such_model@production",
                                 "runs:/0123456789abcdef/model", "/no/such/model/folder"])
def test_an_unknown_model_exits_4_before_reading(messy_csv: Path, out_dir: Path,
                                                  uri: str) -> None:
    code, _, stderr = _invoke("--input", str(messy_csv), "--output", str(out_dir / "p.csv"),
                              "--model-uri", uri)
    assert code == 4
    assert f"error: no such model: {uri}" in stderr
    assert files_in(out_dir) == set()
