"""Errors of the training entry points that the CLI maps to exit codes."""


class ConfigurationError(ValueError):
    """The run's parameters or setup cannot work (another experiment, an unfittable model)."""
