"""Resolve and download a `models:/` model once per server, in a helper process.

Resolving `models:/NAME@ALIAS` takes MLflow's client: importing it and opening the store is most
of a registry-backed start (1.7 s of CPU on the embedded SQLite store, 1.1 s against a tracking
server), and leaves MLflow in memory for the process's whole life (290 MB against 103 MB for a
worker without it). So the gunicorn master starts `python -m serving.prefetch` before it binds
(`on_starting`): the helper resolves the alias to a version and downloads that version
(`serving.bake_model.bake`, with its `registry.json`) while gunicorn boots and the worker imports
the app. The worker's first load then waits for the helper and loads the folder without MLflow
(`serving.model_folder`), and every worker loads the same version, so one server serves one
model version even with several workers. (`serving.model_loader` is imported only where it is
used, so the master does not import numpy before it starts the helper.)

The worker waits on a pipe rather than on the process (a worker cannot wait for its sibling):
the helper holds the only write end and closes it once done, so every reader sees end-of-file
then (or when the helper dies). A helper that failed leaves its one-line reason (credentials
masked) in `error.txt`; the worker reports it as the first failed attempt, and its retries resolve
in-process as before (`serving.model_loader.load`: MLflow stays imported, so each retry is
cheap).
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from contracts.model_uri import parse_model_uri, version_uri
from contracts.redaction import redact

if TYPE_CHECKING:
    from serving.model_loader import LoadedModel

MODEL_FOLDER = "model"
ERROR_FILE = "error.txt"
LOG_FILE = "helper.log"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Prefetch:
    """A helper fetching `model_uri` into `folder / MODEL_FOLDER`; it is done once `done_fd`
    reads end-of-file."""

    model_uri: str
    folder: Path
    done_fd: int
    pid: int

    @property
    def model_folder(self) -> Path:
        """Where the helper downloads the model (with its `registry.json`)."""
        return self.folder / MODEL_FOLDER

    def wait(self) -> None:
        """Block until the helper is done (end-of-file on the pipe: nothing is ever written)."""
        while os.read(self.done_fd, 1):
            pass

    def done(self) -> bool:
        """Whether the helper is done (or dead), without waiting."""
        readable, _, _ = select.select([self.done_fd], [], [], 0)
        return bool(readable)

    def failure(self) -> str | None:
        """The reason the helper gave for failing, if it did."""
        error = self.folder / ERROR_FILE
        return error.read_text(encoding="utf-8").strip() if error.is_file() else None

    def last_words(self) -> str:
        """The last line the helper wrote on stderr (a crash's exception), credentials masked."""
        log = self.folder / LOG_FILE
        lines = log.read_text(encoding="utf-8", errors="replace").split("\n") \
            if log.is_file() else []
        return redact(next((line.strip() for line in reversed(lines) if line.strip()),
                           "nothing on stderr"))


_started: Prefetch | None = None


def start(model_uri: str) -> Prefetch | None:
    """In the gunicorn master: start the helper for a `models:/` URI (None for any other URI,
    which loads as before). The workers it forks find it with `started_for`."""
    global _started
    if parse_model_uri(model_uri) is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix="serving-model-"))
    read_end, write_end = os.pipe()
    path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    try:
        with (folder / LOG_FILE).open("wb") as log:
            helper = subprocess.Popen(
                [sys.executable, "-m", "serving.prefetch", model_uri, str(folder),
                 str(write_end)],
                env={**os.environ, "PYTHONPATH": path,
                     "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"},
                pass_fds=(write_end,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=log)
    finally:
        os.close(write_end)  # the helper's copy must be the only one
    _started = Prefetch(model_uri, folder, read_end, helper.pid)
    return _started


def started_for(model_uri: str) -> Prefetch | None:
    """The helper this process (or its master, before the fork) started for `model_uri`."""
    return _started if _started is not None and _started.model_uri == model_uri else None


def first_attempt(model_uri: str) -> Callable[[], LoadedModel] | None:
    """In a worker: the load of what its master's helper fetched for `model_uri`, if there is
    such a helper (`serving.model_loader.ModelHolder`'s first attempt)."""
    started = started_for(model_uri)
    return None if started is None else partial(load, started)


def load(started: Prefetch) -> LoadedModel:
    """Load the version the helper resolved and downloaded, once it is done; raise
    `ModelLoadError` with the helper's reason if it failed."""
    from serving.model_loader import (
        ModelIdentity,
        ModelLoadError,
        load_errors,
        load_folder,
        read_registry_record,
    )

    began = time.perf_counter()
    started.wait()
    failure = started.failure()
    if failure is not None:
        raise ModelLoadError(failure)
    folder = started.model_folder
    with load_errors():
        record = read_registry_record(str(folder))
    if record is None:
        raise ModelLoadError(f"the start-up helper ended without downloading the model: "
                             f"{started.last_words()}")
    identity = ModelIdentity(started.model_uri, version_uri(record.name, record.version),
                             record.name, record.version, record.run_id, record.alias,
                             "registry")
    return load_folder(identity, folder, began)


def stop(started: Prefetch) -> None:
    """In the master, on exit: end a helper still running and remove its folder. (A helper
    that is done is left alone: its pid may since belong to another process.)"""
    if not started.done():
        with contextlib.suppress(ProcessLookupError):
            os.kill(started.pid, signal.SIGTERM)
    shutil.rmtree(started.folder, ignore_errors=True)


def main(argv: list[str]) -> int:
    """The helper: `python -m serving.prefetch MODEL_URI FOLDER FD` (FD: the pipe's write end,
    closed once the model or the reason is written)."""
    model_uri, folder, done_fd = argv[0], Path(argv[1]), int(argv[2])
    from serving.bake_model import bake
    from serving.model_loader import failure_reason

    try:
        bake(model_uri, folder / MODEL_FOLDER)
    except Exception as exc:  # the worker reports any failure as its first failed attempt
        reason = redact(" ".join(failure_reason(exc).split()))
        (folder / ERROR_FILE).write_text(reason + "\n", encoding="utf-8")
        return 1
    finally:
        os.close(done_fd)  # the worker goes on now, not after MLflow's interpreter teardown
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
