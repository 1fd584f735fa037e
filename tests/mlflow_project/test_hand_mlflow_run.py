"""A hand `mlflow run`, as the README gives it, lands in the platform's store or is refused.

`mlflow run` creates its run in the store it resolves itself, before the entry point starts: in a
shell without MLFLOW_TRACKING_URI that is MLflow's default, `./mlflow.db`. `make install` makes
`source .venv/bin/activate` export the project's store; the entry points refuse MLflow's default.
Each test works in a temp checkout-like folder (TU_HOME) holding the MLproject, never in this one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient

from mlflow_project.tracking_store import use_tracking_store

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
EXPERIMENT = "ticket_urgency"
ACTIVATE_LINE = "# tu-tracking-store"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout-like folder: the MLproject, nothing else (the commands come from the venv)."""
    root = tmp_path / "checkout"
    (root / "mlflow_project").mkdir(parents=True)
    shutil.copy(REPO / "mlflow_project" / "MLproject", root / "mlflow_project" / "MLproject")
    return root


def shell_env(checkout: Path, **extra: str) -> dict[str, str]:
    """A shell's environment with the venv on PATH and no tracking store exported."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID",
                        "MLFLOW_EXPERIMENT_NAME")}
    return {**env, "PATH": f"{BIN}:{env['PATH']}", "TU_HOME": str(checkout),
            "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false", **extra}


def hand_train(checkout: Path, data: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The README's two commands, run from the checkout."""
    script = (f"ticket-urgency ensure-experiment --name {EXPERIMENT} && "
              f"mlflow run mlflow_project -e train --env-manager local "
              f"--experiment-name {EXPERIMENT} -P data={data} -P cv_folds=3")
    return subprocess.run(["bash", "-c", script], cwd=checkout, env=env, capture_output=True,
                          text=True, timeout=600, check=False)


def registered_models(database: Path) -> list[str]:
    """Names in a SQLite store's registered_models table (none when it has no such table)."""
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute(
            "select name from sqlite_master where type = 'table'")}
        if "registered_models" not in tables:
            return []
        return [row[0] for row in connection.execute("select name from registered_models")]


def test_with_the_store_activation_exports_a_hand_mlflow_run_registers_into_it(
        checkout: Path, tickets_csv: Path) -> None:
    store = checkout / ".mlflow" / "mlflow.db"
    env = shell_env(checkout, MLFLOW_TRACKING_URI=f"sqlite:///{store}")  # what activate exports
    result = hand_train(checkout, tickets_csv, env)
    assert result.returncode == 0, result.stderr[-3000:]
    status = subprocess.run([str(BIN / "registry-tools"), "status"], cwd=checkout, env=env,
                            capture_output=True, text=True, timeout=180, check=False)
    assert status.returncode == 0, status.stderr[-2000:]
    assert "challenger" in status.stdout, status.stdout
    assert registered_models(store) == ["ticket_urgency"]  # the lock's tickets are experiments
    client = MlflowClient(tracking_uri=f"sqlite:///{store}")
    version = client.get_model_version("ticket_urgency", "1")
    assert len(version.tags) <= 12, sorted(version.tags)
    assert "**Gate**: passed" in version.description
    assert not [k for k in client.get_registered_model("ticket_urgency").tags if "audit" in k]
    assert not (checkout / "mlflow.db").exists()
    assert not list(checkout.rglob("mlruns")), list(checkout.rglob("mlruns"))
    assert not list(checkout.rglob("mlflow.db"))[1:], list(checkout.rglob("mlflow.db"))
    assert stat.S_IMODE(store.stat().st_mode) == 0o600


def test_without_a_store_a_hand_mlflow_run_is_refused_with_the_fix(
        checkout: Path, tickets_csv: Path) -> None:
    result = hand_train(checkout, tickets_csv, shell_env(checkout))
    assert result.returncode != 0
    assert f"MLFLOW_TRACKING_URI=sqlite:///{checkout}/mlflow.db is MLflow's default store" \
        in result.stderr, result.stderr[-3000:]
    assert "source .venv/bin/activate" in result.stderr
    # `mlflow run` itself created ./mlflow.db before the entry point ran; nothing got registered
    assert registered_models(checkout / "mlflow.db") == []
    assert not list(checkout.rglob("mlruns"))


def test_make_install_makes_activate_export_the_project_store_once(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "activate").write_text("# a venv's activate script\n")
    (venv / ".installed").touch()  # newer than requirements.lock: no reinstall
    for _ in range(2):
        made = subprocess.run(["make", "--no-print-directory", "install", f"VENV={venv}"],
                              cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
        assert made.returncode == 0, made.stderr
    assert (venv / "bin" / "activate").read_text().count(ACTIVATE_LINE) == 1
    show = f"source {venv}/bin/activate && echo $MLFLOW_TRACKING_URI"
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    exported = subprocess.run(["bash", "-c", show], env=env, capture_output=True, text=True,
                              check=True).stdout.strip()
    assert exported == f"sqlite:///{REPO}/.mlflow/mlflow.db"
    mine = subprocess.run(["bash", "-c", show], env={**env, "MLFLOW_TRACKING_URI": "http://x:5000"},
                          capture_output=True, text=True, check=True).stdout.strip()
    assert mine == "http://x:5000"  # a store the user exported wins


@pytest.mark.parametrize("uri", ["sqlite:///mlflow.db", "./mlruns", "file:./mlruns"])
def test_mlflows_default_store_in_the_working_directory_is_refused(
        uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TU_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    with pytest.raises(SystemExit) as exited:
        use_tracking_store()
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("error: MLFLOW_TRACKING_URI="), err
    assert not (tmp_path / "mlflow.db").exists()  # refused before anything is created


def test_a_given_sqlite_store_elsewhere_is_created_private(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "stores" / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{database}")
    previous = os.umask(0o022)
    try:
        assert use_tracking_store() == f"sqlite:///{database}"
    finally:
        os.umask(previous)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700
