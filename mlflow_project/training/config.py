"""The typed configuration of one training run (the `train` entry point's parameters)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TrainConfig(BaseModel):
    """Everything that decides what a training run produces, validated before any work starts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data: str = Field(min_length=1, description="CSV/Parquet path or gs:// URI")
    experiment_name: str = Field(default="ticket_urgency", min_length=1)
    C: float = Field(default=4.0, gt=0, description="inverse regularisation strength")
    max_features: int = Field(default=50_000, ge=100)
    ngram_max: int = Field(default=2, ge=1, le=3)
    min_df: int = Field(default=2, ge=1)
    class_weight: Literal["balanced", "none"] = "balanced"
    seed: int = Field(default=42, ge=0)
    test_fraction: float = Field(default=0.2, gt=0, lt=0.5)
    validation_fraction: float = Field(default=0.2, gt=0, lt=0.5)
    target_recall: float = Field(default=0.8, gt=0, le=1)
    max_reject_share: float = Field(default=0.05, ge=0, le=1)

    @model_validator(mode="after")
    def _splits_leave_training_data(self) -> TrainConfig:
        if self.test_fraction + self.validation_fraction >= 0.8:
            raise ValueError("test_fraction + validation_fraction must stay below 0.8")
        return self

    def hyperparameters(self) -> dict[str, object]:
        """The parameters the model pipeline reads."""
        return {"C": self.C, "max_features": self.max_features, "ngram_max": self.ngram_max,
                "min_df": self.min_df, "class_weight": self.class_weight, "seed": self.seed}
