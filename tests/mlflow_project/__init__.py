"""Tests of mlflow_project/, one folder per subpackage (packages: module basenames repeat)."""
