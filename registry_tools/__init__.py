"""Command-line tools over the MLflow model registry: status and gated promotion."""
