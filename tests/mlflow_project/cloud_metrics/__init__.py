"""Tests of mlflow_project/cloud_metrics."""
