"""The test suite (a package so that tests/contracts can be one: its modules share basenames)."""
