"""Tests of mlflow_project/evaluation."""
