"""The scikit-learn feature and classifier pipeline, and the input normalisation it expects.

Input to the pipeline is a frame with `text` (title and description joined), `source` and
`customer_tier`. TF-IDF lower-cases and tokenises on word boundaries, so case and extra whitespace
do not change a prediction; unknown categories are ignored by the one-hot encoder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from mlflow_project.model.inputs import (
    CATEGORICAL_FEATURES,
    SOURCE_VALUES,
    TEXT_FEATURE,
    TIER_VALUES,
    category_value,
    ticket_text,
)


def model_frame(tickets: pd.DataFrame) -> pd.DataFrame:
    """Turn contract columns (title, description, source, customer_tier) into pipeline input."""
    return pd.DataFrame({
        TEXT_FEATURE: [ticket_text(t, d) for t, d in zip(tickets["title"],
                                                        tickets["description"], strict=True)],
        "source": [category_value(v) for v in tickets["source"]],
        "customer_tier": [category_value(v) for v in tickets["customer_tier"]],
    })


def build_pipeline(hyperparameters: Mapping[str, Any]) -> Pipeline:
    """A fresh, unfitted TF-IDF + one-hot + logistic-regression pipeline.

    Recognised hyper-parameters: `features` ("word": word 1..`ngram_max`-grams; "word+char":
    those and character 2..`char_ngram_max`-grams within word boundaries, which catch spelling
    variants and word pieces), `C`, `max_features` (per vectoriser), `ngram_max`,
    `char_ngram_max`, `min_df`, `class_weight` ("balanced" or "none") and `seed`.
    """
    class_weight = hyperparameters.get("class_weight", "balanced")
    min_df = int(hyperparameters.get("min_df", 2))
    max_features = int(hyperparameters.get("max_features", 50_000))
    text = [("text", TfidfVectorizer(
        ngram_range=(1, int(hyperparameters.get("ngram_max", 2))), min_df=min_df,
        max_features=max_features, sublinear_tf=True, dtype=np.float64), TEXT_FEATURE)]
    if hyperparameters.get("features", "word") == "word+char":
        text.append(("text_char", TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, int(hyperparameters.get("char_ngram_max", 5))),
            min_df=min_df, max_features=max_features, sublinear_tf=True, dtype=np.float64),
            TEXT_FEATURE))
    features = ColumnTransformer(
        [*text,
         ("categorical", OneHotEncoder(
             categories=[list(SOURCE_VALUES), list(TIER_VALUES)],
             handle_unknown="ignore",
         ), list(CATEGORICAL_FEATURES))],
        sparse_threshold=1.0,
    )
    classifier = LogisticRegression(
        C=float(hyperparameters.get("C", 4.0)),
        class_weight=None if class_weight == "none" else class_weight,
        max_iter=2000,
        random_state=int(hyperparameters.get("seed", 0)),
    )
    return Pipeline([("features", features), ("classifier", classifier)])
