"""Tests of mlflow_project/model (including the behavioural model tests)."""
