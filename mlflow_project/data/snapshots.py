"""Lineage-safe local data: each generated table is a new content-addressed snapshot file, and a
stable link (`.demo/tickets.csv`) points at the newest.

A model version records the file it was trained on (its path and SHA-256); regenerating data
must not change that file under it, or monitoring and re-evaluating the older version would read
other data. So a snapshot is never overwritten: the same bytes get the same name (and are not
rewritten), other bytes get another name, and only the link moves.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from mlflow_project.data.io import write_bytes

NAME_HASH_LENGTH = 12


@dataclass(frozen=True)
class Snapshot:
    """Where the bytes went, their SHA-256, and where a pre-snapshot file at the link was kept."""

    path: Path
    sha256: str
    kept_previous: Path | None = None


def write_snapshot(payload: bytes, link: Path, label: str) -> Snapshot:
    """Write `payload` as `<link stem>-<label>-<sha256[:12]><link suffix>` beside `link` unless
    that snapshot exists already, then point `link` at it (a relative symlink, replaced
    atomically). A regular file found at `link` (written before snapshots) is first renamed to a
    snapshot of its own bytes, so nothing trained on it is lost."""
    digest = hashlib.sha256(payload).hexdigest()
    snapshot = _snapshot_path(link, label, digest)
    if not snapshot.exists():
        write_bytes(payload, str(snapshot))
    kept = _keep_regular_file(link)
    _point(link, snapshot)
    return Snapshot(snapshot, digest, kept)


def _snapshot_path(link: Path, label: str, digest: str) -> Path:
    return link.with_name(f"{link.stem}-{label}-{digest[:NAME_HASH_LENGTH]}{link.suffix}")


def _keep_regular_file(link: Path) -> Path | None:
    """Rename a plain file at `link` to `<stem>-previous-<sha>`; None when there is none."""
    if link.is_symlink() or not link.exists():
        return None
    digest = hashlib.sha256(link.read_bytes()).hexdigest()
    kept = _snapshot_path(link, "previous", digest)
    os.replace(link, kept)
    return kept


def _point(link: Path, snapshot: Path) -> None:
    """Make `link` a relative symlink to `snapshot`, never leaving it missing."""
    temporary = link.with_name(f".{link.name}.{os.getpid()}.link")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(snapshot.name)
    os.replace(temporary, link)
