"""Lineage of a training run: the code's hash and git commit, and the run's fingerprint."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Mapping
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
# The subpackages whose code shapes a trained model; monitoring or batch changes do not retrain.
TRAINING_CODE = ("data", "evaluation", "model", "registry", "training")


def code_sha256(package_dir: Path = PACKAGE_DIR) -> str:
    """SHA-256 over the code that shapes a trained model (and MLproject), in a stable order."""
    digest = hashlib.sha256()
    files = sorted([*(f for sub in TRAINING_CODE for f in (package_dir / sub).rglob("*.py")),
                    *package_dir.glob("*.py"), package_dir / "MLproject"])
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(package_dir).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def git_commit(directory: Path = PACKAGE_DIR) -> str:
    """The checkout's HEAD commit, suffixed `-dirty` when tracked files changed; or "unknown"."""
    try:
        head = _git(directory, "rev-parse", "HEAD")
        dirty = _git(directory, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}-dirty" if dirty else head


def fingerprint(data_sha256: str, code_hash: str, parameters: Mapping[str, object]) -> str:
    """Identity of a training run's inputs: same data, code and parameters => same fingerprint."""
    payload = json.dumps({"data": data_sha256, "code": code_hash, "params": dict(parameters)},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _git(directory: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=directory, capture_output=True, text=True,
                          check=True, timeout=10).stdout.strip()
