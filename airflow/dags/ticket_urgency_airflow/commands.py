"""Run the project's commands (its own environment) from a task, streaming their output.

A command's exit code decides what Airflow does next: `DeterministicFailure` (a subclass of
`AirflowFailException`) fails the task at once, without retries, for outcomes a retry cannot
change (refused data, bad arguments); `TransientFailure` is an ordinary exception, so the task's
retries with exponential backoff apply.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from ticket_urgency_airflow.settings import PipelineSettings

log = logging.getLogger(__name__)

KEPT_LINES = 2000
STOP_GRACE_SECONDS = 10
# Variables that would make a project command join a run or experiment it did not start.
LEAKY_MLFLOW_VARIABLES = ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME")


class DeterministicFailure(AirflowFailException):
    """The command failed in a way a retry cannot fix: fail the task now, with the reason."""


class TransientFailure(RuntimeError):
    """The command failed in a way a retry may fix (a store or network hiccup, an unknown error)."""


@dataclass(frozen=True)
class CommandResult:
    """What a finished command returned and printed (stdout and stderr, interleaved)."""

    args: tuple[str, ...]
    returncode: int
    lines: tuple[str, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether it exited 0."""
        return self.returncode == 0

    def last_json(self) -> dict[str, Any]:
        """The last line that is a JSON object (the project's commands print one on success)."""
        for line in reversed(self.lines):
            text = line.strip()
            if text.startswith("{"):
                try:
                    parsed = json.loads(text)
                except json.JSONDecodeError:
                    continue
                if isinstance(parsed, dict):
                    return parsed
        raise TransientFailure(f"{self.name} printed no JSON summary; its output ended with: "
                               f"{self.tail()}")

    def error_message(self) -> str:
        """The command's own `error: ...` lines, else the end of its output."""
        errors = [line.strip()[len("error:"):].strip() for line in self.lines
                  if line.strip().startswith("error:")]
        return "; ".join(errors) if errors else self.tail()

    def tail(self, count: int = 5) -> str:
        """The last non-empty lines, joined."""
        kept = [line.strip() for line in self.lines if line.strip()]
        return " | ".join(kept[-count:]) or "(no output)"

    @property
    def name(self) -> str:
        """`ticket-urgency snapshot`, `mlflow run`, `python -m mlflow_project.monitoring`."""
        words = 3 if self.args[1:2] == ("-m",) else 2
        return " ".join([Path(self.args[0]).name, *self.args[1:words]])


def project_environment(settings: PipelineSettings, extra: Mapping[str, str] | None = None
                        ) -> dict[str, str]:
    """The task's environment, pointed at the project's venv and tracking store.

    `mlflow run --env-manager local` finds `ticket-urgency` on PATH, so the project's bin folder
    goes first; `TU_ACTOR` (who the registry records) defaults to `airflow`.
    """
    env = {key: value for key, value in os.environ.items()
           if key not in LEAKY_MLFLOW_VARIABLES and key != "PYTHONPATH"}
    env["PATH"] = os.pathsep.join([str(settings.project_bin), env.get("PATH", "")])
    env["VIRTUAL_ENV"] = str(settings.project_bin.parent)
    env["MLFLOW_TRACKING_URI"] = settings.tracking_uri
    env.setdefault("TU_ACTOR", "airflow")
    env.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(extra or {})
    return env


def run_command(args: Sequence[str], settings: PipelineSettings, *,
                env: Mapping[str, str] | None = None) -> CommandResult:
    """Run one command in the project folder, logging each line as it comes.

    The command gets its own process group; if the task is stopped (timeout, mark failed, kill),
    the whole group is terminated, then killed after a grace period, so no training run outlives
    its task.
    """
    args = tuple(str(a) for a in args)
    log.info("running: %s", " ".join(args))
    started = time.monotonic()
    kept: deque[str] = deque(maxlen=KEPT_LINES)
    process = subprocess.Popen(
        args, cwd=settings.project_dir, env=dict(env or project_environment(settings)),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        errors="replace", bufsize=1, start_new_session=True)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            line = line.rstrip("\n")
            kept.append(line)
            log.info("| %s", line)
        returncode = process.wait()
    finally:
        _stop_group(process)
    result = CommandResult(args=args, returncode=returncode, lines=tuple(kept),
                           seconds=round(time.monotonic() - started, 3))
    log.info("%s exited %d after %.1f s", result.name, result.returncode, result.seconds)
    return result


def _stop_group(process: subprocess.Popen[str]) -> None:
    """Terminate, then kill, what is left of the command's process group."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, STOP_GRACE_SECONDS), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
