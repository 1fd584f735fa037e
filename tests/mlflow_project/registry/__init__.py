"""Tests of mlflow_project/registry."""
