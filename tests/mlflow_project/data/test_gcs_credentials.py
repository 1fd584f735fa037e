"""`gs://` data without Google credentials: one line naming the URI and what to set, exit 3.

Every case here fails before any request is sent: GOOGLE_APPLICATION_CREDENTIALS names a file
that does not exist (google-auth checks it first), or nothing is set and google-auth's other
sources (gcloud's config under HOME, the GCE metadata server: NO_GCE_CHECK) are switched off.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mlflow_project.data.io import DataSourceError, read_bytes, read_table, write_bytes

BIN = Path(sys.executable).parent
URI = "gs://tickets-bucket/exports/tickets.csv"


def test_a_missing_key_file_is_named_in_one_line(tmp_path: Path, no_credentials: dict[str, str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / "missing-key.json"
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    with pytest.raises(DataSourceError) as caught:
        read_table(URI)
    message = str(caught.value)
    assert message.startswith(f"{URI}: no Google credentials to reach GCS (File {key} was not "
                              "found.)")
    assert "GOOGLE_APPLICATION_CREDENTIALS" in message
    assert "STORAGE_EMULATOR_HOST=http://HOST:PORT" in message
    assert "\n" not in message


def test_no_credentials_at_all_fail_fast_for_reads_and_writes(
        no_credentials: dict[str, str]) -> None:
    with pytest.raises(DataSourceError, match=rf"^{URI}: no Google credentials to reach GCS"):
        read_bytes(URI)
    target = "gs://tickets-bucket/snapshots/copy.csv"
    with pytest.raises(DataSourceError, match=rf"^{target}: no Google credentials"):
        write_bytes(b"title\n", target)


def test_an_emulator_address_without_its_scheme_is_refused(
        no_credentials: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "127.0.0.1:9")
    with pytest.raises(DataSourceError, match=r"STORAGE_EMULATOR_HOST=127.0.0.1:9 needs its "
                                              r"scheme, e.g. http://127.0.0.1:9"):
        read_table(URI)


@pytest.mark.parametrize("command", [
    ("validate", "--data", URI),
    ("train", "--data", URI, "--experiment-name", "gcs-credentials-test"),
])
def test_training_and_validation_exit_3_with_one_line(
        tmp_path: Path, no_credentials: dict[str, str], command: tuple[str, ...]) -> None:
    (tmp_path / "store").mkdir()  # not ./mlflow.db, MLflow's default, which commands refuse
    env = {**no_credentials, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}",
           "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "missing-key.json")}
    result = subprocess.run([str(BIN / "ticket-urgency"), *command], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 3, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr[-2000:]
    assert f"{URI}: no Google credentials to reach GCS" in errors[0]
    assert "Traceback" not in result.stderr
