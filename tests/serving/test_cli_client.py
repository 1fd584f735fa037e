"""`ticket-urgency predict --url`: the demo's client asks a running service over HTTP."""

from __future__ import annotations

import json
import subprocess

from tests.serving.conftest import BIN, REPO, Server, free_port


def test_predict_over_http_matches_the_service(server: Server) -> None:
    result = subprocess.run([str(BIN / "ticket-urgency"), "predict", "--url", server.base],
                            cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2
    assert all(line["model"].endswith("(challenger, over HTTP)") for line in lines)
    outage, monitor = lines
    assert outage["urgency_probability"] > monitor["urgency_probability"]


def test_predict_over_http_fails_clearly_when_nothing_answers() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = subprocess.run([str(BIN / "ticket-urgency"), "predict", "--url", url, "--wait", "1"],
                            cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert f"{url} was not ready within 1 s" in result.stderr
