"""Tests of mlflow_project/batch."""
