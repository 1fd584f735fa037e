"""Which tickets are kept for evaluation: a rule on ticket content, the same for every version.

A ticket belongs to the evaluation set when a salted hash of its content falls below
`fraction`; the key is the SHA-256 of its normalised text (title and description, lower-cased,
whitespace collapsed), so a ticket keeps its side across data snapshots, re-orderings and
re-exports, and copies of one text always land on the same side. No version trains on an
evaluation row, whatever data it was given, so two versions trained with the same fraction are
judged on rows neither saw. Each run also records the keys it trained on, so the gate can drop
any row a production version did train on (a different fraction, or a version older than this
rule).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from mlflow_project.model.inputs import ticket_text

SALT = "ticket-urgency/evaluation-set/v1"
HASH_DIGITS = 15  # 60 bits: exact in a float64 division, far finer than any fraction
RULE = (f"evaluation row iff int(sha256('{SALT}' + key)[:{HASH_DIGITS}], 16) / 16**{HASH_DIGITS}"
        " < eval_fraction, key = sha256(lower-cased title + ' ' + description)")


def ticket_key(title: object, description: object) -> str:
    """The content key of one ticket: the SHA-256 of its normalised, lower-cased text."""
    return hashlib.sha256(ticket_text(title, description).lower().encode()).hexdigest()


def ticket_keys(tickets: pd.DataFrame) -> pd.Series:
    """The content key of every row of a contract-shaped frame (same index)."""
    keys = [ticket_key(t, d) for t, d in zip(tickets["title"], tickets["description"],
                                             strict=True)]
    return pd.Series(keys, index=tickets.index, dtype=object, name="key")


def evaluation_mask(keys: pd.Series, fraction: float) -> np.ndarray:
    """True for the keys the rule assigns to the evaluation set (see `RULE`)."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"the evaluation fraction must be in (0, 1), got {fraction}")
    positions = [int(hashlib.sha256((SALT + key).encode()).hexdigest()[:HASH_DIGITS], 16)
                 / 16**HASH_DIGITS for key in keys]
    return np.asarray(positions) < fraction


def split_by_content(tickets: pd.DataFrame,
                     fraction: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(development rows, evaluation rows), each with a `key` column and a fresh index."""
    keyed = tickets.assign(key=ticket_keys(tickets))
    held_out = evaluation_mask(keyed["key"], fraction)
    return (keyed[~held_out].reset_index(drop=True), keyed[held_out].reset_index(drop=True))
