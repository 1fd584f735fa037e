"""Tests for the evaluation partition: a rule on ticket content, stable across snapshots."""

from __future__ import annotations

import pandas as pd
import pytest

from demo.tickets import GeneratorConfig, generate_tickets
from mlflow_project.evaluation.partition import (
    evaluation_mask,
    split_by_content,
    ticket_key,
    ticket_keys,
)


@pytest.fixture(scope="module")
def tickets() -> pd.DataFrame:
    return generate_tickets(GeneratorConfig(rows=3000, seed=3))


def test_the_key_ignores_case_and_whitespace_but_not_words() -> None:
    assert ticket_key("VPN  down", "for everyone ") == ticket_key("vpn down", "For everyone")
    assert ticket_key("VPN down", None) == ticket_key(" vpn down ", float("nan"))
    assert ticket_key("VPN down", "for everyone") != ticket_key("VPN up", "for everyone")


def test_the_evaluation_share_is_close_to_the_fraction(tickets: pd.DataFrame) -> None:
    keys = ticket_keys(tickets).drop_duplicates()
    share = evaluation_mask(keys, 0.2).mean()
    assert 0.17 < share < 0.23


def test_a_ticket_keeps_its_side_whatever_else_is_in_the_data(tickets: pd.DataFrame) -> None:
    _, evaluation = split_by_content(tickets, 0.2)
    shuffled = tickets.sample(frac=1.0, random_state=1).iloc[10:]  # reordered, rows dropped
    _, evaluation_again = split_by_content(shuffled, 0.2)
    assert set(evaluation_again["key"]) <= set(evaluation["key"])
    assert len(set(evaluation["key"]) - set(evaluation_again["key"])) <= 10


def test_copies_of_one_text_land_on_the_same_side(tickets: pd.DataFrame) -> None:
    doubled = pd.concat([tickets, tickets.assign(title=tickets["title"].str.upper())])
    development, evaluation = split_by_content(doubled, 0.2)
    assert not set(development["key"]) & set(evaluation["key"])
    assert len(development) + len(evaluation) == len(doubled)


def test_a_larger_fraction_only_adds_rows(tickets: pd.DataFrame) -> None:
    keys = ticket_keys(tickets)
    small, large = evaluation_mask(keys, 0.1), evaluation_mask(keys, 0.3)
    assert (large | ~small).all()
    assert large.sum() > small.sum()


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_a_fraction_outside_the_open_unit_interval_is_refused(fraction: float) -> None:
    with pytest.raises(ValueError, match="evaluation fraction"):
        evaluation_mask(pd.Series(["a"]), fraction)
