"""`registry-tools ab`: A/B tests of a challenger model version against production.

The same commands drive Cloud Run (traffic tags through the Admin API) and a local rehearsal
(gunicorn servers behind nginx `split_clients`), from one pure planner (`contracts.traffic`).
The registry half (gate, experiment tags) and the per-variant figures are `registry_tools.ab`.
"""
