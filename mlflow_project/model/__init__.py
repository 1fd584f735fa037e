"""Inference-side model code: feature pipeline, fast scorer and the MLflow pyfunc wrapper.

This subpackage is bundled into every logged model (`code_paths`), so serving can load the model
without installing the training package. It must import nothing from the rest of `mlflow_project`.
"""
