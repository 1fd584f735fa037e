"""The ticket fields the model reads and how each is normalised, with neither pandas nor sklearn.

Training, batch scoring and serving all normalise through these functions, so a ticket reads the
same everywhere. They import nothing heavy: a server scoring single tickets from a scoring table
(`mlflow_project.model.linear`) never loads pandas or scikit-learn.
"""

from __future__ import annotations

import math
import sys

TEXT_FEATURE = "text"
CATEGORICAL_FEATURES: tuple[str, ...] = ("source", "customer_tier")
SOURCE_VALUES: tuple[str, ...] = ("email", "phone", "web", "chat", "unknown")
TIER_VALUES: tuple[str, ...] = ("premium", "standard", "unknown")
UNKNOWN = "unknown"


def ticket_text(title: object, description: object) -> str:
    """Join title and description into the one text field the vectoriser reads."""
    return f"{_as_text(title)} {_as_text(description)}".strip()


def category_value(value: object) -> str:
    """Normalise a categorical value the same way at training and at inference time."""
    text = _as_text(value).lower()
    return text or UNKNOWN


def is_missing(value: object) -> bool:
    """Whether a field's value counts as absent: None, NaN, or a scalar `pandas.isna` calls
    missing (pd.NA, NaT). Pandas is asked only once it is loaded: before, no value of its
    types can exist."""
    if isinstance(value, str):  # nearly every value: never missing
        return False
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    pandas = sys.modules.get("pandas")
    return bool(pandas is not None and pandas.api.types.is_scalar(value)
                and pandas.isna(value))


def _as_text(value: object) -> str:
    if is_missing(value):
        return ""
    return " ".join(str(value).split())
