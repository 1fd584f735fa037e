"""The typed configuration of one training run (the `train` entry point's parameters).

The defaults here are the only ones: the CLI and `MLproject` take theirs from this class (a test
checks `MLproject` agrees).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FeatureSet = Literal["word", "word+char"]


class RefitMode(StrEnum):
    """What `tune` does with its winner: `auto` refits (and gates) it when it beats the default
    by more than the noise; `never` only reports."""

    AUTO = "auto"
    NEVER = "never"


class ModelConfig(BaseModel):
    """The hyper-parameters of the model pipeline (what `tune` searches over)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stages: Literal[1, 2] = Field(
        default=2, description="2: p(kind that can be urgent) x p(urgent | kind), when the "
        "data's slice column has kinds that are never urgent; else one stage")
    features: FeatureSet = Field(default="word",
                                 description="word n-grams, or word and character n-grams")
    C: float = Field(default=1.0, gt=0, description="inverse regularisation strength")
    max_features: int = Field(default=50_000, ge=100, description="per vectoriser")
    ngram_max: int = Field(default=2, ge=1, le=3, description="longest word n-gram")
    char_ngram_max: int = Field(default=5, ge=2, le=6, description="longest character n-gram")
    min_df: int = Field(default=2, ge=1, description="least documents a term must occur in")
    class_weight: Literal["balanced", "none"] = "balanced"
    seed: int = Field(default=42, ge=0)

    def hyperparameters(self) -> dict[str, object]:
        """The parameters the model pipeline reads."""
        return self.model_dump()


class TrainConfig(ModelConfig):
    """Everything that decides what a training run produces, validated before any work starts."""

    data: str = Field(min_length=1, description="CSV/Parquet path or gs:// URI")
    experiment_name: str = Field(default="ticket_urgency", min_length=1)
    eval_fraction: float = Field(default=0.2, ge=0.05, le=0.5,
                                 description="share of tickets (by content hash) kept to evaluate")
    cv_folds: int = Field(default=5, ge=3, le=10,
                          description="folds whose out-of-fold scores choose the threshold")
    target_recall: float = Field(default=0.8, gt=0, le=1,
                                 description="urgent recall the threshold keeps")
    max_reject_share: float = Field(default=0.05, ge=0, le=1,
                                    description="refuse data with more broken rows")

    def model(self) -> ModelConfig:
        """The model part of this configuration."""
        return ModelConfig(**{k: getattr(self, k) for k in ModelConfig.model_fields})

    def hyperparameters(self) -> dict[str, object]:
        """The parameters the model pipeline reads."""
        return self.model().hyperparameters()
