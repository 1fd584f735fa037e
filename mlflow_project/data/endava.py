"""Adapter from the Endava helpdesk export onto the ticket contract.

The export (see `../shared/data/endava/SOURCE.md`) has `title`, `body`, `ticket_type`
(0 incident, 1 request) and `urgency` (0 most urgent ... 3 least). It maps as:
description <- body, urgent <- urgency in {0, 1}; source and customer_tier are absent, so they
take the contract's explicit "unknown". `ticket_type` is kept as the evaluation slice
"incident"/"request", because every request has urgency 3: metrics on all tickets mostly measure
incident-vs-request separation, and only the incident slice says how well urgency is ranked.
"""

from __future__ import annotations

import pandas as pd

from mlflow_project.data.contract import UNKNOWN, ContractError

ENDAVA_COLUMNS = ("title", "body", "ticket_type", "urgency")
TICKET_TYPES = {0: "incident", 1: "request"}


def is_endava_export(frame: pd.DataFrame) -> bool:
    """True when the table has the Endava export's columns rather than the contract's."""
    return set(ENDAVA_COLUMNS) <= set(frame.columns) and "urgent" not in frame.columns


def endava_to_contract(frame: pd.DataFrame) -> pd.DataFrame:
    """Map an Endava export onto the contract's columns (values are validated afterwards).

    An urgency outside 0-3 maps to a missing label, and a ticket_type outside 0/1 to the slice
    "unknown", so that contract validation reports those rows instead of this adapter guessing.
    """
    missing = [c for c in ENDAVA_COLUMNS if c not in frame.columns]
    if missing:
        raise ContractError(f"not an Endava export: missing column(s) {', '.join(missing)}")
    urgency = pd.to_numeric(frame["urgency"], errors="coerce")
    urgent = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    known = urgency.isin([0, 1, 2, 3])
    urgent[known] = urgency[known].isin([0, 1]).astype("int64")
    ticket_type = pd.to_numeric(frame["ticket_type"], errors="coerce")
    return pd.DataFrame({
        "ticket_id": [f"END-{i:05d}" for i in range(1, len(frame) + 1)],
        "title": frame["title"],
        "description": frame["body"],
        "source": UNKNOWN,
        "customer_tier": UNKNOWN,
        "urgent": urgent,
        "slice": ticket_type.map(TICKET_TYPES).fillna(UNKNOWN),
    })
