"""Tests of contracts/: a package, so its module names do not clash with tests/serving etc."""
