"""Whether a server can listen on HOST:PORT, checked before it starts, and who is in the way.

Every server the platform starts (`make ui`, `make serve` and gunicorn wherever it runs,
`make demo`'s service, `local-stack up`, the A/B rehearsal's nginx, `airflow-up`) asks here first,
so a busy port is one line naming the port, the process holding it when it can be seen, and the
variable that picks another, instead of a server that retries, hangs, exits 0 (`mlflow ui`) or
answers for someone else's process. The probe binds the address the way servers do
(SO_REUSEADDR: sockets of a server that just stopped do not count as busy). Standard library only;
the holder is looked up with psutil when it is installed (not in the serving image).

    python -m contracts.ports HOST PORT [--variable NAME]   # exit 1 with the line when busy
"""

from __future__ import annotations

import argparse
import socket
import sys
import textwrap

EXIT_PORT_BUSY = 1


class PortBusy(RuntimeError):
    """Something already listens where a server was about to; the message says what to do."""


def is_free(host: str, port: int) -> bool:
    """True when a server could bind `host:port` now (an empty or 0.0.0.0 host: every IPv4
    interface)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host or "0.0.0.0", port))
        except OSError:
            return False
    return True


def holder(port: int) -> str | None:
    """`pid N: command line` of the process listening on `port`, when it can be seen."""
    try:
        import psutil
    except ImportError:
        return None
    try:
        pids = {c.pid for c in psutil.net_connections(kind="tcp")
                if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid}
        for pid in sorted(pids):
            command = " ".join(psutil.Process(pid).cmdline())
            return f"pid {pid}: {textwrap.shorten(command, 100, placeholder=' ...')}"
    except psutil.Error:
        return None
    return None


def require_free(host: str, port: int, *, variable: str = "PORT") -> None:
    """Raise PortBusy (`port 5000 on 127.0.0.1 is busy (pid N: ...); choose another with
    PORT=...`) unless a server could listen on `host:port`."""
    if is_free(host, port):
        return
    who = holder(port)
    raise PortBusy(f"port {port} on {host or '0.0.0.0'} is busy"
                   f"{f' ({who})' if who else ''}; choose another with {variable}=...")


def main(argv: list[str] | None = None) -> int:
    """The check as a command for make targets: exit 1 with one `error:` line when busy."""
    parser = argparse.ArgumentParser(prog="python -m contracts.ports",
                                     description="exit 1 if a server cannot listen on HOST:PORT")
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--variable", default="PORT", help="the setting that picks the port")
    args = parser.parse_args(argv)
    try:
        require_free(args.host, args.port, variable=args.variable)
    except PortBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PORT_BUSY
    return 0


if __name__ == "__main__":
    sys.exit(main())
