"""Helpers of the deploy tests.

The A/B fixtures these tests share with tests/registry_tools/ab (`trained_store`, `registry`,
`fake_cloud_run`, `service_path`) are in tests/conftest.py, their helpers (`Registry`,
`copy_store`, `ab`) in tests/registry_tools/ab/support.py. The Cloud Run tests talk to
`fake_cloud_run` through the real `google-cloud-run` client.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def require_tool(found: str | None, tool: str, how: str) -> str:
    """The tool's path; a failure in CI (CI=true), a skip elsewhere, saying how to get it."""
    if found is None:
        message = f"{tool} is not installed: {how}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found
