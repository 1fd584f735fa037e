"""Tests of mlflow_project/training."""
