"""The prediction log's files: private whatever the umask, and a bad path is a start-up error."""

from __future__ import annotations

import os
import stat
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from serving.private_files import check_writable_folder, make_private_dirs, open_private_append
from tests.serving.conftest import BIN, REPO, TICKET, ModelStore, Server, free_port


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def _umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def test_created_folders_and_files_are_private_under_a_permissive_umask(tmp_path: Path) -> None:
    with _umask(0):
        make_private_dirs(tmp_path / "a" / "b")
        with open_private_append(tmp_path / "a" / "b" / "log.jsonl") as sink:
            sink.write(b"{}\n")
    assert _mode(tmp_path / "a") == _mode(tmp_path / "a" / "b") == 0o700
    assert _mode(tmp_path / "a" / "b" / "log.jsonl") == 0o600
    assert (tmp_path / "a" / "b" / "log.jsonl").read_bytes() == b"{}\n"


def test_existing_folders_and_files_keep_their_modes_and_content(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o750)
    os.chmod(shared, 0o750)
    existing = shared / "log.jsonl"
    existing.write_bytes(b"old\n")
    os.chmod(existing, 0o640)
    make_private_dirs(shared)
    with open_private_append(existing) as sink:
        sink.write(b"new\n")
    assert (_mode(shared), _mode(existing)) == (0o750, 0o640)
    assert existing.read_bytes() == b"old\nnew\n"


@pytest.mark.parametrize("folder", ["/proc/predictions", "/sys/predictions"])
def test_an_unwritable_folder_is_refused(folder: str) -> None:
    with pytest.raises(OSError, match="predictions"):
        check_writable_folder(Path(folder))


def test_a_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(OSError, match="file"):
        check_writable_folder(tmp_path / "file" / "sub")


@pytest.mark.integration
@pytest.mark.parametrize(("path", "reason"), [
    ("/proc/predictions.jsonl", "No such file or directory"),
    ("/sys/predictions.jsonl", "Permission denied"),
    ("/sys/predictions/", "Operation not permitted"),
])
def test_gunicorn_refuses_an_uncreatable_prediction_log_with_exit_2(
        model_store: ModelStore, path: str, reason: str) -> None:
    env = {**model_store.env(), "PORT": str(free_port()), "HOST": "127.0.0.1",
           "PREDICTION_LOG": path}
    result = subprocess.run([str(BIN / "gunicorn"), "-c", "serving/gunicorn.conf.py"], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if "PREDICTION_LOG" in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].strip().startswith(f"PREDICTION_LOG={path!r}")
    assert reason in lines[0]
    assert "Booting worker" not in result.stderr


@pytest.mark.integration
def test_a_served_prediction_log_is_private_whatever_the_umask(model_store: ModelStore,
                                                               tmp_path: Path) -> None:
    sink = tmp_path / "logs" / "nested" / "predictions.jsonl"
    env = {**model_store.env(), "MODEL_URI": str(model_store.baked), "PREDICTION_LOG": str(sink)}
    with _umask(0):
        server = Server(env, tmp_path / "server").start()
    try:
        assert server.post("/predict", json=TICKET).status_code == 200
        deadline = time.monotonic() + 5
        while not sink.read_bytes():
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        assert server.stop() == 0
    assert _mode(sink) == 0o600
    assert _mode(sink.parent) == _mode(sink.parent.parent) == 0o700
    assert b'"urgency_probability"' in sink.read_bytes()


@pytest.mark.integration
def test_a_folder_sinks_files_are_private(server: Server, prediction_log_dir: Path) -> None:
    assert server.post("/predict", json=TICKET).status_code == 200
    files = list(prediction_log_dir.glob("predictions-*.jsonl"))
    assert files
    assert all(_mode(path) == 0o600 for path in files)
    assert not list(prediction_log_dir.glob(".write-probe-*"))
