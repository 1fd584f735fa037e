"""Tests of mlflow_project/monitoring/sources."""
