"""Formula injection: CSV cells a spreadsheet would run as formulas are neutralised."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlflow_project.data.csv_safety import neutralise_formulas

BIN = Path(sys.executable).parent
HOSTILE = ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_text_cell_starting_a_formula_gets_a_single_quote(value: str) -> None:
    out = neutralise_formulas(pd.DataFrame({"ticket_id": [value]}))
    assert out["ticket_id"].tolist() == ["'" + value]


def test_harmless_text_numbers_and_missing_values_are_unchanged() -> None:
    frame = pd.DataFrame({
        "ticket_id": ["T-1", "a=b", " =not first", None],
        "score": [-0.5, 0.25, 1.0, np.nan],
        "row_number": [1, 2, 3, 4],
        "label": pd.array(["=x", "y", pd.NA, "-z"], dtype="string"),
    })
    out = neutralise_formulas(frame)
    assert out["ticket_id"].tolist() == ["T-1", "a=b", " =not first", None]
    pd.testing.assert_series_equal(out["score"], frame["score"])
    pd.testing.assert_series_equal(out["row_number"], frame["row_number"])
    assert out["label"].tolist() == ["'=x", "y", pd.NA, "'-z"]


def test_the_input_frame_is_not_modified() -> None:
    frame = pd.DataFrame({"ticket_id": ["=1+1"]})
    neutralise_formulas(frame)
    assert frame["ticket_id"].tolist() == ["=1+1"]


def test_validate_writes_rejects_with_formulas_neutralised(tmp_path: Path) -> None:
    data = tmp_path / "tickets.csv"
    pd.DataFrame({"ticket_id": ["T-1", "T-2"], "title": ["VPN down", "New monitor"],
                  "description": ["office offline", "please"],
                  "source": ['=HYPERLINK("http://x","y")', "web"],
                  "customer_tier": ["premium", "standard"], "urgent": [1, 0]}).to_csv(
        data, index=False)
    rejects = tmp_path / "rejects.csv"
    result = subprocess.run([str(BIN / "ticket-urgency"), "validate", "--data", str(data),
                             "--rejects", str(rejects)], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 3, result.stderr  # half the rows rejected: over 5 %
    written = pd.read_csv(rejects, keep_default_na=False)
    assert written["value"].tolist() == ['\'=HYPERLINK("http://x","y")']
