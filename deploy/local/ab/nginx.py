"""nginx as the local rehearsal's traffic splitter: render its config, start it, reload it.

nginx runs in the foreground (`daemon off`) as a child started through `deploy.local.processes`,
with its own prefix, config, pid file, logs and temp folders under `AB_RUN_DIR/nginx`. A new split
is rendered from `nginx.conf.template` beside this module, checked with `nginx -t` before it
replaces the live config, and loaded with SIGHUP to the verified master pid (what
`nginx -s reload` does). A reload returns once every worker of the old configuration has
exited, so the split in force when `ab` returns is the new one; requests in flight finish on
the old workers, and no client connection is left open between requests for a reload to cut
(zero failures).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from contracts.traffic import Route
from deploy.local.processes import Service, running_pid

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
SERVICE_NAME = "nginx"
SEARCH_PATH = "/usr/sbin:/usr/local/sbin:/sbin"
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
INSTALL_HINT = "install nginx (Debian/Ubuntu: apt-get install nginx)"


class NginxError(RuntimeError):
    """nginx is missing, refused a config, or did not take a reload in time."""


@dataclass(frozen=True)
class Layout:
    """Where the rehearsal's nginx keeps everything (absolute paths under `AB_RUN_DIR`)."""

    prefix: Path

    @property
    def config(self) -> Path:
        """The live configuration."""
        return self.prefix / "nginx.conf"

    @property
    def nginx_pid(self) -> Path:
        """nginx's own pid file (the rehearsal tracks the master in `AB_RUN_DIR/nginx.pid`)."""
        return self.prefix / "master.pid"

    @property
    def error_log(self) -> Path:
        """nginx's error log."""
        return self.prefix / "error.log"

    @property
    def access_log(self) -> Path:
        """One line per proxied request: time, request id, status, revision, upstream, seconds."""
        return self.prefix / "access.log"

    @property
    def temp(self) -> Path:
        """Request and response buffers that do not fit in memory."""
        return self.prefix / "temp"


def layout(run_dir: Path) -> Layout:
    """The nginx layout of a run folder."""
    return Layout(run_dir.resolve() / "nginx")


def render(template: str, where: Layout, port: int, routes: Sequence[Route],
           ports: Mapping[str, int]) -> str:
    """The nginx config that splits traffic as `routes` say (`ports`: revision -> port)."""
    shares = [route for route in routes if route.percent > 0]
    if not shares or sum(route.percent for route in shares) != 100:
        raise ValueError(f"routes must send 100% of traffic, got {routes}")
    revisions = sorted({route.revision for route in routes})
    upstreams = "".join(
        f"    upstream {name} {{\n        server 127.0.0.1:{ports[name]};\n"
        "        keepalive 8;\n        keepalive_timeout 4s;\n    }\n" for name in revisions)
    *weighted, rest = sorted(shares, key=lambda route: route.percent)
    split = "".join(f"        {route.percent}% {route.revision};\n" for route in weighted)
    split += f"        * {rest.revision};"
    tags = "\n".join(f"        {route.tag} {route.revision};" for route in routes if route.tag)
    values = {"nginx_pid": str(where.nginx_pid), "error_log": str(where.error_log),
              "access_log": str(where.access_log), "temp": str(where.temp), "port": str(port),
              "upstreams": upstreams, "split": split, "tags": tags}
    unknown = set(PLACEHOLDER.findall(template)) - set(values)
    if unknown:
        raise ValueError(f"the nginx template uses unknown placeholders: {sorted(unknown)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def binary() -> str:
    """The nginx executable; NginxError saying how to get it when there is none."""
    found = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:{SEARCH_PATH}")
    if found is None:
        raise NginxError(f"nginx is not installed: {INSTALL_HINT}")
    return found


def service(where: Layout, port: int, executable: str) -> Service:
    """nginx as a rehearsal process: healthy when its own `/ab-health` answers."""
    return Service(name=SERVICE_NAME,
                   command=[executable, "-p", f"{where.prefix}/", "-c", str(where.config),
                            "-e", str(where.error_log)],
                   health_url=f"http://127.0.0.1:{port}/ab-health", marker=str(where.prefix),
                   port=port, port_variable="AB_PROXY_PORT")


def install(config: str, where: Layout, executable: str) -> None:
    """Check `config` with `nginx -t`, then make it the live config (atomically)."""
    where.temp.mkdir(parents=True, exist_ok=True)
    candidate = where.prefix / "nginx.conf.new"
    candidate.write_text(config, encoding="utf-8")
    checked = subprocess.run([executable, "-t", "-q", "-p", f"{where.prefix}/", "-c",
                              str(candidate), "-e", str(where.error_log)],
                             capture_output=True, text=True, check=False, timeout=30)
    if checked.returncode != 0:
        raise NginxError(f"nginx refused the new config ({candidate}):\n{checked.stderr.strip()}")
    candidate.replace(where.config)


def reload(nginx: Service, run_dir: Path, timeout: float = 15.0) -> None:
    """Load the live config into the running nginx; return when only new workers remain."""
    pid = running_pid(run_dir, nginx)
    if pid is None:
        raise NginxError("nginx is not running: start the rehearsal with ab up")
    master = psutil.Process(pid)
    old_workers = _workers(master)
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = _workers(master)
        if current and not current & old_workers:
            return
        time.sleep(0.02)
    raise NginxError(f"nginx did not finish reloading within {timeout:.0f} s; see "
                     f"{layout(run_dir).error_log}")


def _workers(master: psutil.Process) -> set[int]:
    """Pids of the master's live worker processes."""
    alive = set()
    for child in master.children():
        with contextlib.suppress(psutil.NoSuchProcess):
            if child.status() != psutil.STATUS_ZOMBIE:
                alive.add(child.pid)
    return alive
