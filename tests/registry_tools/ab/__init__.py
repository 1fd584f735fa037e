"""Tests of registry_tools/ab (the A/B rollout) and of its README section."""
