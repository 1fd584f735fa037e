"""Start, stop and inspect the stack's background processes through pid files.

A process counts as ours only if the pid in its file is alive AND its command line still contains
the service's marker, so a recycled pid is never mistaken for (or killed as) one of ours. A service
that is not ours yet and whose port on 127.0.0.1 is taken is refused before anything starts
(`contracts.ports`): otherwise its health check could be answered by the stranger on that port.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from contracts.ports import PortBusy, require_free


class StackError(RuntimeError):
    """A part of the stack could not be started; the message carries the end of its log."""


@dataclass(frozen=True)
class Service:
    """A long-running process of the stack and how to tell it is up."""

    name: str
    command: Sequence[str]
    health_url: str
    marker: str
    env: Mapping[str, str] = field(default_factory=dict)
    port: int | None = None  # where it listens on 127.0.0.1, checked before it starts
    port_variable: str = "PORT"  # the setting that picks another port


@dataclass(frozen=True)
class ServiceState:
    """What `status` reports for one service."""

    name: str
    pid: int | None
    healthy: bool
    url: str
    rss_mb: float | None


def pid_file(run_dir: Path, service: Service) -> Path:
    """Where the pid of `service` is kept."""
    return run_dir / f"{service.name}.pid"


def log_file(run_dir: Path, service: Service) -> Path:
    """Where the output of `service` goes."""
    return run_dir / f"{service.name}.log"


def running_pid(run_dir: Path, service: Service) -> int | None:
    """The pid of our running `service`, or None (a stale pid file is removed)."""
    path = pid_file(run_dir, service)
    try:
        pid = int(path.read_text().strip())
        process = psutil.Process(pid)
        if process.status() != psutil.STATUS_ZOMBIE and any(
                service.marker in part for part in process.cmdline()):
            return pid
    except (FileNotFoundError, ValueError, psutil.Error):
        pass
    path.unlink(missing_ok=True)
    return None


def is_healthy(url: str, timeout: float = 2.0) -> bool:
    """True when `url` answers 2xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= int(response.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def require_ports(services: Iterable[Service], run_dir: Path) -> None:
    """Raise StackError naming the first service not running yet whose port is taken (by whom,
    and the variable that picks another)."""
    for service in services:
        if service.port is None or running_pid(run_dir, service) is not None:
            continue
        try:
            require_free("127.0.0.1", service.port, variable=service.port_variable)
        except PortBusy as exc:
            raise StackError(f"{service.name} cannot start: {exc}") from exc


def start(service: Service, run_dir: Path, timeout: float,
          ready: Callable[[], bool] | None = None) -> bool:
    """Start `service` unless it already runs; wait until healthy. True if it was started.

    A busy port is refused first (StackError). On failure the process is stopped again and
    StackError carries the end of its log.
    """
    if running_pid(run_dir, service) is not None:
        return False
    require_ports([service], run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    with log_file(run_dir, service).open("ab") as log:
        process = subprocess.Popen(
            list(service.command), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True, env={**os.environ, **service.env})
    pid_file(run_dir, service).write_text(f"{process.pid}\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if is_healthy(service.health_url) and (ready is None or ready()):
            return True
        time.sleep(0.2)
    reason = (f"exited with code {process.returncode}" if process.poll() is not None
              else f"did not answer {service.health_url} within {timeout:.0f} s")
    stop(service, run_dir)
    raise StackError(f"{service.name} {reason}; last lines of "
                     f"{log_file(run_dir, service)}:\n{tail(log_file(run_dir, service))}")


def stop(service: Service, run_dir: Path, grace: float = 15.0) -> bool:
    """Stop our `service` and every process it started. True if something was stopped."""
    pid = running_pid(run_dir, service)
    if pid is None:
        return False
    parent = psutil.Process(pid)
    family = [parent, *parent.children(recursive=True)]
    for process in family:
        _signal(process, signal.SIGTERM)
    _, alive = psutil.wait_procs(family, timeout=grace)
    for process in alive:
        _signal(process, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=5)
    pid_file(run_dir, service).unlink(missing_ok=True)
    return True


def state(service: Service, run_dir: Path) -> ServiceState:
    """Pid, health and resident memory (of the process and its children) of `service`."""
    pid = running_pid(run_dir, service)
    rss = None
    if pid is not None:
        parent = psutil.Process(pid)
        rss = sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]) / 2**20
    return ServiceState(name=service.name, pid=pid, url=service.health_url, rss_mb=rss,
                        healthy=pid is not None and is_healthy(service.health_url))


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file (empty if it does not exist)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


def _signal(process: psutil.Process, sig: signal.Signals) -> None:
    with contextlib.suppress(psutil.NoSuchProcess):
        process.send_signal(sig)
