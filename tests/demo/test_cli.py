"""`python -m demo generate`: the demo data command writes the generator's tickets, and refuses a
file it cannot write with one line and exit 1, leaving nothing behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from demo.tickets import DriftConfig, GeneratorConfig, generate_tickets
from tests.support import REPO


def demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "demo", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300, check=False)


def test_generate_writes_the_generators_tickets(tmp_path: Path) -> None:
    out = tmp_path / "tickets.csv"
    done = demo("generate", "--rows", "60", "--seed", "3", "--source-shift", "0.5",
                "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "wrote 60 tickets" in done.stdout
    assert str(out) in done.stdout
    expected = generate_tickets(GeneratorConfig(rows=60, seed=3,
                                                drift=DriftConfig(source_shift=0.5)))
    written = pd.read_csv(out, dtype=str)
    assert written["ticket_id"].tolist() == expected["ticket_id"].tolist()
    assert written["source"].tolist() == expected["source"].tolist()
    assert written["urgent"].astype(int).tolist() == expected["urgent"].tolist()


def test_an_unwritable_file_is_one_line_and_nothing_written(tmp_path: Path) -> None:
    out = tmp_path / "tickets.txt"
    done = demo("generate", "--rows", "10", "--out", str(out))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: cannot write {out}: {out}: unsupported file type .txt; use one of .csv, "
        ".parquet"]
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    done = demo("generate", "--rows", "0", "--out", str(tmp_path / "t.csv"))
    assert done.returncode == 2
    assert "--rows" in done.stderr
    assert list(tmp_path.iterdir()) == []
