"""With MLFLOW_TRACKING_URI unset, every CLI uses the project's embedded store and says so.

The subprocess tests point the project home at a temp folder (TU_HOME), so nothing is written
into this checkout's `.mlflow/`; they run from another temp folder, which must stay empty.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mlflow_project.tracking_store import (
    HTTP_DEFAULTS,
    create_private_store,
    default_tracking_uri,
    project_home,
    unreachable_server,
    use_tracking_store,
)
from tests.support import free_port

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]


def test_the_project_home_is_tu_home_else_this_checkout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TU_HOME", raising=False)
    assert project_home() == REPO
    monkeypatch.setenv("TU_HOME", str(tmp_path))
    assert project_home() == tmp_path.resolve()
    assert default_tracking_uri(tmp_path) == f"sqlite:///{tmp_path}/.mlflow/mlflow.db"


def test_an_unset_uri_defaults_to_the_embedded_store_and_is_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
        ) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    monkeypatch.setenv("TU_HOME", str(tmp_path))
    expected = f"sqlite:///{tmp_path}/.mlflow/mlflow.db"
    assert use_tracking_store() == expected
    assert os.environ["MLFLOW_TRACKING_URI"] == expected
    assert (tmp_path / ".mlflow").is_dir()  # SQLite cannot create the folder itself
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"tracking store: {expected} (the project's embedded store" in captured.err


def test_a_given_uri_is_kept_and_reported_without_its_password(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://bob:hunter2@tracking:5000")
    assert use_tracking_store() == "http://bob:hunter2@tracking:5000"
    assert os.environ["MLFLOW_TRACKING_URI"] == "http://bob:hunter2@tracking:5000"
    err = capsys.readouterr().err
    assert "tracking store: http://***@tracking:5000 (from MLFLOW_TRACKING_URI)" in err
    assert "hunter2" not in err


@pytest.mark.parametrize(("command", "opens_the_store"), [
    ((str(BIN / "registry-tools"), "status"), True),
    ((str(BIN / "registry-tools"), "history"), True),
    ((str(BIN / "ticket-urgency"), "ensure-experiment", "--name", "tracking-store-test"), True),
    ((sys.executable, "-m", "mlflow_project.batch", "--input", "in.csv", "--output", "out.csv"),
     True),  # resolves models:/ticket_urgency@production first: no such model, exit 4
    ((sys.executable, "-m", "mlflow_project.monitoring", "--logs", "logs", "--out", "report"),
     False),  # refuses the missing logs before it needs the store
])
def test_every_cli_uses_the_embedded_store_not_the_working_directory(
        tmp_path: Path, command: tuple[str, ...], opens_the_store: bool) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["TU_HOME"] = str(home)
    result = subprocess.run(list(command), cwd=work, env=env, capture_output=True, text=True,
                            timeout=180, check=False)
    store = f"sqlite:///{home}/.mlflow/mlflow.db"
    assert f"tracking store: {store} (the project's embedded store" in result.stderr, \
        result.stderr[-2000:]
    database = home / ".mlflow" / "mlflow.db"  # created empty (0600); MLflow fills it
    assert database.is_file()
    assert (database.stat().st_size > 0) is opens_the_store, result.stderr[-2000:]
    assert not (work / "mlflow.db").exists()
    assert not (work / "mlruns").exists()


@pytest.mark.parametrize("command", [
    (str(BIN / "registry-tools"), "status"),
    (str(BIN / "registry-tools"), "history"),
    (str(BIN / "registry-tools"), "promote", "--version", "1"),
    (str(BIN / "ticket-urgency"), "ensure-experiment", "--name", "x"),  # unhandled: a traceback
    (sys.executable, "-m", "mlflow_project.batch", "--input", "in.csv", "--output", "out.csv"),
])
def test_no_cli_prints_the_credentials_of_an_unreachable_store(
        tmp_path: Path, command: tuple[str, ...]) -> None:
    secret, token = "S3cret-pw-42", "tok-9f8e7d6c5b"
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"http://alice:{secret}@127.0.0.1:1/?token={token}",
           "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "2"}
    result = subprocess.run(list(command), cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=180, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert "tracking store: http://***@127.0.0.1:1/?token=*** (from MLFLOW_TRACKING_URI)" in output
    assert "http://***@127.0.0.1:1" in output.split("tracking store:", 1)[1].split("\n", 1)[1]
    assert secret not in output
    assert token not in output


UNREACHABLE_LINE = re.compile(
    r"^error: tracking server http://127\.0\.0\.1:(\d+) unreachable \(.*Connection refused\)$")


def test_mlflows_http_variables_get_the_project_defaults_unless_set(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in HTTP_DEFAULTS:  # set first, so that monkeypatch restores the variable
        monkeypatch.setenv(variable, "")
        monkeypatch.delenv(variable)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "45")
    use_tracking_store()
    assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "45"  # the user's value wins
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == HTTP_DEFAULTS[
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES"]
    assert os.environ["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] == HTTP_DEFAULTS[
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"]
    assert int(HTTP_DEFAULTS["MLFLOW_HTTP_REQUEST_MAX_RETRIES"]) < 7  # MLflow's own default


def test_a_refused_connection_is_named_by_its_server_and_other_errors_are_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    port = free_port()
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with pytest.raises(MlflowException) as raised:
        MlflowClient(tracking_uri=f"http://127.0.0.1:{port}").search_registered_models()
    message = unreachable_server(raised.value)
    assert message is not None
    assert UNREACHABLE_LINE.match(f"error: {message}")
    assert unreachable_server(MlflowException("RESOURCE_DOES_NOT_EXIST: no such model")) is None


def test_the_embedded_store_is_created_private_to_its_owner(tmp_path: Path) -> None:
    database = tmp_path / "home" / ".mlflow" / "mlflow.db"
    previous = os.umask(0o022)
    try:
        create_private_store(database)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700
    database.chmod(0o640)  # an operator's choice on an existing store is kept
    create_private_store(database)
    assert stat.S_IMODE(database.stat().st_mode) == 0o640


def test_a_cli_keeps_its_embedded_store_private_once_mlflow_has_written_it(
        tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["TU_HOME"] = str(tmp_path)
    result = subprocess.run([str(BIN / "registry-tools"), "history"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=180, check=False,
                            preexec_fn=lambda: os.umask(0o022))
    assert result.returncode == 0, result.stderr[-2000:]
    database = tmp_path / ".mlflow" / "mlflow.db"
    assert database.stat().st_size > 0  # MLflow made its tables in the file created 0600
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


@pytest.mark.parametrize(("command", "exit_code"), [
    ((str(BIN / "ticket-urgency"), "ensure-experiment", "--name", "x"), 1),  # via run_cli
    ((sys.executable, "-m", "mlflow_project.batch", "--input", "in.csv", "--output", "out.csv"),
     5),  # the batch job's tracking failure
])
def test_other_clis_name_a_dead_tracking_server_in_one_line(
        tmp_path: Path, command: tuple[str, ...], exit_code: int) -> None:
    (tmp_path / "in.csv").write_text("ticket_id,subject,body\n1,a,b\n")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in HTTP_DEFAULTS}
    env["MLFLOW_TRACKING_URI"] = f"http://127.0.0.1:{port}"
    result = subprocess.run(list(command), cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == exit_code, result.stderr[-2000:]
    first, last = result.stderr.strip().splitlines()  # no warning per retried attempt
    assert first == f"tracking store: http://127.0.0.1:{port} (from MLFLOW_TRACKING_URI)"
    match = UNREACHABLE_LINE.match(last)
    assert match is not None, result.stderr[-2000:]
    assert match.group(1) == str(port)
    assert not (tmp_path / "out.csv").exists()
