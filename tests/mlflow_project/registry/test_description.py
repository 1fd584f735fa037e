"""A version's description: sections rewritten in place, in a fixed order, notes kept."""

from __future__ import annotations

import pytest

from mlflow_project.registry import description


def test_sections_are_set_in_order_and_rewritten_in_place() -> None:
    text = description.with_section("", description.GATE, "passed")
    text = description.with_section(text, description.DATA, "tickets.csv")
    text = description.with_section(text, description.GATE, "failed: worse recall")
    assert text == "**Data**: tickets.csv\n\n**Gate**: failed: worse recall"


def test_a_persons_own_notes_are_kept_after_the_sections() -> None:
    text = description.with_section("Checked by hand on Monday.", description.PRODUCTION,
                                    "@production set by ops")
    assert text == "**Production**: @production set by ops\n\nChecked by hand on Monday."


def test_an_unknown_section_or_alias_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown description section"):
        description.with_section("", "Mood", "fine")
    with pytest.raises(ValueError, match="no description section for alias @canary"):
        description.alias_section("canary")
    assert description.alias_section("production") == description.PRODUCTION


def test_metrics_and_gate_texts_name_their_figures() -> None:
    metrics = description.metrics_text({"roc_auc": 0.91234, "recall": 0.8, "brier": 0.1}, 0.42)
    assert metrics == ("on the held-out evaluation rows: roc_auc 0.9123, recall 0.8000 "
                       "(threshold 0.4200)")
    assert description.gate_text("passed", "passed", "3").startswith(
        "passed against production v3 at 20")
    assert description.gate_text("passed", "passed", "3").endswith("+00:00")
    failed = description.gate_text("failed", "roc_auc below 0.8", None)
    assert failed.startswith("failed against the absolute bars at 20")
    assert failed.endswith(": roc_auc below 0.8")
