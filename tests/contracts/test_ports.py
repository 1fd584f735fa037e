"""contracts.ports: a busy port is found before a server starts, and named with its holder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from contracts.ports import PortBusy, is_free, require_free
from tests.support import REPO, free_port, held_port


def test_a_port_a_socket_listens_on_is_busy_and_its_holder_named() -> None:
    with held_port() as port:
        assert not is_free("127.0.0.1", port)
        with pytest.raises(PortBusy) as refused:
            require_free("127.0.0.1", port, variable="STACK_MLFLOW_PORT")
    message = str(refused.value)
    assert message.startswith(f"port {port} on 127.0.0.1 is busy (pid {os.getpid()}: ")
    assert message.endswith("; choose another with STACK_MLFLOW_PORT=...")


def test_a_listener_on_loopback_also_blocks_every_interface() -> None:
    with held_port() as port:
        assert not is_free("0.0.0.0", port)


def test_a_free_port_passes() -> None:
    port = free_port()
    assert is_free("127.0.0.1", port)
    require_free("127.0.0.1", port)


def test_connections_left_by_a_stopped_server_do_not_make_its_port_busy() -> None:
    """The server (SO_REUSEADDR, as gunicorn and uvicorn set it) closed its side first (a
    TIME_WAIT on its port) and stopped: servers rebind such a port, so the check must not
    refuse it."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = int(listener.getsockname()[1])
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = listener.accept()
            accepted.close()  # the server's side closes first: its port keeps a TIME_WAIT
            client.recv(1)
    assert is_free("127.0.0.1", port)


def test_the_command_exits_1_with_one_line_when_busy() -> None:
    with held_port() as port:
        result = subprocess.run([sys.executable, "-m", "contracts.ports", "127.0.0.1", str(port),
                                 "--variable", "DEMO_PORT"], cwd=REPO, capture_output=True,
                                text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: port {port} on 127.0.0.1 is busy")
    assert lines[0].endswith("choose another with DEMO_PORT=...")
