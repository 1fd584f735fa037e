"""Schemathesis against /openapi.json: >= 500 generated requests, no 5xx, no off-schema answer.

Runs every schemathesis check (`--checks all`: server errors, status codes, content types, headers
and bodies conforming to the document, schema-violating requests rejected, valid ones accepted,
auth not ignored) against the two-worker server with API keys on.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.serving.conftest import API_KEY, BIN, Server

pytestmark = pytest.mark.integration

CONFIG = Path(__file__).with_name("schemathesis.toml")
MIN_CASES = 500


def _schemathesis() -> Path:
    binary = BIN / "st"
    if not binary.exists():
        message = "schemathesis not installed: pip install schemathesis (a dev dependency)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


def test_schemathesis_finds_no_failure_in_500_cases(auth_server: Server, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(_schemathesis()), "--config-file", str(CONFIG), "run",
         f"{auth_server.base}/openapi.json", "--checks", "all", "--max-examples", "200",
         "--seed", "20261127",
         "--header", f"Authorization: Bearer {API_KEY}", "--no-color"],
        cwd=tmp_path, capture_output=True, text=True, timeout=180, check=False)  # its cache too
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", output)
    assert generated is not None, output[-3000:]
    assert int(generated.group(1)) >= MIN_CASES, output[-3000:]
    assert generated.group(1) == generated.group(2)
    assert "No issues found" in output
    print(generated.group(0))  # shown with pytest -s
