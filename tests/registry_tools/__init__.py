"""Tests of registry_tools/ (packages: module basenames repeat across tests/)."""
