"""Tests of mlflow_project/data."""
