"""The registry side of A/B tests: the candidate's checks and experiment tags (`registry`), and
per-variant figures from the prediction logs (`logs`, `analysis`, `report`).

The `registry-tools ab` commands that drive the targets are `deploy.ab`; the traffic planner both
use is `contracts.traffic`.
"""
