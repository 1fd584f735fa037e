"""`generate --snapshot` (make data): a new content-addressed file per dataset, a link to the
newest, and never a file an older model version was trained on overwritten."""

from __future__ import annotations

import hashlib
from pathlib import Path

from mlflow_project.data.snapshots import write_snapshot
from tests.support import BIN, make_store


def short_hash(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()[:12]


def test_new_bytes_get_a_new_file_and_only_the_link_moves(tmp_path: Path) -> None:
    link = tmp_path / "tickets.csv"
    first = write_snapshot(b"a,b\n1,2\n", link, "one")
    second = write_snapshot(b"a,b\n3,4\n", link, "two")
    assert first.path != second.path
    assert first.path.read_bytes() == b"a,b\n1,2\n"  # the older snapshot is untouched
    assert link.is_symlink()
    assert link.resolve() == second.path.resolve()
    assert second.path.name == "tickets-two-" + short_hash(b"a,b\n3,4\n") + ".csv"
    assert second.sha256 == hashlib.sha256(b"a,b\n3,4\n").hexdigest()


def test_the_same_bytes_reuse_their_snapshot_without_rewriting_it(tmp_path: Path) -> None:
    link = tmp_path / "tickets.csv"
    first = write_snapshot(b"x\n1\n", link, "s")
    inode = first.path.stat().st_ino
    write_snapshot(b"x\n2\n", link, "s")
    again = write_snapshot(b"x\n1\n", link, "s")
    assert again.path == first.path
    assert again.path.stat().st_ino == inode
    assert link.resolve() == first.path.resolve()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.is_symlink()) == sorted(
        [first.path.name, "tickets-s-" + short_hash(b"x\n2\n") + ".csv"])


def test_a_plain_file_at_the_link_is_kept_under_its_own_hash(tmp_path: Path) -> None:
    link = tmp_path / "tickets.csv"
    link.write_bytes(b"old\n")
    written = write_snapshot(b"new\n", link, "s")
    assert written.kept_previous is not None
    assert written.kept_previous.read_bytes() == b"old\n"
    assert short_hash(b"old\n") in written.kept_previous.name
    assert link.read_bytes() == b"new\n"


def test_generate_snapshot_from_the_command_line(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store")
    out = tmp_path / "data" / "tickets.csv"
    command = [str(BIN / "python"), "-m", "demo", "generate", "--rows", "300", "--out", str(out),
               "--snapshot"]
    first = store.run(*command, "--seed", "1")
    assert first.returncode == 0, first.stderr
    trained_on = out.resolve()
    before = trained_on.read_bytes()
    second = store.run(*command, "--seed", "2")
    assert second.returncode == 0, second.stderr
    assert out.resolve() != trained_on
    assert out.resolve().name.startswith("tickets-seed2-rows300-")
    assert trained_on.read_bytes() == before
    assert f"sha256 {hashlib.sha256(out.read_bytes()).hexdigest()}" in second.stdout
    refused = store.run(*command[:-3], "--out", "gs://bucket/tickets.csv", "--snapshot")
    assert refused.returncode == 2
    assert "--snapshot writes local files only" in refused.stderr
