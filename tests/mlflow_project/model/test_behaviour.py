"""Behavioural tests of a trained model: invariance, direction, minimum functionality.

The model is trained exactly as the `train` job trains it (same split, fit and threshold policy)
on synthetic tickets, so these tests check what the pipeline learns, not one frozen artifact.
"""

from __future__ import annotations

import pytest

from demo.tickets import GeneratorConfig, generate_tickets
from mlflow_project.data.contract import validate_tickets
from mlflow_project.model.scoring import TicketScorer
from mlflow_project.training.config import TrainConfig
from mlflow_project.training.cross_validation import fit_model
from mlflow_project.training.job import development_and_evaluation

ROUTINE = [
    {"title": "Request for a new monitor", "description": "Could I get a second monitor?",
     "source": "web", "customer_tier": "standard"},
    {"title": "Invoice copy", "description": "Please send me a copy of last month's invoice.",
     "source": "email", "customer_tier": "standard"},
    {"title": "Change of address", "description": "Our office moved, please update the address.",
     "source": "email", "customer_tier": "premium"},
    {"title": "How do I export a report?", "description": "Where is the export button?",
     "source": "chat", "customer_tier": "standard"},
]
OUTAGE_PHRASE = "Production outage: the system is down for all customers, please escalate."


@pytest.fixture(scope="module")
def scorer() -> TicketScorer:
    tickets = validate_tickets(generate_tickets(GeneratorConfig(rows=6000, seed=5))).valid
    config = TrainConfig(data="synthetic")
    fitted = fit_model(development_and_evaluation(tickets, config)[0], config)
    pipeline, threshold = fitted.pipeline, fitted.threshold
    return TicketScorer(pipeline, threshold)


def _probability(scorer: TicketScorer, ticket: dict[str, str]) -> float:
    return float(scorer.probabilities([ticket])[0])


@pytest.mark.parametrize("ticket", ROUTINE)
def test_case_and_whitespace_do_not_change_the_score(scorer: TicketScorer,
                                                     ticket: dict[str, str]) -> None:
    shouted = {**ticket, "title": ticket["title"].upper(),
               "description": ticket["description"].upper(),
               "source": ticket["source"].upper(), "customer_tier": ticket["customer_tier"].title()}
    spaced = {**ticket, "title": f"  {ticket['title']}\t ",
              "description": "  ".join(ticket["description"].split()) + "\n\n"}
    base = _probability(scorer, ticket)
    assert _probability(scorer, shouted) == pytest.approx(base, abs=1e-12)
    assert _probability(scorer, spaced) == pytest.approx(base, abs=1e-12)


@pytest.mark.parametrize("ticket", ROUTINE)
def test_an_outage_phrase_raises_urgency(scorer: TicketScorer, ticket: dict[str, str]) -> None:
    escalated = {**ticket, "description": f"{ticket['description']} {OUTAGE_PHRASE}"}
    assert _probability(scorer, escalated) > _probability(scorer, ticket) + 0.1


@pytest.mark.parametrize("ticket", [
    {"title": "Production outage - checkout not responding",
     "description": "We have a production outage: checkout returns errors for every request. "
                    "Customers are affected, please escalate immediately.",
     "source": "phone", "customer_tier": "premium"},
    {"title": "Possible security breach in the CRM",
     "description": "We suspect a security breach, there are unknown admin logins. "
                    "Please treat this as priority one.",
     "source": "email", "customer_tier": "standard"},
    {"title": "Payment failing, need help asap",
     "description": "Customer payments are failing since the last deployment. "
                    "We are losing revenue every minute this is down.",
     "source": "web", "customer_tier": "standard"},
])
def test_obvious_urgent_tickets_are_urgent(scorer: TicketScorer, ticket: dict[str, str]) -> None:
    probability = scorer.probabilities([ticket])
    assert scorer.labels(probability)[0] == 1, float(probability[0])


@pytest.mark.parametrize("ticket", ROUTINE)
def test_obvious_routine_tickets_are_not_urgent(scorer: TicketScorer,
                                                ticket: dict[str, str]) -> None:
    probability = scorer.probabilities([ticket])
    assert scorer.labels(probability)[0] == 0, float(probability[0])


def test_premium_phone_tickets_score_at_least_as_high_as_standard_web(
        scorer: TicketScorer) -> None:
    text = {"title": "System not working", "description": "It keeps timing out for me."}
    premium = _probability(scorer, {**text, "source": "phone", "customer_tier": "premium"})
    standard = _probability(scorer, {**text, "source": "web", "customer_tier": "standard"})
    assert premium > standard


def test_unknown_categories_never_fail(scorer: TicketScorer) -> None:
    ticket = {"title": "Printer jam", "description": "The printer is jammed again.",
              "source": "carrier pigeon", "customer_tier": None}
    assert 0.0 <= _probability(scorer, ticket) <= 1.0  # type: ignore[arg-type]
